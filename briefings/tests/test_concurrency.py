"""Two editors act on the same briefing at the same moment, each on a connection of their own.

Every test starts both people from the same copy of the briefing and releases
them together; the row lock makes one wait for the other, and the version
check refuses whichever comes second. Row locks and concurrent connections to
one test database need PostgreSQL: SQLite's test database lives in one
connection's memory and serialises every writer with a single file lock.
"""
import threading
from unittest import skipUnless

from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection, connections
from django.test import Client, TransactionTestCase, override_settings

from briefings import workflow
from briefings.models import Briefing, BriefingEvent

from .factories import fresh, make_briefing, make_user
from .html_forms import form_data


def at_once(*actions):
    """Run each action in its own thread and connection, released together; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = action()
        except Exception as error:  # the refused side's error is the result under test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    close_old_connections()
    return outcomes


FAST_PASSWORDS = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@FAST_PASSWORDS
@skipUnless(connection.vendor == "postgresql", "needs PostgreSQL: concurrent connections and row locks")
class ConcurrentTransitionTests(TransactionTestCase):
    # The Analyst and Editor groups come from a data migration; bring them back for every test.
    serialized_rollback = True

    def setUp(self):
        self.analyst = make_user("analyst", "Analyst")
        self.editor = make_user("editor", "Editor")
        self.other_editor = make_user("other-editor", "Editor")
        self.briefing = make_briefing(self.analyst)
        workflow.submit(self.briefing, self.analyst)

    def copies(self):
        """Each person's copy of the briefing as their page loaded it."""
        return fresh(self.briefing), fresh(self.briefing)

    def assert_event_log_consistent(self, briefing):
        """The events chain from state to state and end where the briefing is."""
        events = list(BriefingEvent.objects.filter(briefing=briefing).order_by("pk"))
        for before, after in zip(events, events[1:], strict=False):
            self.assertEqual(after.from_state, before.to_state)
        self.assertEqual(events[-1].to_state, fresh(briefing).status)

    def test_two_approvals_one_wins(self):
        """Two editors approving at once: one approval is recorded, the other is told someone was faster."""
        first, second = self.copies()
        outcomes = at_once(
            lambda: workflow.approve(first, self.editor), lambda: workflow.approve(second, self.other_editor)
        )
        winners = [outcome for outcome in outcomes if isinstance(outcome, BriefingEvent)]
        losers = [outcome for outcome in outcomes if isinstance(outcome, workflow.StaleVersion)]
        self.assertEqual((len(winners), len(losers)), (1, 1), outcomes)
        self.assertIn("saved a newer version", str(losers[0]))
        briefing = fresh(self.briefing)
        self.assertEqual(briefing.status, Briefing.Status.APPROVED)
        self.assertEqual(briefing.events.filter(action=BriefingEvent.Action.APPROVED).count(), 1)
        self.assert_event_log_consistent(briefing)

    def test_approval_and_request_for_changes_one_wins(self):
        """Approving while another editor sends it back: exactly one decision stands, and the log says which."""
        first, second = self.copies()
        outcomes = at_once(
            lambda: workflow.approve(first, self.editor),
            lambda: workflow.request_changes(second, self.other_editor, comment="Check the second figure."),
        )
        winners = [outcome for outcome in outcomes if isinstance(outcome, BriefingEvent)]
        self.assertEqual(len(winners), 1, outcomes)
        self.assertTrue(any(isinstance(outcome, workflow.StaleVersion) for outcome in outcomes), outcomes)
        briefing = fresh(self.briefing)
        self.assertEqual(briefing.status, winners[0].to_state)
        self.assertEqual(briefing.events.count(), 2)  # the submission, and the one decision
        self.assert_event_log_consistent(briefing)

    def test_two_publications_publish_once(self):
        """Two editors pressing publish at once publish one revision once."""
        workflow.approve(self.briefing, self.editor)
        first, second = self.copies()
        outcomes = at_once(
            lambda: workflow.publish(first, self.other_editor), lambda: workflow.publish(second, self.other_editor)
        )
        self.assertEqual(sum(isinstance(outcome, BriefingEvent) for outcome in outcomes), 1, outcomes)
        self.assertEqual(sum(isinstance(outcome, workflow.StaleVersion) for outcome in outcomes), 1, outcomes)
        briefing = fresh(self.briefing)
        self.assertEqual(briefing.status, Briefing.Status.PUBLISHED)
        self.assertEqual(briefing.events.filter(action=BriefingEvent.Action.PUBLISHED).count(), 1)
        self.assert_event_log_consistent(briefing)

    def test_retraction_and_correction_one_wins(self):
        """A correction racing a retraction never lands on a retracted briefing, and neither is half-done."""
        workflow.approve(self.briefing, self.editor)
        workflow.publish(self.briefing, self.other_editor)
        first, second = self.copies()
        outcomes = at_once(
            lambda: workflow.retract(first, self.editor, reason="The agreement was never signed."),
            lambda: workflow.correct(second, self.other_editor, note="The date was wrong."),
        )
        self.assertEqual(sum(isinstance(outcome, BriefingEvent) for outcome in outcomes), 1, outcomes)
        briefing = fresh(self.briefing)
        winner = next(outcome for outcome in outcomes if isinstance(outcome, BriefingEvent))
        self.assertEqual(briefing.corrections.count(), 1)
        self.assertEqual(briefing.corrections.get().note, winner.comment)
        self.assert_event_log_consistent(briefing)


@FAST_PASSWORDS
@skipUnless(connection.vendor == "postgresql", "needs PostgreSQL: concurrent connections and row locks")
class ConcurrentSaveTests(TransactionTestCase):
    serialized_rollback = True

    def setUp(self):
        self.analyst = make_user("analyst", "Analyst")
        self.editor = make_user("editor", "Editor")
        self.briefing = make_briefing(self.analyst, body="The deal was signed.[^a]")
        self.url = f"/admin/briefings/briefing/{self.briefing.pk}/change/"

    def open_form(self, user):
        client = Client()
        client.force_login(user)
        response = client.get(self.url)
        self.assertEqual(response.status_code, 200)
        return client, form_data(response.content.decode(), "briefing_form")

    def test_two_saves_one_wins_and_the_other_keeps_its_text(self):
        """Two people saving the same briefing at once: one save lands, the other is refused with their text kept."""
        analyst_client, analyst_data = self.open_form(self.analyst)
        editor_client, editor_data = self.open_form(self.editor)
        analyst_data["body"] = ["The deal was signed on Monday.[^a]"]
        editor_data["body"] = ["The deal was finally signed.[^a]"]
        responses = at_once(
            lambda: analyst_client.post(self.url, analyst_data), lambda: editor_client.post(self.url, editor_data)
        )
        codes = sorted(response.status_code for response in responses)
        self.assertEqual(codes, [200, 302], responses)
        [refused] = [response for response in responses if response.status_code == 200]
        [saved] = [response for response in responses if response.status_code == 302]
        refused_body = refused.context["adminform"].form.data["body"]
        self.assertContains(refused, "saved a newer version")
        self.assertContains(refused, refused_body)  # nothing the loser typed is lost
        briefing = fresh(self.briefing)
        winner_body = (analyst_data if saved is responses[0] else editor_data)["body"][0]
        self.assertEqual(briefing.body, winner_body)
        self.assertEqual(briefing.version, self.briefing.version + 1)
        self.assertEqual(list(briefing.revisions.values_list("number", "body")), [
            (1, "The deal was signed.[^a]"), (2, winner_body),
        ])

    def test_save_and_submission_one_wins(self):
        """Saving while the author submits: either the submission covers the saved text or the save is refused."""
        client, data = self.open_form(self.editor)
        data["body"] = ["The deal was signed, officials said.[^a]"]
        copy = fresh(self.briefing)
        response, submitted = at_once(lambda: client.post(self.url, data), lambda: workflow.submit(copy, self.analyst))
        briefing = fresh(self.briefing)
        if isinstance(submitted, BriefingEvent):
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, "saved a newer version")
            self.assertEqual(briefing.body, "The deal was signed.[^a]")
            self.assertEqual(briefing.status, Briefing.Status.IN_REVIEW)
        else:
            self.assertIsInstance(submitted, (workflow.StaleVersion, PermissionDenied))
            self.assertEqual(response.status_code, 302)
            self.assertEqual(briefing.body, "The deal was signed, officials said.[^a]")
            self.assertEqual(briefing.status, Briefing.Status.DRAFT)
        latest = briefing.revisions.order_by("-number").first()
        self.assertEqual(latest.body, briefing.body)  # the newest revision is what the briefing holds


@FAST_PASSWORDS
@skipUnless(connection.vendor == "postgresql", "needs PostgreSQL: concurrent connections and row locks")
class RetractionDuringSaveTests(TransactionTestCase):
    serialized_rollback = True

    typed_body = "The deal was signed, then denied.[^a]"

    def setUp(self):
        self.analyst = make_user("analyst", "Analyst")
        self.editor = make_user("editor", "Editor")
        self.publisher = make_user("publisher", "Editor")

    def test_analyst_saving_while_editor_retracts_never_loses_text(self):
        """An analyst saving as an editor retracts either saves or gets their text back with the reason, never a 403."""
        for _attempt in range(4):
            briefing = make_briefing(self.analyst, body="The deal was signed.[^a]")
            workflow.submit(briefing, self.analyst)
            workflow.approve(briefing, self.editor)
            workflow.publish(briefing, self.publisher)
            url = f"/admin/briefings/briefing/{briefing.pk}/change/"
            client = Client()
            client.force_login(self.analyst)
            data = form_data(client.get(url).content.decode(), "briefing_form")
            data["body"] = [self.typed_body]
            copy = fresh(briefing)
            response, retraction = at_once(
                lambda: client.post(url, data),  # noqa: B023 (run before the loop moves on)
                lambda: workflow.retract(copy, self.editor, reason="The deal was denied."),  # noqa: B023
            )
            after = fresh(briefing)
            if response.status_code == 302:
                self.assertIsInstance(retraction, workflow.StaleVersion)
                self.assertEqual(after.body, self.typed_body)
            else:
                self.assertEqual(response.status_code, 200, response)
                self.assertIsInstance(retraction, BriefingEvent)
                self.assertContains(response, "A retracted briefing cannot be edited.")
                self.assertEqual(response.context["adminform"].form.data["body"], self.typed_body)
                self.assertContains(response, self.typed_body)
                self.assertEqual(after.status, Briefing.Status.RETRACTED)
