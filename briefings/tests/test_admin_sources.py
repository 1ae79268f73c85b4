from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.urls import reverse

from briefings import workflow
from briefings.models import BriefingEvent, Citation, SourceChange
from sources.importer import import_text
from sources.models import SourceVersion

from .factories import ARTICLE, Newsroom, changed_article, fresh, make_source, make_user, passage

Status = Citation.Status
SIGNED = "signed a transit agreement"
COOPERATION = "regional cooperation should not exclude Russia"
QUEUE = "/admin/briefings/sourcechange/"


class SourceChangesAdminTestCase(TestCase):
    """A published briefing and a draft citing a source that an editor then imports again."""

    def setUp(self):
        self.newsroom = Newsroom()
        self.source = make_source()
        cited = [(passage(self.source, 1), SIGNED), (passage(self.source, 3), COOPERATION)]
        self.published = self.newsroom.published(cited, title="Transit deal signed")
        gas = [(passage(self.source, 2), "carry gas from the Caspian")]
        self.untouched = self.newsroom.published(gas, title="Gas line")
        self.chief = make_user("chief", "Editor")
        import_text(self.source, changed_article(), by=self.chief)

    def citation(self, label):
        return Citation.objects.get(briefing=self.published, label=label)


class BannerAndFilterTests(SourceChangesAdminTestCase):
    def test_change_page_shows_a_banner_naming_the_citations(self):
        """The briefing's page tells whoever opens it which citations a source change left to check."""
        self.client.force_login(self.newsroom.analyst)
        response = self.client.get(reverse("admin:briefings_briefing_change", args=[self.published.pk]))
        self.assertContains(response, "A cited source changed: 2 citations need attention")
        self.assertContains(response, "[^n1] re-anchored")
        self.assertContains(response, "[^n2] orphaned")
        # The analyst wrote it: no confirmation button for them, and no link to the editors' queue.
        self.assertNotContains(response, "Confirm the new place")
        self.assertNotContains(response, 'href="/admin/briefings/sourcechange/"')

    def test_an_editor_confirms_from_the_banner(self):
        """An editor who did not write the briefing confirms the moved quote from its page and comes back to it."""
        self.client.force_login(self.chief)
        url = reverse("admin:briefings_briefing_change", args=[self.published.pk])
        self.assertContains(self.client.get(url), "Confirm the new place", count=1)
        citation = self.citation("n1")
        response = self.client.post(f"{QUEUE}confirm/", {"citation": citation.pk, "next": url})
        self.assertRedirects(response, url, fetch_redirect_response=False)
        self.assertEqual(self.citation("n1").status, Status.OK)

    def test_briefing_without_changed_citations_has_no_banner(self):
        """A briefing whose citations the import left alone shows no banner."""
        self.client.force_login(self.chief)
        response = self.client.get(reverse("admin:briefings_briefing_change", args=[self.untouched.pk]))
        self.assertNotContains(response, "A cited source changed")

    def test_list_filter_finds_briefings_whose_citations_need_attention(self):
        """The briefing list filters down to briefings with re-anchored or orphaned citations."""
        self.client.force_login(self.chief)
        response = self.client.get(reverse("admin:briefings_briefing_changelist"), {"citations": "attention"})
        self.assertContains(response, "citations need attention")
        self.assertContains(response, "Transit deal signed")
        self.assertNotContains(response, "Gas line")


class QueueTests(SourceChangesAdminTestCase):
    def test_queue_lists_the_import_with_counts_and_old_and_new_words(self):
        """The queue shows the import, its counts, each citation's old and new words and how long it has waited."""
        self.client.force_login(self.newsroom.editor)
        response = self.client.get(QUEUE)
        self.assertContains(response, f"{self.source.display_title}, source version 2")
        self.assertContains(response, "by chief")
        self.assertContains(response, "1 briefing:")
        self.assertContains(response, "1 re-anchored, 1 orphaned, 0 restored, 0 confirmed; 2 waiting.")
        self.assertContains(response, f"“{SIGNED}”")
        self.assertContains(response, "<ins>After a night of talks, officials</ins>")
        self.assertContains(response, f"“{COOPERATION}”")
        self.assertContains(response, "0\xa0minutes")

    def test_queue_query_count_does_not_grow_with_changes(self):
        """The queue costs the same number of queries whatever the number of waiting citations."""
        self.client.force_login(self.newsroom.editor)
        self.client.get(QUEUE)
        # Session and user (2); the editor's permissions, their own and their groups' (2); the waiting changes
        # with their briefing, citation, source, version, passages and importer (1); which of the listed
        # briefings this editor wrote (1); the imports' totals (1); the sources imported more than once (1).
        with self.assertNumQueries(8):
            self.client.get(QUEUE)
        gas = [(passage(self.source, 2), "carry gas from the Caspian")]
        more = self.newsroom.published(gas, title="Another gas line")
        import_text(self.source, changed_article().replace("carry gas from", "bring gas from"), by=self.chief)
        self.assertTrue(SourceChange.objects.pending().filter(briefing=more).exists())
        with self.assertNumQueries(8):
            self.client.get(QUEUE)

    def test_confirmed_citations_leave_the_queue_and_count_as_confirmed(self):
        """After confirmation the moved quote no longer waits, and the import's counts say it was confirmed."""
        workflow.confirm_reanchoring(self.citation("n1"), by=self.newsroom.editor)
        self.client.force_login(self.newsroom.editor)
        response = self.client.get(QUEUE)
        self.assertContains(response, "1 re-anchored, 1 orphaned, 0 restored, 1 confirmed; 1 waiting.")
        self.assertNotContains(response, "Confirm the new place")

    def test_analysts_do_not_see_the_queue(self):
        """The queue is the editors' desk: analysts are refused and do not find it in the admin's index."""
        self.client.force_login(self.newsroom.analyst)
        self.assertEqual(self.client.get(QUEUE).status_code, 403)
        self.assertNotContains(self.client.get("/admin/"), "Source changes")

    def test_confirming_through_the_queue_checks_the_citation_not_only_the_role(self):
        """An editor who wrote the briefing is refused when posting a confirmation, and nothing changes."""
        self.published.authors.add(self.newsroom.editor)
        self.client.force_login(self.newsroom.editor)
        response = self.client.post(f"{QUEUE}confirm/", {"citation": self.citation("n1").pk})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.citation("n1").status, Status.REANCHORED)

    def test_confirm_refuses_an_orphan_with_a_message(self):
        """Posting a confirmation for an orphaned citation explains there is no new place, and changes nothing."""
        self.client.force_login(self.chief)
        response = self.client.post(f"{QUEUE}confirm/", {"citation": self.citation("n2").pk}, follow=True)
        self.assertContains(response, "there is no new place to confirm")
        self.assertEqual(self.citation("n2").status, Status.ORPHANED)

    def test_confirm_ignores_an_outside_next_address(self):
        """A confirmation never redirects to another site."""
        self.client.force_login(self.chief)
        response = self.client.post(
            f"{QUEUE}confirm/", {"citation": self.citation("n1").pk, "next": "https://evil.example/"}
        )
        self.assertRedirects(response, QUEUE, fetch_redirect_response=False)


class WithholdAndRestoreTests(SourceChangesAdminTestCase):
    def version(self, number):
        return SourceVersion.objects.get(source=self.source, number=number)

    def test_an_editor_withholds_a_version_with_a_reason(self):
        """An editor withholds a version: it is dated with its reason, and each briefing quoting it records it."""
        self.client.force_login(self.chief)
        url = f"{QUEUE}versions/{self.version(1).pk}/withhold/"
        self.assertContains(self.client.get(url), "Transit deal signed")
        response = self.client.post(url, {"reason": "A named source is at risk."})
        self.assertRedirects(response, f"{QUEUE}sources/{self.source.pk}/", fetch_redirect_response=False)
        version = self.version(1)
        self.assertEqual((version.withheld_reason, version.withheld_by), ("A named source is at risk.", self.chief))
        self.assertIsNotNone(version.withheld_at)
        event = BriefingEvent.objects.get(briefing=self.published, action=BriefingEvent.Action.SOURCE_WITHHELD)
        self.assertIn("A named source is at risk.", event.comment)

    def test_withholding_needs_a_reason(self):
        """Withholding without a reason is refused and nothing is withheld."""
        self.client.force_login(self.chief)
        response = self.client.post(f"{QUEUE}versions/{self.version(1).pk}/withhold/", {"reason": "  "})
        self.assertContains(response, "This field is required")
        self.assertIsNone(self.version(1).withheld_at)

    def test_readers_no_longer_see_a_withheld_quote_but_the_admin_does(self):
        """After withholding, the published footnotes drop the quoted words; the admin still shows the quote."""
        workflow.withhold_source_version(self.version(1), by=self.chief, reason="A defamation claim.")
        published_html = fresh(self.published).published_revision.body_html
        self.assertNotIn(SIGNED, published_html)
        self.assertIn("The quoted words are withheld.", published_html)
        page = self.client.get(self.published.get_absolute_url()).content.decode()
        footnotes = page[page.index('<section class="footnotes"'):]
        self.assertNotIn(SIGNED, footnotes)
        self.client.force_login(self.chief)
        admin_page = self.client.get(reverse("admin:briefings_briefing_change", args=[self.published.pk]))
        self.assertContains(admin_page, SIGNED)

    def test_analysts_may_not_withhold_or_restore(self):
        """Analysts are refused withholding and restoring, in the admin and in the workflow, and nothing changes."""
        analyst = self.newsroom.analyst
        self.client.force_login(analyst)
        for url, data in (
            (f"{QUEUE}versions/{self.version(1).pk}/withhold/", {"reason": "No."}),
            (f"{QUEUE}versions/{self.version(1).pk}/restore/", {"expected_version": 2}),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.post(url, data).status_code, 403)
        with self.assertRaises(PermissionDenied):
            workflow.withhold_source_version(self.version(1), by=analyst, reason="No.")
        with self.assertRaises(PermissionDenied):
            workflow.restore_source_version(self.version(1), by=analyst)
        self.assertIsNone(self.version(1).withheld_at)
        self.assertEqual(self.source.versions.count(), 2)

    def test_restoring_an_earlier_version_undoes_a_replacement(self):
        """One step brings back the earlier text as a new version; the citations it had orphaned come back."""
        self.client.force_login(self.chief)
        url = f"{QUEUE}versions/{self.version(1).pk}/restore/"
        self.assertContains(self.client.get(url), "as version 3")
        response = self.client.post(url, {"expected_version": 2})
        self.assertRedirects(response, f"{QUEUE}sources/{self.source.pk}/", fetch_redirect_response=False)
        self.source.refresh_from_db()
        self.assertEqual(self.source.text, "\n".join(ARTICLE) + "\n")
        latest = self.source.current_version()
        self.assertEqual((latest.number, latest.restored_from_id, latest.imported_by), (3, self.version(1).pk,
                                                                                       self.chief))
        self.assertEqual(self.citation("n2").status, Status.OK)
        self.assertTrue(SourceChange.objects.filter(briefing=self.published, outcome="restored").exists())

    def test_a_stale_restore_is_refused(self):
        """Restoring from a page that showed an older current version is refused with a message; nothing is written."""
        self.client.force_login(self.chief)
        response = self.client.post(f"{QUEUE}versions/{self.version(1).pk}/restore/", {"expected_version": 1})
        self.assertContains(response, "preview it again")
        self.assertEqual(self.source.versions.count(), 2)

    def test_the_current_or_a_withheld_version_cannot_be_restored(self):
        """Restoring the text already current, or words that are withheld, is refused."""
        with self.assertRaises(workflow.WorkflowError):
            workflow.restore_source_version(self.version(2), by=self.chief)
        workflow.withhold_source_version(self.version(1), by=self.chief, reason="A named person at risk.")
        with self.assertRaises(workflow.WorkflowError):
            workflow.restore_source_version(self.version(1), by=self.chief)

    def test_versions_page_offers_editors_what_they_may_do(self):
        """The versions page lists every version with withhold and restore for editors."""
        self.client.force_login(self.chief)
        response = self.client.get(f"{QUEUE}sources/{self.source.pk}/")
        self.assertContains(response, "2 (current)")
        self.assertContains(response, "Withhold…", count=2)
        self.assertContains(response, "Restore…", count=1)
