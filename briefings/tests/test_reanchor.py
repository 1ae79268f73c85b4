from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from briefings.models import Briefing, Citation
from sources.importer import import_sources
from sources.models import Passage
from sources.tests.factories import TemporaryFolder

from .factories import cite, counting_renders, make_briefing

Status = Citation.Status

ORIGINAL = """Baku signs a transit deal

Officials in Baku signed a transit agreement on Monday after months of talks.

The agreement covers rail freight between Russia and Iran through Azerbaijan.

Critics say the route helps Moscow avoid sanctions on its trade with the Gulf.
"""
MANIFEST = """[sources."deal.txt"]
slug = "transit-deal"
title = "Baku signs a transit deal"
"""


class ReanchorTests(TestCase):
    """Re-importing a changed article keeps citations true: unchanged, moved, or orphaned, never lost."""

    def setUp(self):
        self.folder = TemporaryFolder(self)
        self.folder.write("sources.toml", MANIFEST)
        self.import_text(ORIGINAL)
        self.briefing = make_briefing(body="Deal signed.[^signed] Freight.[^freight] Sanctions.[^critics]")
        passages = {p.ordinal: p for p in Passage.objects.current().filter(source__slug="transit-deal")}
        self.signed = cite(self.briefing, passages[2], "signed a transit agreement on Monday", label="signed")
        self.freight = cite(self.briefing, passages[3], "rail freight between Russia and Iran", label="freight")
        self.critics = cite(self.briefing, passages[4], "helps Moscow avoid sanctions", label="critics")

    def import_text(self, text):
        self.folder.write("deal.txt", text)
        return import_sources([self.folder.path])

    def fresh(self, citation):
        return Citation.objects.select_related("passage", "previous_passage").get(pk=citation.pk)

    def test_citations_are_pinned_to_the_version_they_quote(self):
        """A citation records the version it was verified against; a moved one follows to the new version, an
        orphan stays on the version that holds its words."""
        self.assertEqual(self.signed.source_version.number, 1)
        self.import_text(ORIGINAL.replace(
            "Officials in Baku signed a transit agreement on Monday after months of talks.",
            "After months of talks, officials in Baku signed a transit agreement on Monday.",
        ).replace("rail freight", "road freight"))
        self.assertEqual(self.fresh(self.signed).source_version.number, 2)
        self.assertEqual(self.fresh(self.freight).source_version.number, 1)
        self.assertEqual(self.fresh(self.critics).source_version.number, 1)

    def test_import_summary_counts_restored_citations(self):
        """Re-importing the right text again says how many citations it restored."""
        self.import_text(ORIGINAL.replace("on Monday", "on Tuesday"))
        [result] = self.import_text(ORIGINAL)
        self.assertEqual(result.citations["restored"], 1)
        self.assertIn("1 restored", result.describe())
        self.assertEqual(self.fresh(self.signed).source_version.number, 3)

    def test_unchanged_source_leaves_citations_ok(self):
        """Re-importing an unchanged article changes nothing for its citations."""
        self.import_text(ORIGINAL + "\nA new closing paragraph about the weather.\n")
        for citation in (self.signed, self.freight, self.critics):
            after = self.fresh(citation)
            self.assertEqual((after.status, after.passage_id, after.start), (Status.OK, citation.passage_id,
                                                                              citation.start))

    def test_quote_moved_to_another_passage_is_reanchored(self):
        """Words that moved to a rewritten paragraph follow it, and the old place is recorded."""
        edited = ORIGINAL.replace(
            "Officials in Baku signed a transit agreement on Monday after months of talks.",
            "After months of talks, officials in Baku signed a transit agreement on Monday.",
        )
        results = self.import_text(edited)
        after = self.fresh(self.signed)
        self.assertEqual(after.status, Status.REANCHORED)
        self.assertEqual(after.passage.text[after.start:after.end], "signed a transit agreement on Monday")
        self.assertFalse(after.passage.retired)
        self.assertEqual(after.previous_passage_id, self.signed.passage_id)
        self.assertEqual((after.previous_start, after.previous_end), (self.signed.start, self.signed.end))
        self.assertTrue(after.previous_passage.retired)
        self.assertEqual(results[0].citations["reanchored"], 1)

    def test_reimport_renders_each_citing_briefing_once_after_passages_changed(self):
        """A re-import renders every briefing citing the source once, with links to where its words are now."""
        other = make_briefing(body="Freight.[^freight]")
        passages = {p.ordinal: p for p in Passage.objects.current().filter(source__slug="transit-deal")}
        cite(other, passages[3], "rail freight between Russia and Iran", label="freight")
        edited = ORIGINAL.replace("transit deal\n", "transit deal\n\nA new first paragraph.\n")
        with counting_renders() as renders:
            self.import_text(edited)
        self.assertEqual(renders, {self.briefing.pk: 1, other.pk: 1})
        # The passage kept its anchor; the footnote still opens the version it quoted.
        self.assertIn("/versions/1/?cite=", Briefing.objects.get(pk=other.pk).body_html)
        self.assertIn("#p-3", Briefing.objects.get(pk=other.pk).body_html)

    def test_passage_moved_down_keeps_the_citation_ok(self):
        """A paragraph that only moves keeps its citations and its anchor, so old links still land on it."""
        edited = ORIGINAL.replace("transit deal\n", "transit deal\n\nA new first paragraph.\n")
        self.import_text(edited)
        after = self.fresh(self.freight)
        self.assertEqual((after.status, after.passage_id), (Status.OK, self.freight.passage_id))
        self.assertEqual((after.passage.anchor, after.passage.ordinal), ("p-3", 4))
        self.assertEqual(after.passage.place_label, "paragraph 3")
        self.assertIn(f"?cite={after.pk}#p-3", Briefing.objects.get(pk=self.briefing.pk).body_html)

    def test_typography_change_is_reanchored(self):
        """Words whose only change is typography (a dash, curly quotes) are still followed."""
        edited = ORIGINAL.replace("Moscow avoid sanctions", "Moscow  avoid sanctions—critics")
        self.import_text(edited)
        after = self.fresh(self.critics)
        self.assertEqual(after.status, Status.REANCHORED)
        self.assertEqual(after.quote, "helps Moscow  avoid sanctions")
        self.assertEqual(after.previous_quote, "helps Moscow avoid sanctions")

    def test_edited_word_orphans_the_citation(self):
        """A citation whose quoted words were edited is orphaned, keeps its quote, and names the new words."""
        edited = ORIGINAL.replace("rail freight between Russia and Iran", "road freight between Russia and Iran")
        results = self.import_text(edited)
        after = self.fresh(self.freight)
        self.assertEqual(after.status, Status.ORPHANED)
        self.assertEqual(after.quote, "rail freight between Russia and Iran")
        self.assertEqual(after.passage_id, self.freight.passage_id)
        self.assertTrue(after.passage.retired)
        self.assertIn("road freight between Russia and Iran", after.status_reason)
        self.assertEqual(results[0].citations["orphaned"], 1)

    def test_removed_passage_orphans_the_citation(self):
        """A citation whose paragraph was removed is orphaned, not deleted."""
        edited = ORIGINAL.replace("Critics say the route helps Moscow avoid sanctions on its trade with the Gulf.", "")
        self.import_text(edited)
        after = self.fresh(self.critics)
        self.assertEqual(after.status, Status.ORPHANED)
        self.assertIn("no longer in the source", after.status_reason)

    def test_nothing_is_deleted(self):
        """However the article changes, every citation and every cited passage is still there."""
        self.import_text("Baku signs a transit deal\n\nAn entirely different story.\n")
        self.assertEqual(Citation.objects.count(), 3)
        self.assertEqual(Citation.objects.filter(status=Status.ORPHANED).count(), 3)
        self.assertEqual(
            set(Citation.objects.values_list("quote", flat=True)),
            {self.signed.quote, self.freight.quote, self.critics.quote},
        )

    def test_orphan_is_never_pointed_at_different_words(self):
        """An orphaned citation still points at its old passage, whose text still holds the quote."""
        self.import_text(ORIGINAL.replace("on Monday", "on Tuesday"))
        after = self.fresh(self.signed)
        self.assertEqual(after.passage.text[after.start:after.end], after.quote)

    def test_restored_text_brings_the_orphan_back(self):
        """Importing the original text again makes an orphaned citation OK again."""
        self.import_text(ORIGINAL.replace("on Monday", "on Tuesday"))
        self.import_text(ORIGINAL)
        self.assertEqual(self.fresh(self.signed).status, Status.OK)

    def test_orphaned_footnote_is_marked_in_the_html(self):
        """Readers of the stored HTML see at once that the source changed since the orphaned quote."""
        self.import_text(ORIGINAL.replace("on Monday", "on Tuesday"))
        self.assertIn("The source changed since it was quoted", Briefing.objects.get(pk=self.briefing.pk).body_html)

    def test_context_decides_between_several_places(self):
        """When the words now occur twice, the place with the same surroundings is chosen."""
        edited = ORIGINAL.replace(
            "Critics say the route helps Moscow avoid sanctions on its trade with the Gulf.",
            "Supporters deny the route helps Moscow avoid sanctions at all.\n\n"
            "Critics say the route helps Moscow avoid sanctions on trade with the Gulf.",
        )
        self.import_text(edited)
        after = self.fresh(self.critics)
        self.assertEqual(after.status, Status.REANCHORED)
        self.assertTrue(after.passage.text.startswith("Critics say"))

    def test_import_command_reports_counts(self):
        """The import summary says how many citations were re-anchored and orphaned."""
        self.folder.write("deal.txt", ORIGINAL.replace("on Monday", "on Tuesday").replace(
            "Officials in Baku", "In Baku, officials").replace("rail freight", "rail  freight"))
        out = StringIO()
        call_command("import_sources", str(self.folder.path), stdout=out)
        self.assertIn("citations: 1 re-anchored, 1 orphaned", out.getvalue())
