import datetime

import time_machine
from django.contrib.messages import get_messages
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from briefings import workflow
from briefings.models import Briefing, BriefingEvent, Correction

from .factories import fresh, make_briefing, make_user, published, reviewed
from .html_forms import form_data

Status = Briefing.Status


def change_url(briefing):
    return reverse("admin:briefings_briefing_change", args=[briefing.pk])


def step_url(briefing, action):
    return reverse("admin:briefings_briefing_transition", args=[briefing.pk, action])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


class AdminTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        cls.other_editor = make_user("other_editor", "Editor")

    def steps_shown(self, user, briefing):
        self.client.force_login(user)
        response = self.client.get(change_url(briefing))
        self.assertEqual(response.status_code, 200)
        return [step["action"] for step in response.context["workflow"]["steps"]]


class ButtonTests(AdminTestCase):
    def test_author_sees_submit_on_draft(self):
        """The author of a draft is offered exactly one step: submitting it."""
        self.assertEqual(self.steps_shown(self.analyst, make_briefing(self.analyst)), ["submit"])

    def test_editor_sees_review_steps_on_someone_elses_submission(self):
        """An editor looking at another person's submission can request changes or approve."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        self.assertEqual(self.steps_shown(self.editor, briefing), ["request_changes", "approve"])

    def test_editor_sees_no_approval_of_own_work(self):
        """An editor's own submission offers them no approve button."""
        briefing = make_briefing(self.editor)
        workflow.submit(briefing, self.editor)
        self.assertEqual(self.steps_shown(self.editor, briefing), [])

    def test_analyst_never_sees_publish(self):
        """An analyst looking at an approved briefing is offered nothing."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        self.assertEqual(self.steps_shown(self.analyst, briefing), [])

    def test_editor_sees_correction_and_retraction_on_published(self):
        """On a public briefing an editor can add a correction or retract it."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        self.assertEqual(self.steps_shown(self.editor, briefing), ["retract", "correct"])

    def test_buttons_rendered(self):
        """The buttons appear on the page with the loaded version."""
        briefing = make_briefing(self.analyst)
        self.client.force_login(self.analyst)
        response = self.client.get(change_url(briefing))
        self.assertContains(response, f'action="{step_url(briefing, "submit")}"')
        self.assertContains(response, "Submit for review</button>")
        self.assertNotContains(response, "Approve</button>")


class StepTests(AdminTestCase):
    def test_submit_from_the_admin(self):
        """Pressing submit moves the draft to review and says so."""
        briefing = make_briefing(self.analyst)
        self.client.force_login(self.analyst)
        response = self.client.post(step_url(briefing, "submit"), {"version": briefing.version}, follow=True)
        self.assertEqual(fresh(briefing).status, Status.IN_REVIEW)
        self.assertIn("Submitted for review.", messages_of(response))

    def test_refused_step_explains_instead_of_failing(self):
        """An analyst posting an approval sees why it is refused, and nothing changes."""
        briefing = make_briefing(make_user("colleague", "Analyst"))
        workflow.submit(briefing, briefing.authors.get())
        self.client.force_login(self.analyst)
        response = self.client.post(step_url(briefing, "approve"), {"version": briefing.version})
        self.assertContains(response, "You are not allowed to approve briefings.")
        self.assertEqual(fresh(briefing).status, Status.IN_REVIEW)

    def test_request_changes_without_comment_keeps_the_page(self):
        """An empty comment is refused on the page; the briefing stays in review."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        self.client.force_login(self.editor)
        response = self.client.post(step_url(briefing, "request_changes"), {"version": briefing.version})
        self.assertContains(response, "This field is required.")
        self.assertEqual(fresh(briefing).status, Status.IN_REVIEW)

    def test_author_sees_the_reviewers_comment(self):
        """After changes are requested, the author's page shows the reviewer's comment."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        self.client.force_login(self.editor)
        self.client.post(
            step_url(briefing, "request_changes"),
            {"version": briefing.version, "comment": "Quote the ministry <directly>."},
        )
        self.client.force_login(self.analyst)
        response = self.client.get(change_url(briefing))
        self.assertContains(response, "Quote the ministry &lt;directly&gt;.")

    def test_schedule_from_the_admin(self):
        """An editor picks a future time and the briefing is scheduled for it."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        self.client.force_login(self.editor)
        with time_machine.travel(datetime.datetime(2026, 7, 1, 8, 0, tzinfo=datetime.UTC), tick=False):
            response = self.client.get(step_url(briefing, "publish"))
            self.assertContains(response, 'type="datetime-local"')
            self.assertNotContains(response, "Minor update")
            self.client.post(step_url(briefing, "publish"), {"version": briefing.version, "at": "2026-07-02T09:30"})
        briefing = fresh(briefing)
        self.assertEqual(briefing.status, Status.PUBLISHED)
        self.assertEqual(briefing.published_at, datetime.datetime(2026, 7, 2, 9, 30, tzinfo=datetime.UTC))

    def test_republish_form_asks_for_correction(self):
        """Republishing a public briefing offers a correction note or a minor update, not a schedule."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        briefing.title = "Updated"
        briefing.save()
        workflow.record_edit(briefing, self.analyst)
        workflow.submit(briefing, self.analyst)
        workflow.approve(briefing, self.other_editor)
        self.client.force_login(self.editor)
        response = self.client.get(step_url(briefing, "publish"))
        self.assertContains(response, "Minor update")
        self.assertNotContains(response, 'type="datetime-local"')
        response = self.client.post(step_url(briefing, "publish"), {"version": briefing.version})
        self.assertContains(response, "either write a correction")
        self.client.post(step_url(briefing, "publish"), {"version": briefing.version, "correction": "Fixed a date."})
        self.assertEqual(Correction.objects.get().note, "Fixed a date.")

    def test_retract_needs_reason(self):
        """A retraction without a reason is refused on the page."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        self.client.force_login(self.editor)
        response = self.client.post(step_url(briefing, "retract"), {"version": briefing.version, "reason": ""})
        self.assertContains(response, "This field is required.")
        self.assertEqual(fresh(briefing).status, Status.PUBLISHED)

    def test_retracted_briefing_is_read_only(self):
        """A retracted briefing's page has no save button."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        workflow.retract(briefing, self.editor, reason="Withdrawn.")
        self.client.force_login(self.editor)
        response = self.client.get(change_url(briefing))
        self.assertNotContains(response, 'name="_save"')

    def test_unknown_step_is_not_found(self):
        """A made-up step name is a 404."""
        briefing = make_briefing(self.analyst)
        self.client.force_login(self.editor)
        self.assertEqual(self.client.get(step_url(briefing, "obliterate")).status_code, 404)


class InboxAndLogTests(AdminTestCase):
    def test_reviewer_inbox(self):
        """The inbox filter lists briefings in review that the reviewer did not write."""
        theirs = make_briefing(self.analyst, title="Theirs in review")
        workflow.submit(theirs, self.analyst)
        mine = make_briefing(self.editor, title="Mine in review")
        workflow.submit(mine, self.editor)
        make_briefing(self.analyst, title="Their draft")
        self.client.force_login(self.editor)
        response = self.client.get(reverse("admin:briefings_briefing_changelist"), {"inbox": "mine"})
        self.assertEqual([b.title for b in response.context["cl"].result_list], ["Theirs in review"])

    def test_event_log_shown_read_only(self):
        """The briefing's page lists its review record without any way to edit or delete it."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        self.client.force_login(self.editor)
        response = self.client.get(change_url(briefing))
        self.assertContains(response, "Review record")
        self.assertContains(response, "Submitted for review")
        self.assertNotContains(response, 'name="events-0-comment"')
        self.assertNotContains(response, 'name="events-0-DELETE"')

    def test_event_admin_cannot_add_change_or_delete(self):
        """Even a superuser cannot add, change or delete events in the admin."""
        briefing = make_briefing(self.analyst)
        workflow.submit(briefing, self.analyst)
        event = BriefingEvent.objects.get()
        self.client.force_login(make_user("root", superuser=True))
        self.assertEqual(self.client.get(reverse("admin:briefings_briefingevent_add")).status_code, 403)
        delete = reverse("admin:briefings_briefingevent_delete", args=[event.pk])
        self.assertEqual(self.client.post(delete, {"post": "yes"}).status_code, 403)
        change = reverse("admin:briefings_briefingevent_change", args=[event.pk])
        self.client.post(change, {"comment": "rewritten"})
        self.assertEqual(BriefingEvent.objects.get().comment, "")


class RevisionPageTests(AdminTestCase):
    def setUp(self):
        self.briefing = make_briefing(self.analyst, title="First title", body="Line one.\nThe deal.[^a]")
        self.briefing.title = "Second title"
        self.briefing.body = "Line one.\nThe signed deal.[^a]"
        self.briefing.save()
        workflow.record_edit(self.briefing, self.analyst)
        self.client.force_login(self.analyst)

    def test_history_lists_revisions(self):
        """The history page lists every revision with who saved it."""
        response = self.client.get(reverse("admin:briefings_briefing_revisions", args=[self.briefing.pk]))
        self.assertEqual([r.number for r in response.context["revisions"]], [2, 1])
        self.assertContains(response, "analyst")

    def test_history_query_count(self):
        """The history page costs the same queries however many revisions exist."""
        for number in range(5):
            self.briefing.dek = f"Summary {number}"
            self.briefing.save()
            workflow.record_edit(self.briefing, self.analyst)
        url = reverse("admin:briefings_briefing_revisions", args=[self.briefing.pk])
        # Session, user, the briefing (the admin prefetches authors and tags only
        # for its list), the user's permissions (direct and group), revisions
        # with their authors, whether the user is an author, and the review comments made on them.
        with self.assertNumQueries(8):
            self.client.get(url)

    def test_compare_shows_changed_words(self):
        """Comparing two revisions marks the inserted word."""
        response = self.client.get(
            reverse("admin:briefings_briefing_compare", args=[self.briefing.pk]), {"from": 1, "to": 2}
        )
        self.assertContains(response, "The<ins> signed</ins> deal.", html=False)
        self.assertContains(response, "First title")

    def test_compare_unknown_revision_is_not_found(self):
        """Asking for a revision that does not exist is a 404."""
        response = self.client.get(
            reverse("admin:briefings_briefing_compare", args=[self.briefing.pk]), {"from": 1, "to": 9}
        )
        self.assertEqual(response.status_code, 404)

    def test_revert_from_the_admin(self):
        """Confirming a revert restores the old text as revision 3."""
        url = reverse("admin:briefings_briefing_revert", args=[self.briefing.pk, 1])
        confirm = self.client.get(url)
        self.assertContains(confirm, "Revert to revision 1")
        self.client.post(url, form_data(confirm.content.decode().replace("<form method=\"post\">",
                                                                         "<form id=\"revert\" method=\"post\">"),
                                        "revert"))
        briefing = fresh(self.briefing)
        self.assertEqual((briefing.title, briefing.revisions.count()), ("First title", 3))

    def test_revert_from_stale_page_is_refused(self):
        """A revert confirmed on an outdated page changes nothing and says why."""
        url = reverse("admin:briefings_briefing_revert", args=[self.briefing.pk, 1])
        response = self.client.post(url, {"version": self.briefing.version - 1})
        self.assertContains(response, "saved a newer version")
        self.assertEqual(fresh(self.briefing).title, "Second title")

    def test_preview_link_is_offered(self):
        """Asking for a preview link gives a signed address of the latest revision."""
        response = self.client.post(
            reverse("admin:briefings_briefing_preview_link", args=[self.briefing.pk]), follow=True
        )
        [message] = messages_of(response)
        self.assertIn("Preview link for revision 2", message)
        self.assertIn("http://testserver/preview/", message)

    def test_preview_link_needs_post(self):
        """Preview links are made by a button, not by following a link."""
        url = reverse("admin:briefings_briefing_preview_link", args=[self.briefing.pk])
        self.assertEqual(self.client.get(url).status_code, 405)


class ScheduledDisplayTests(AdminTestCase):
    def test_scheduled_time_is_shown(self):
        """The page says when a scheduled briefing will appear."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        workflow.publish(briefing, self.editor, at=timezone.now() + datetime.timedelta(days=1))
        self.client.force_login(self.editor)
        response = self.client.get(change_url(briefing))
        self.assertContains(response, "scheduled for")
        self.assertEqual(self.steps_shown(self.editor, briefing), ["unpublish"])


class ObjectCheckTests(AdminTestCase):
    """Every custom admin page and button asks the workflow about this briefing, not only about the model."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_analyst = make_user("other_analyst", "Analyst")

    def setUp(self):
        self.draft = make_briefing(self.analyst, title="Draft of one analyst")
        self.retracted = published(make_briefing(self.analyst, title="Withdrawn"), self.analyst, self.editor)
        workflow.retract(self.retracted, self.editor, reason="The deal was never signed.")
        self.retracted = fresh(self.retracted)

    def test_history_and_compare_are_read_only_views_for_any_colleague(self):
        """Colleagues may read any briefing's history (everyone on staff may view briefings) but not revert it."""
        self.client.force_login(self.other_analyst)
        history = self.client.get(reverse("admin:briefings_briefing_revisions", args=[self.draft.pk]))
        self.assertEqual(history.status_code, 200)
        self.assertFalse(history.context["may_revert"])

    def test_revert_of_another_analysts_briefing_is_refused_with_the_reason(self):
        """An analyst opening a colleague's revert page sees why they may not, and posting changes nothing."""
        self.client.force_login(self.other_analyst)
        url = reverse("admin:briefings_briefing_revert", args=[self.draft.pk, 1])
        page = self.client.get(url)
        self.assertContains(page, "You can only edit briefings you are an author of.")
        self.assertNotContains(page, 'value="Revert to revision 1"')
        response = self.client.post(url, {"version": self.draft.version})
        self.assertContains(response, "You can only edit briefings you are an author of.")
        self.assertEqual(fresh(self.draft).revisions.count(), 1)

    def test_revert_of_a_retracted_briefing_is_refused(self):
        """Even an editor cannot revert a retracted briefing; the page says so."""
        self.client.force_login(self.editor)
        url = reverse("admin:briefings_briefing_revert", args=[self.retracted.pk, 1])
        response = self.client.post(url, {"version": self.retracted.version})
        self.assertContains(response, "A retracted briefing cannot be edited.")
        self.assertEqual(fresh(self.retracted).version, self.retracted.version)

    def test_preview_link_refused_per_briefing(self):
        """A colleague's draft and a retracted briefing give no preview link, and the message says why."""
        cases = [
            (self.other_analyst, self.draft, "Only an author of this briefing or an editor"),
            (self.editor, self.retracted, "A retracted briefing cannot be previewed"),
            (self.analyst, self.retracted, "A retracted briefing cannot be previewed"),
        ]
        for user, briefing, reason in cases:
            with self.subTest(user=user.username, briefing=briefing.title):
                self.client.force_login(user)
                response = self.client.post(
                    reverse("admin:briefings_briefing_preview_link", args=[briefing.pk]), follow=True
                )
                [message] = messages_of(response)
                self.assertIn("No preview link was made", message)
                self.assertIn(reason, message)
                self.assertNotIn("/preview/", message)

    def test_preview_link_allowed_for_author_and_editor(self):
        """The author and an editor both get a link to a draft."""
        for user in (self.analyst, self.editor):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                response = self.client.post(
                    reverse("admin:briefings_briefing_preview_link", args=[self.draft.pk]), follow=True
                )
                self.assertIn("http://testserver/preview/", messages_of(response)[-1])

    def test_step_page_says_why_before_the_user_types(self):
        """Opening a step the user may not take on this briefing shows the reason at once."""
        self.client.force_login(self.other_analyst)
        response = self.client.get(step_url(self.draft, "submit"))
        self.assertContains(response, "Only an author of this briefing can submit it for review.")
        self.client.force_login(self.editor)
        response = self.client.get(step_url(self.retracted, "correct"))
        self.assertContains(response, "A retracted briefing cannot be corrected.")

    def test_step_on_a_retracted_briefing_is_refused(self):
        """Posting a step on a retracted briefing changes nothing and names the reason."""
        self.client.force_login(self.editor)
        response = self.client.post(step_url(self.retracted, "retract"), {"version": self.retracted.version,
                                                                          "reason": "Again."})
        self.assertContains(response, "already retracted")
        self.assertEqual(fresh(self.retracted).events.count(), self.retracted.events.count())

    def test_inbox_is_offered_to_reviewers_only(self):
        """Analysts have no review inbox; an editor's leaves out what they saved themselves."""
        workflow.submit(self.draft, self.analyst)
        self.client.force_login(self.other_analyst)
        response = self.client.get(reverse("admin:briefings_briefing_changelist"))
        self.assertNotIn("review inbox", [spec.title for spec in response.context["cl"].filter_specs])
        edited = make_briefing(self.analyst, title="Edited by the editor")
        edited.dek = "Changed by the editor."
        edited.save()
        workflow.record_edit(edited, self.editor)
        workflow.submit(edited, self.analyst)
        self.client.force_login(self.editor)
        response = self.client.get(reverse("admin:briefings_briefing_changelist"), {"inbox": "mine"})
        self.assertEqual([b.title for b in response.context["cl"].result_list], ["Draft of one analyst"])


class KeptTextTests(AdminTestCase):
    """A save that meets a workflow step taken meanwhile answers with the form, the reason and the person's text."""

    typed_body = "The deal was signed on a rainy Monday in Baku.[^a]"
    typed_title = "A title the analyst typed"

    def open_form(self, user, briefing):
        self.client.force_login(user)
        page = self.client.get(change_url(briefing))
        self.assertEqual(page.status_code, 200)
        data = form_data(page.content.decode(), "briefing_form")
        data["body"] = [self.typed_body]
        data["title"] = [self.typed_title]
        return data

    def assert_text_back(self, response, reason):
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, reason)
        form = response.context["adminform"].form
        self.assertEqual(form.data["body"], self.typed_body)
        self.assertContains(response, self.typed_body)
        self.assertContains(response, self.typed_title)
        self.assertContains(response, "signed a transit agreement")  # the citation's quote, as posted

    def test_retraction_meanwhile(self):
        """An editor retracts while the analyst edits: the analyst gets the form back with the reason and their text."""
        briefing = published(make_briefing(self.analyst), self.analyst, self.editor)
        data = self.open_form(self.analyst, briefing)
        workflow.retract(fresh(briefing), self.editor, reason="Withdrawn.")
        response = self.client.post(change_url(briefing), data)
        self.assert_text_back(response, "A retracted briefing cannot be edited.")
        self.assertNotEqual(fresh(briefing).body, self.typed_body)

    def test_publication_meanwhile(self):
        """An editor publishes while the analyst edits: the save is refused as stale, with who did it and the text."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        data = self.open_form(self.analyst, briefing)
        workflow.publish(fresh(briefing), self.editor)
        response = self.client.post(change_url(briefing), data)
        self.assert_text_back(response, "saved a newer version")
        self.assertContains(response, f"{self.editor.username} saved a newer version")
        self.assertContains(response, "(published).")
        self.assertEqual(fresh(briefing).status, Status.PUBLISHED)

    def test_removal_as_author_meanwhile(self):
        """Removed from the byline while editing: the form comes back saying so, with the text."""
        briefing = make_briefing(self.analyst)
        briefing.authors.add(self.editor)
        data = self.open_form(self.analyst, briefing)
        briefing.authors.remove(self.analyst)
        response = self.client.post(change_url(briefing), data)
        self.assert_text_back(response, "You can only edit briefings you are an author of.")
        self.assertNotEqual(fresh(briefing).body, self.typed_body)

    def test_new_version_by_someone_else_meanwhile(self):
        """Someone else saves first: the form comes back naming them, with the text."""
        briefing = make_briefing(self.analyst)
        data = self.open_form(self.analyst, briefing)
        newer = fresh(briefing)
        newer.dek = "The editor's summary."
        newer.save()
        workflow.record_edit(newer, self.editor)
        response = self.client.post(change_url(briefing), data)
        self.assert_text_back(response, "saved a newer version")
        self.assertEqual(fresh(briefing).dek, "The editor's summary.")
