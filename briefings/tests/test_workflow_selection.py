from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import TestCase

from briefings import workflow
from briefings.models import Briefing, Citation, Revision
from briefings.selection import SelectionError, read_selection
from briefings.tests.factories import Newsroom, fresh, make_source, make_user, passage
from briefings.workflow import WorkflowError

QUOTE = "signed a transit agreement"


def selection_of(source, *words_by_ordinal):
    """The selection the page's script sends for words in the passages at the given ordinals."""
    parts = []
    for ordinal, words in words_by_ordinal:
        start = passage(source, ordinal).text.index(words)
        parts.append({"passage": f"p-{ordinal}", "start": start, "end": start + len(words), "quote": words})
    return read_selection({"source": source.slug, "parts": parts})


class CiteSelectionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.analyst = cls.newsroom.analyst
        cls.source = make_source()
        cls.cited = passage(cls.source, 3)

    def draft(self):
        return self.newsroom.draft([(self.cited, "regional cooperation should not exclude Russia")])

    def test_citation_is_added_and_the_body_is_left_as_it_was(self):
        """Selected words become a verified citation; the body the analyst may have open is not written."""
        briefing = self.draft()
        body, version = briefing.body, briefing.version
        (citation,) = workflow.cite_selection(briefing, self.analyst, selection_of(self.source, (1, QUOTE)))
        saved = Citation.objects.get(pk=citation.pk)
        self.assertEqual((saved.quote, saved.start, saved.end), (QUOTE, 18, 44))
        self.assertEqual((saved.prefix, saved.suffix), ("Officials in Baku ", " on Monday after months of talks"))
        self.assertEqual(saved.label, "signed-a-transit")
        self.assertEqual(saved.source_version, self.source.current_version())
        self.assertEqual(fresh(briefing).body, body)
        self.assertEqual(fresh(briefing).version, version, "the open editor's next save must not be refused")

    def test_new_citation_is_listed_as_not_yet_placed_and_blocks_submission(self):
        """The briefing cannot go to review until its new citation is used, with the workflow's own reason."""
        briefing = self.draft()
        workflow.cite_selection(briefing, self.analyst, selection_of(self.source, (1, QUOTE)))
        briefing = fresh(briefing)
        self.assertEqual([c.label for c in briefing.unplaced_citations()], ["signed-a-transit"])
        with self.assertRaisesMessage(WorkflowError, "The citation “signed-a-transit” is not used in the body"):
            workflow.submit(briefing, self.analyst)

    def test_selection_over_two_passages_makes_one_citation_each(self):
        """Words selected across a paragraph break become two citations, one per paragraph."""
        briefing = self.draft()
        citations = workflow.cite_selection(briefing, self.analyst, selection_of(
            self.source, (1, "after months of talks."), (2, "The pipeline will carry gas from the Caspian")
        ))
        self.assertEqual([c.passage.ordinal for c in citations], [1, 2])
        self.assertEqual([c.label for c in citations], ["after-months-of", "the-pipeline-will"])

    def test_nothing_is_cited_when_one_part_is_refused(self):
        briefing = self.draft()
        with self.assertRaises(SelectionError):
            workflow.cite_selection(briefing, self.analyst, selection_of(
                self.source, (1, "after months of talks."), (2, "The")
            ))
        self.assertEqual(briefing.citations.count(), 1)

    def test_someone_elses_briefing_is_refused(self):
        """An analyst cannot cite into a briefing they do not write."""
        briefing = self.draft()
        other = make_user("other-analyst", "Analyst")
        with self.assertRaisesMessage(PermissionDenied, "You can only edit briefings you are an author of."):
            workflow.cite_selection(briefing, other, selection_of(self.source, (1, QUOTE)))

    def test_briefings_past_the_draft_are_refused(self):
        """A briefing in review, published or retracted takes no citation from a source page, and says why."""
        cases = {
            "in review": (self.newsroom.in_review, WorkflowError, "is in review: words selected on a source page"),
            "published": (self.newsroom.published, WorkflowError, "is published: words selected on a source page"),
            "retracted": (self.newsroom.retracted, WorkflowError, "A retracted briefing cannot be edited."),
        }
        for name, (make, error, message) in cases.items():
            with self.subTest(name):
                briefing = make([(self.cited, "regional cooperation should not exclude Russia")])
                with self.assertRaisesMessage(error, message):
                    workflow.cite_selection(briefing, self.analyst, selection_of(self.source, (1, QUOTE)))
                self.assertEqual(briefing.citations.count(), 1)

    def test_changes_requested_is_a_draft_again(self):
        briefing = self.newsroom.changes_requested([(self.cited, "regional cooperation should not exclude Russia")])
        self.assertEqual(len(workflow.cite_selection(briefing, self.analyst, selection_of(self.source, (1, QUOTE)))), 1)

    def test_without_the_permission_to_add_citations(self):
        briefing = self.draft()
        reader = make_user("staff-reader")
        reader.user_permissions.add(Permission.objects.get(codename="change_briefing"))
        briefing.authors.add(reader)
        with self.assertRaisesMessage(PermissionDenied, "You are not allowed to add citations."):
            workflow.cite_selection(briefing, reader, selection_of(self.source, (1, QUOTE)))


class StartBriefingWithSelectionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = Newsroom().analyst
        cls.source = make_source()

    def test_new_draft_by_the_analyst_with_the_citation(self):
        """"A new briefing…" makes a draft bylined to the analyst, citing the words, with an empty body."""
        briefing, (citation,) = workflow.start_briefing_with_selection(
            self.analyst, "  Transit deal  ", selection_of(self.source, (1, QUOTE))
        )
        briefing = fresh(briefing)
        self.assertEqual((briefing.title, briefing.body, briefing.status), ("Transit deal", "", Briefing.Status.DRAFT))
        self.assertEqual(list(briefing.authors.all()), [self.analyst])
        self.assertEqual(citation.quote, QUOTE)
        self.assertEqual(Revision.objects.filter(briefing=briefing).count(), 1, "recorded as its first revision")
        self.assertEqual(list(Briefing.objects.drafts_of(self.analyst)), [briefing])

    def test_a_title_is_required(self):
        with self.assertRaisesMessage(WorkflowError, "A title for the new briefing is required."):
            workflow.start_briefing_with_selection(self.analyst, "  ", selection_of(self.source, (1, QUOTE)))
        self.assertFalse(Briefing.objects.exists())

    def test_a_refused_selection_leaves_no_briefing(self):
        with self.assertRaises(SelectionError):
            workflow.start_briefing_with_selection(self.analyst, "Transit", selection_of(self.source, (1, "signed a")))
        self.assertFalse(Briefing.objects.exists())

    def test_staff_without_the_permission_to_write(self):
        with self.assertRaisesMessage(PermissionDenied, "You are not allowed to start briefings."):
            workflow.start_briefing_with_selection(
                make_user("visitor"), "Transit", selection_of(self.source, (1, QUOTE))
            )


class DraftsOfTests(TestCase):
    def test_only_the_persons_own_drafts(self):
        """"Cite in…" offers the analyst's drafts and briefings sent back to them, nothing else."""
        newsroom = Newsroom()
        cited = passage(make_source(), 1)
        draft = newsroom.draft([(cited, QUOTE)])
        sent_back = newsroom.changes_requested([(cited, QUOTE)])
        newsroom.in_review([(cited, QUOTE)])
        newsroom.published([(cited, QUOTE)])
        Newsroom().draft([(cited, QUOTE)])
        self.assertCountEqual(Briefing.objects.drafts_of(newsroom.analyst), [draft, sent_back])
