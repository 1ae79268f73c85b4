from io import StringIO

from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import TestCase

from briefings import workflow
from briefings.models import BriefingEvent, Citation, SourceChange
from sources.importer import import_text
from sources.tests.factories import TemporaryFolder

from .factories import ARTICLE, Newsroom, changed_article, fresh, make_source, make_user, passage

Status = Citation.Status
Action = BriefingEvent.Action
SIGNED = "signed a transit agreement"
COOPERATION = "regional cooperation should not exclude Russia"


class ChangingSourceTestCase(TestCase):
    """A source cited by a published briefing, one in review and a draft, and an import that changes it."""

    def setUp(self):
        self.newsroom = Newsroom()
        self.source = make_source()
        cited = [(passage(self.source, 1), SIGNED), (passage(self.source, 3), COOPERATION)]
        self.published = self.newsroom.published(cited, title="Transit deal signed")
        self.in_review = self.newsroom.in_review(cited, title="Transit deal under review")
        self.draft = self.newsroom.draft(cited, title="Transit deal draft")
        self.chief = make_user("chief", "Editor")

    def change_source(self, by=None, **changes):
        """Import a version that moves the first quote within its paragraph and rewords the second."""
        return import_text(self.source, changed_article(**changes), by=by)

    def citation(self, briefing, label):
        return Citation.objects.get(briefing=briefing, label=label)


class RecordTests(ChangingSourceTestCase):
    def test_import_records_each_changed_citation_of_watched_briefings_for_the_queue(self):
        """Editors find every moved or orphaned citation of briefings in review or published in the queue."""
        self.change_source(by=self.chief)
        rows = SourceChange.objects.pending().order_by("briefing__title", "label")
        self.assertEqual(
            [(row.briefing.title, row.label, row.outcome) for row in rows],
            [
                ("Transit deal signed", "n1", "reanchored"),
                ("Transit deal signed", "n2", "orphaned"),
                ("Transit deal under review", "n1", "reanchored"),
                ("Transit deal under review", "n2", "orphaned"),
            ],
        )
        version = self.source.current_version()
        self.assertTrue(all(row.source_version_id == version.pk for row in rows))
        self.assertEqual(rows[0].old_quote, SIGNED)
        self.assertEqual(rows[0].new_quote, SIGNED)
        self.assertFalse(SourceChange.objects.filter(briefing=self.draft).exists())

    def test_import_writes_one_event_per_briefing_naming_the_citations(self):
        """The briefing's record says which citations the import changed, and who imported."""
        self.change_source(by=self.chief)
        event = BriefingEvent.objects.get(briefing=self.published, action=Action.SOURCE_CHANGED)
        self.assertEqual(event.actor, self.chief)
        self.assertIn("version 2", event.comment)
        self.assertIn("[^n1] re-anchored", event.comment)
        self.assertIn("[^n2] orphaned", event.comment)
        self.assertEqual(BriefingEvent.objects.filter(briefing=self.in_review, action=Action.SOURCE_CHANGED).count(), 1)
        self.assertFalse(BriefingEvent.objects.filter(briefing=self.draft, action=Action.SOURCE_CHANGED).exists())

    def test_command_line_import_records_the_import_command_as_actor(self):
        """An import run from the command line is recorded, with the import command named as who did it."""
        folder = TemporaryFolder(self)
        folder.write("sources.toml", f'[sources."article.txt"]\nslug = "{self.source.slug}"\n')
        folder.write("article.txt", changed_article())
        call_command("import_sources", str(folder.path), stdout=StringIO())
        event = BriefingEvent.objects.get(briefing=self.published, action=Action.SOURCE_CHANGED)
        self.assertIsNone(event.actor)
        self.assertEqual(event.actor_name, "the import command")
        self.assertIn("by the import command", str(event))

    def test_restored_citations_are_counted_and_close_the_orphan(self):
        """Importing the right text again restores orphaned citations, counts them, and empties the queue of them."""
        self.change_source()
        result = import_text(self.source, "\n".join(ARTICLE) + "\n")
        # The reworded quote [^n2] of each of the three briefings is back at its place.
        self.assertEqual(result.citations["restored"], 3)
        self.assertEqual(self.citation(self.published, "n2").status, Status.OK)
        self.assertFalse(SourceChange.objects.pending().filter(label="n2").exists())
        self.assertEqual(
            SourceChange.objects.filter(outcome=SourceChange.Outcome.RESTORED, briefing=self.published).count(), 1
        )
        superseded = SourceChange.objects.get(briefing=self.published, label="n2", outcome="orphaned")
        self.assertEqual(superseded.resolution, SourceChange.Resolution.SUPERSEDED)

    def test_check_citations_keeps_working(self):
        """Scripts that run check_citations still fail on an orphan in a published briefing after an import."""
        self.change_source()
        out = StringIO()
        with self.assertRaisesMessage(CommandError, "1 citation(s) of published briefings"):
            call_command("check_citations", stdout=out)
        self.assertIn("citation(s) checked", out.getvalue())


class EmailTests(ChangingSourceTestCase):
    def test_authors_and_editors_get_one_email_per_import(self):
        """One import that changes several citations sends each person one email listing them, once it commits."""
        with self.captureOnCommitCallbacks(execute=True):
            self.change_source(by=self.chief)
        recipients = sorted(address for message in mail.outbox for address in message.to)
        self.assertEqual(recipients, sorted([self.newsroom.analyst.email, self.newsroom.editor.email]))
        to_analyst = next(message for message in mail.outbox if message.to == [self.newsroom.analyst.email])
        self.assertIn("2 briefing(s)", to_analyst.subject)
        for words in ("Transit deal signed", "Transit deal under review", "[^n1] re-anchored", "[^n2] orphaned"):
            self.assertIn(words, to_analyst.body)
        self.assertNotIn("Transit deal draft", to_analyst.body)
        self.assertIn("/admin/briefings/sourcechange/", to_analyst.body)

    def test_nothing_is_sent_before_the_import_commits(self):
        """No email goes out while the import's transaction is still open."""
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            self.change_source(by=self.chief)
            self.assertEqual(mail.outbox, [])
        for callback in callbacks:
            callback()
        self.assertEqual(len(mail.outbox), 2)

    def test_an_import_that_rolls_back_sends_nothing_and_leaks_nothing_into_the_next(self):
        """An import undone by an error sends no email, and the next import's email lists only its own changes."""
        with self.captureOnCommitCallbacks(execute=True):
            try:
                with transaction.atomic():
                    self.change_source(by=self.chief)
                    raise RuntimeError("the import failed after re-anchoring")
            except RuntimeError:
                pass
        self.assertEqual(mail.outbox, [])
        with self.captureOnCommitCallbacks(execute=True):
            self.change_source(by=self.chief)
        to_analyst = [message for message in mail.outbox if message.to == [self.newsroom.analyst.email]]
        self.assertEqual(len(to_analyst), 1)
        self.assertEqual(to_analyst[0].body.count("Transit deal signed"), 1)


class ConfirmReanchoringTests(ChangingSourceTestCase):
    def test_an_editor_confirms_the_new_place(self):
        """An editor who did not write the briefing confirms a moved quote: it is ok again, recorded, off the queue."""
        self.change_source()
        citation = self.citation(self.published, "n1")
        event = workflow.confirm_reanchoring(citation, by=self.chief)
        self.assertEqual(self.citation(self.published, "n1").status, Status.OK)
        self.assertEqual((event.action, event.actor), (Action.REANCHORING_CONFIRMED, self.chief))
        self.assertIn("[^n1]", event.comment)
        change = SourceChange.objects.get(citation=citation)
        self.assertEqual((change.resolution, change.resolved_by), (SourceChange.Resolution.CONFIRMED, self.chief))
        self.assertFalse(SourceChange.objects.pending().filter(citation=citation).exists())

    def test_the_briefings_own_author_may_not_confirm(self):
        """An editor who wrote the briefing cannot confirm its moved quotes: a second pair of eyes must."""
        self.published.authors.add(self.chief)
        self.change_source()
        with self.assertRaises(PermissionDenied):
            workflow.confirm_reanchoring(self.citation(self.published, "n1"), by=self.chief)
        self.assertEqual(self.citation(self.published, "n1").status, Status.REANCHORED)

    def test_an_analyst_may_not_confirm(self):
        """Analysts re-cite their words; confirming a new place is an editor's call."""
        self.change_source()
        other = make_user("other-analyst", "Analyst")
        with self.assertRaises(PermissionDenied):
            workflow.confirm_reanchoring(self.citation(self.published, "n1"), by=other)

    def test_an_orphan_has_no_new_place_to_confirm(self):
        """An orphaned citation cannot be confirmed; it needs its words cited again."""
        self.change_source()
        with self.assertRaises(workflow.WorkflowError):
            workflow.confirm_reanchoring(self.citation(self.published, "n2"), by=self.chief)
        self.assertEqual(self.citation(self.published, "n2").status, Status.ORPHANED)

    def test_a_second_confirmation_is_refused(self):
        """Two editors confirming the same citation: the second is told it is done, and one event is written."""
        self.change_source()
        citation = self.citation(self.published, "n1")
        workflow.confirm_reanchoring(citation, by=self.chief)
        with self.assertRaises(workflow.WorkflowError):
            workflow.confirm_reanchoring(citation, by=self.newsroom.editor)
        self.assertEqual(
            BriefingEvent.objects.filter(briefing=self.published, action=Action.REANCHORING_CONFIRMED).count(), 1
        )


class ReadersTests(ChangingSourceTestCase):
    def quoted_words(self):
        revision = fresh(self.published).published_revision
        return revision.title, revision.body, sorted(revision.citations.values_list("label", "quote"))

    def test_readers_keep_the_published_words_through_a_change_and_its_confirmation(self):
        """A re-anchored or orphaned citation never changes the words readers are shown, nor does confirming it."""
        before = self.quoted_words()
        self.change_source(typography=True)
        self.assertEqual(self.quoted_words(), before)
        workflow.confirm_reanchoring(self.citation(self.published, "n1"), by=self.chief)
        self.assertEqual(self.quoted_words(), before)
        page = self.client.get(self.published.get_absolute_url())
        self.assertContains(page, SIGNED)
        self.assertContains(page, COOPERATION)
