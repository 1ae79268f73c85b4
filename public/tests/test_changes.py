"""What changed: each republication of a briefing, its correction and the words that changed between published texts."""
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from briefings import workflow
from briefings.models import Citation, Correction
from briefings.tests.factories import Newsroom, cite, make_source, make_user, passage
from public import caching

from .base import PublicSiteTestCase


def changes_url(briefing):
    return f"/briefings/{briefing.slug}/changes/"


class ChangesTestCase(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(title="Baku signs transit deal")
        cls.briefing = cls.newsroom.published(
            [(passage(cls.source, 1), "signed a transit agreement")],
            title="Baku signs a transit agreement",
            dek="The deal ends months of talks.",
            body="Officials signed the deal on Monday in Baku.[^n1]\n\nMoscow said nothing.",
        )

    def get(self, briefing=None):
        response = self.client.get(changes_url(briefing or self.briefing))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def correct_the_day(self, **options):
        """Republish with "Monday" changed to "Tuesday", a new summary and a second quote, as a correction."""
        cite(self.briefing, passage(self.source, 3), "Moscow reacted cautiously", label="n2", order=1)
        return self.newsroom.republished(
            self.briefing,
            correction="An earlier version gave the wrong day for the signing.",
            dek="The deal ends a year of talks.",
            body="Officials signed the deal on Tuesday in Baku.[^n1]\n\nMoscow said nothing.[^n2]",
            **options,
        )


class WhatChangedTests(ChangesTestCase):
    def test_a_correction_shows_the_words_that_changed(self):
        """A reader of a correction sees the old word struck out and the new one marked, in the published text."""
        self.correct_the_day()
        html = self.get()
        self.assertIn("An earlier version gave the wrong day for the signing.", html)
        self.assertIn('<del><span class="visually-hidden">[removed: </span>Monday', html)
        self.assertIn('<ins><span class="visually-hidden">[added: </span>Tuesday', html)
        # Unchanged paragraphs are left out; markers read as the numbers readers saw, not the Markdown labels.
        self.assertNotIn("Moscow said nothing.</p>", html)
        self.assertNotIn("[^n1]", html)
        self.assertIn("[1]", html)

    def test_summary_and_citations_added_are_listed(self):
        """A changed summary and a newly quoted source are shown, so a reader knows what the correction touched."""
        self.correct_the_day()
        html = self.get()
        self.assertIn("The deal ends months of talks.", html)
        self.assertIn("The deal ends a year of talks.", html)
        self.assertIn("Added a quote: <ins>“Moscow reacted cautiously”</ins>", html)

    def test_citations_removed_and_changed_are_listed(self):
        """A quote dropped and a quote narrowed both show up, with the words before and after."""
        cite(self.briefing, passage(self.source, 3), "Moscow reacted cautiously", label="n2", order=1)
        self.briefing = self.newsroom.republished(
            self.briefing, minor=True, body="Officials signed the deal on Monday in Baku.[^n1] Moscow.[^n2]"
        )
        Citation.objects.filter(briefing=self.briefing, label="n2").delete()
        first = Citation.objects.get(briefing=self.briefing, label="n1")
        first.quote = "a transit agreement"
        first.save()
        self.newsroom.republished(
            self.briefing, correction="The quote was longer than the source's words.",
            body="Officials signed the deal on Monday in Baku.[^n1]",
        )
        html = self.get()
        self.assertIn("Removed a quote: <del>“Moscow reacted cautiously”</del>", html)
        self.assertIn("“signed a transit agreement”</del>", html)
        self.assertIn("“a transit agreement”</ins>", html)
        self.assertIn("A minor update: no correction was needed.", html)

    def test_the_first_publication_has_nothing_to_compare(self):
        """A briefing never republished says so, rather than showing an empty or invented difference."""
        html = self.get()
        self.assertIn("First published", html)
        self.assertIn("there is nothing earlier to compare it with", html)
        self.assertNotIn("<del>", html)

    def test_the_briefing_page_and_the_corrections_list_link_to_the_difference(self):
        """Every public correction leads a reader to what it changed."""
        self.correct_the_day()
        correction = Correction.objects.get(briefing=self.briefing)
        link = f'href="{changes_url(self.briefing)}#correction-{correction.pk}"'
        self.assertIn(link, self.client.get(self.briefing.get_absolute_url()).content.decode())
        self.assertIn(link, self.client.get("/corrections/").content.decode())
        self.assertIn(f'id="correction-{correction.pk}"', self.get())

    def test_conditional_get_answers_not_modified(self):
        """Browsers and caches revalidate the page cheaply, like every public page."""
        response = self.client.get(changes_url(self.briefing))
        self.assertTrue(response["ETag"])
        again = self.client.get(changes_url(self.briefing), headers={"if-none-match": response["ETag"]})
        self.assertEqual(again.status_code, 304)


    def count_queries(self):
        cache.clear()
        caching.forget_public_state()
        with CaptureQueriesContext(connection) as captured:
            self.get()
        return len(captured)

    def test_more_republications_cost_no_more_queries(self):
        """A briefing corrected many times opens as fast as one corrected once."""
        self.correct_the_day()
        once = self.count_queries()
        for day in ("Wednesday", "Thursday"):
            cite(self.briefing, passage(self.source, 4), "expect tariffs to fall", label=day, order=5)
            self.briefing = self.newsroom.republished(
                self.briefing, correction=f"The day was {day}.",
                body=f"Officials signed the deal on {day}.[^n1][^{day}]\n\nMoscow said nothing.[^n2]",
            )
            Citation.objects.filter(briefing=self.briefing, label=day).delete()
        self.assertIn("Thursday", self.get())
        # The same six queries as test_query_budgets.test_changes, for three corrections as for one.
        self.assertEqual((once, self.count_queries()), (6, 6))


class OnlyPublishedTextTests(ChangesTestCase):
    def test_a_pending_edit_and_an_unpublished_revision_never_appear(self):
        """Words of a draft, of the working copy or of a revision approved but not published are never compared."""
        self.correct_the_day()
        self.briefing.title = "Quagmirecanary title"
        self.briefing.body = "Officials signed the deal on Zanzibarcanary day.[^n1]\n\nMoscow said nothing.[^n2]"
        self.briefing.save()
        workflow.record_edit(self.briefing, self.newsroom.analyst)
        workflow.submit(self.briefing, self.newsroom.analyst)
        workflow.approve(self.briefing, self.newsroom.editor)
        self.briefing.body = "Officials signed the deal on Workingcanary day."
        self.briefing.save()
        html = self.get()
        for canary in ("Quagmirecanary", "Zanzibarcanary", "Workingcanary"):
            self.assertNotIn(canary, html)
        self.assertIn("Tuesday", html)

    def test_words_that_sanitising_removed_never_appear(self):
        """A comment or raw HTML in a published revision's Markdown, never shown on its page, is not shown here."""
        self.newsroom.republished(
            self.briefing,
            correction="The day was wrong.",
            body="Officials signed the deal on Tuesday in Baku.[^n1] <!-- Hiddencanary note -->\n\n"
                 "<script>Scriptcanary()</script>Moscow said nothing.",
        )
        html = self.get()
        self.assertIn("Tuesday", html)
        self.assertNotIn("Hiddencanary", html)
        self.assertNotIn("Scriptcanary", html)

    def test_a_cancelled_schedule_shows_no_text(self):
        """A briefing scheduled, cancelled and published later shows only the text readers were given."""
        newsroom = Newsroom()
        briefing = newsroom.scheduled(
            [(passage(self.source, 1), "signed a transit agreement")], body="Schedcanary claim.[^n1]"
        )
        workflow.unpublish(briefing, newsroom.editor)
        self.assertEqual(self.client.get(changes_url(briefing)).status_code, 404)

    def test_a_withheld_difference_keeps_the_note_but_not_the_words(self):
        """A correction made for legal reasons stays public, but the words it removed are repeated nowhere."""
        self.briefing = self.newsroom.republished(
            self.briefing, minor=True,
            body="Officials signed the deal on Monday in Baku.[^n1] Mr Libelcanary took bribes.\n\nMoscow said it.",
        )
        self.newsroom.republished(
            self.briefing,
            correction="We removed a claim about a named official.",
            body="Officials signed the deal on Monday in Baku.[^n1]\n\nMoscow said nothing.",
        )
        correction = Correction.objects.get(briefing=self.briefing)
        self.assertIn("Libelcanary", self.get(), "the check below would see the words")
        workflow.withhold_difference(correction, self.newsroom.editor)
        html = self.get()
        self.assertIn("We removed a claim about a named official.", html)
        self.assertIn("not shown, for legal or safety reasons", html)
        self.assertNotIn("Libelcanary", html)


class RetractionTests(ChangesTestCase):
    def test_a_retracted_briefing_links_to_its_last_published_text(self):
        """After a retraction, the page says so and leads to the text as last published."""
        self.correct_the_day()
        workflow.retract(self.briefing, self.newsroom.editor, reason="The agreement was never signed.")
        html = self.get()
        self.assertIn("This briefing has been retracted", html)
        self.assertIn("The agreement was never signed.", html)
        self.assertIn(f'<a href="{self.briefing.get_absolute_url()}">last published text</a>', html)
        self.assertIn("Tuesday", html)


class WithholdingTests(ChangesTestCase):
    def setUp(self):
        super().setUp()
        self.correct_the_day()
        self.correction = Correction.objects.get(briefing=self.briefing)

    def test_an_analyst_cannot_withhold_a_difference(self):
        """Only editors decide that readers may not see what changed."""
        with self.assertRaises(PermissionDenied):
            workflow.withhold_difference(self.correction, self.newsroom.analyst)
        self.correction.refresh_from_db()
        self.assertFalse(self.correction.difference_withheld)

    def test_a_retraction_has_no_difference_to_withhold(self):
        """The admin refuses to mark a retraction, which shows no changed words, and says why."""
        workflow.retract(self.briefing, self.newsroom.editor, reason="The agreement was never signed.")
        retraction = Correction.objects.get(briefing=self.briefing, kind=Correction.Kind.RETRACTION)
        with self.assertRaises(workflow.WorkflowError):
            workflow.withhold_difference(retraction, self.newsroom.editor)

    def test_an_editor_withholds_and_shows_again_from_the_admin(self):
        """The corrections admin offers editors the choice, checks each correction, and the public page follows."""
        self.newsroom.editor.set_password("pw")
        self.newsroom.editor.is_staff = True
        self.newsroom.editor.save()
        self.client.force_login(self.newsroom.editor)
        retraction_briefing = Newsroom().retracted([(passage(self.source, 1), "signed a transit agreement")])
        retraction = Correction.objects.get(briefing=retraction_briefing)
        response = self.client.post(
            "/admin/briefings/correction/",
            {"action": "withhold_difference", "_selected_action": [self.correction.pk, retraction.pk]},
            follow=True,
        )
        self.assertContains(response, "nothing to withhold")
        self.assertContains(response, "The changed words of 1 correction(s) are now withheld from readers.")
        self.correction.refresh_from_db()
        self.assertTrue(self.correction.difference_withheld)
        self.client.logout()
        self.assertNotIn("Monday</del>", self.get())

    def test_the_admin_action_is_not_offered_without_the_permission(self):
        """Staff who may only look at corrections do not get the buttons to hide their differences."""
        viewer = make_user("viewer", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_correction"))
        self.client.force_login(viewer)
        response = self.client.get("/admin/briefings/correction/")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "withhold_difference")
        response = self.client.post(
            "/admin/briefings/correction/",
            {"action": "withhold_difference", "_selected_action": [self.correction.pk]},
        )
        self.correction.refresh_from_db()
        self.assertFalse(self.correction.difference_withheld)
