from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from briefings import revisions
from briefings.models import Briefing, Citation
from sources.models import Passage

from .factories import cite, make_briefing, make_source, make_user, passage, published

Status = Citation.Status
TEXT = "Officials in Baku signed a transit agreement on Monday after months of talks."


def run():
    out, err = StringIO(), StringIO()
    try:
        call_command("check_citations", stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), str(error), 1
    return out.getvalue(), err.getvalue(), 0


class CheckCitationsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.passage = passage(make_source(TEXT), 1)
        cls.briefing = make_briefing(body="Signed.[^a]", slug="transit-deal")
        cls.citation = cite(cls.briefing, cls.passage, "signed a transit agreement")

    def orphan(self, citation):
        Passage.objects.filter(pk=citation.passage_id).update(retired=True)
        Citation.objects.filter(pk=citation.pk).update(status=Status.ORPHANED, status_reason="The words are gone.")

    def publish(self, briefing):
        analyst, editor = make_user("analyst", "Analyst"), make_user("editor", "Editor")
        briefing.authors.add(analyst)
        revisions.snapshot(briefing, analyst)
        published(briefing, analyst, editor)
        self.assertEqual(Briefing.objects.get(pk=briefing.pk).status, Briefing.Status.PUBLISHED)

    def test_all_ok_exits_zero(self):
        """With every citation in place the command reports success and exits 0."""
        out, _err, code = run()
        self.assertEqual(code, 0)
        self.assertIn("1 citation(s) checked: 0 re-anchored, 0 orphaned", out)

    def test_reanchored_citation_is_listed_without_failing(self):
        """A re-anchored citation is listed for an editor to check, but does not fail the command."""
        Citation.objects.filter(pk=self.citation.pk).update(status=Status.REANCHORED, status_reason="Moved.")
        self.publish(self.briefing)
        out, _err, code = run()
        self.assertEqual(code, 0)
        self.assertIn("reanchored transit-deal [^a] (published): Moved.", out)

    def test_orphan_in_a_draft_is_listed_without_failing(self):
        """An orphaned citation of a draft is listed with its reason, and the command still exits 0."""
        self.orphan(self.citation)
        out, _err, code = run()
        self.assertEqual(code, 0)
        self.assertIn("orphaned   transit-deal [^a]: The words are gone.", out)

    def test_orphan_in_a_published_briefing_fails(self):
        """An orphaned citation of a published briefing makes the command exit non-zero."""
        self.publish(self.briefing)
        self.orphan(self.citation)
        out, error, code = run()
        self.assertEqual(code, 1)
        self.assertIn("orphaned   transit-deal [^a] (published)", out)
        self.assertIn("1 citation(s) of published briefings", error)

    def test_stored_words_that_drifted_are_reported(self):
        """A citation whose stored offsets no longer hold its quote is reported even if marked OK."""
        self.publish(self.briefing)
        Citation.objects.filter(pk=self.citation.pk).update(start=0, end=9)
        out, _err, code = run()
        self.assertEqual(code, 1)
        self.assertIn("mismatch", out)

    def test_query_count_does_not_grow_with_citations(self):
        """Checking reads the citations with their briefing and passage in one query, however many."""
        for label in "bcdefghij":
            cite(self.briefing, self.passage, "a transit agreement on Monday", label=label)
        # One SELECT with both joins; iterator() keeps it to one round trip on both databases.
        with self.assertNumQueries(1):
            run()
