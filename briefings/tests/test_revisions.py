from django.test import TestCase

from briefings import revisions, workflow
from briefings.models import Briefing, BriefingEvent, Citation, Revision, Tag
from sources.importer import import_sources
from sources.models import Passage
from sources.tests.factories import TemporaryFolder

from .factories import cite, fresh, make_briefing, make_passage, make_user, reviewed


class SnapshotTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.passage = make_passage()

    def test_snapshot_records_content_and_author(self):
        """A revision holds what was saved: title, summary, body, tags, citations, who and when."""
        briefing = make_briefing(self.analyst, self.passage, tags=["Energy", "baku"])
        revision = briefing.revisions.get()
        self.assertEqual(
            (revision.number, revision.title, revision.dek, revision.body, revision.author),
            (1, briefing.title, briefing.dek, briefing.body, self.analyst),
        )
        self.assertEqual(revision.tag_names, ["baku", "Energy"])
        self.assertEqual(
            list(revision.citations.values_list("label", "passage", "quote")),
            [("a", self.passage.pk, "signed a transit agreement")],
        )

    def test_snapshot_keeps_every_field_of_a_citation(self):
        """A revision's citation holds the same words, place, context, note, label, order and status as the citation."""
        briefing = make_briefing(self.analyst, self.passage, cite=False, body="Signed.[^a]")
        citation = cite(briefing, self.passage, order=3)
        Citation.objects.filter(pk=citation.pk).update(note="Ministry statement.", status=Citation.Status.REANCHORED)
        revision = workflow.record_edit(fresh(briefing), self.analyst)
        shared = ["passage", "quote", "start", "end", "prefix", "suffix", "note", "label", "order", "status"]
        self.assertEqual(
            list(revision.citations.values(*shared)), list(Citation.objects.filter(pk=citation.pk).values(*shared))
        )

    def test_unchanged_save_adds_no_revision(self):
        """Saving without changes does not clutter the history."""
        briefing = make_briefing(self.analyst, self.passage)
        revision, created = revisions.snapshot(briefing, self.analyst)
        self.assertEqual((revision.number, created), (1, False))

    def test_renamed_tag_is_not_a_change(self):
        """Renaming a tag leaves every briefing's history alone: saving again adds no revision."""
        briefing = make_briefing(self.analyst, self.passage, tags=["Energy"])
        Tag.objects.filter(name="Energy").update(name="Power")
        revision, created = revisions.snapshot(briefing, self.analyst)
        self.assertEqual((revision.number, created), (1, False))
        self.assertEqual(list(revision.tags.values_list("name", flat=True)), ["Power"])

    def test_each_change_adds_a_numbered_revision(self):
        """Every change is kept as the next revision; earlier ones stay as they were."""
        briefing = make_briefing(self.analyst, self.passage, title="First")
        briefing.title = "Second"
        briefing.save()
        workflow.record_edit(briefing, self.analyst)
        self.assertEqual(list(briefing.revisions.values_list("number", "title")), [(1, "First"), (2, "Second")])

    def test_snapshot_query_count(self):
        """Recording a revision costs the same number of queries however many citations there are."""
        briefing = make_briefing(self.analyst, self.passage, body="x", tags=["Energy", "Transit"])
        for number in range(20):
            cite(briefing, self.passage, label=f"c{number}", order=number)
        briefing.title = "Changed"
        # Latest revision, its citations and its tags, the working copy's
        # citations and tags, then one insert for the revision and one bulk
        # insert each for all its citations and all its tags.
        with self.assertNumQueries(8):
            revision, created = revisions.snapshot(briefing, self.analyst)
        self.assertEqual(revision.citations.count(), 21)
        self.assertEqual(revision.tags.count(), 2)

    def test_revision_cannot_be_changed(self):
        """History is never rewritten: an existing revision refuses to be saved again."""
        revision = make_briefing(self.analyst, self.passage).revisions.get()
        revision.title = "Rewritten"
        with self.assertRaises(TypeError):
            revision.save()
        with self.assertRaises(TypeError):
            Revision.objects.update(title="Rewritten")


class DiffTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.passage = make_passage()
        cls.briefing = make_briefing(
            cls.analyst, cls.passage, title="Old title", body="Intro line.\nThe deal was signed.[^a]\nOutro.",
            tags=["Energy"],
        )
        cls.briefing.title = "New title"
        cls.briefing.body = "Intro line.\nThe deal was finally signed.[^a]\nOutro.\nA new closing line."
        cls.briefing.save()
        cls.briefing.tags.set(["Transit"])
        citation = cls.briefing.citations.get()
        citation.note = "Second paragraph."
        citation.save()
        cite(cls.briefing, cls.passage, label="b", quote="after months of talks", order=1)
        revisions.snapshot(cls.briefing, cls.analyst)
        cls.old, cls.new = cls.briefing.revisions.order_by("number")

    def setUp(self):
        self.result = revisions.diff(self.old, self.new)

    def test_changed_fields(self):
        """The title change is shown as before and after."""
        self.assertEqual([(f.name, f.old, f.new) for f in self.result.fields], [("title", "Old title", "New title")])

    def test_body_changes_marked_by_word(self):
        """In a changed line the inserted word is marked, the rest shown as it was."""
        kinds = [line.kind for line in self.result.body]
        self.assertEqual(kinds, ["equal", "replace", "equal", "insert"])
        replaced = self.result.body[1]
        self.assertIn(("insert", " finally"), [(s.kind, s.text) for s in replaced.segments])
        self.assertEqual("".join(s.text for s in replaced.segments if s.kind != "insert"), replaced.old)
        self.assertEqual("".join(s.text for s in replaced.segments if s.kind != "delete"), replaced.new)

    def test_tag_changes(self):
        """Added and removed tags are listed."""
        self.assertEqual((self.result.tags_added, self.result.tags_removed), (["Transit"], ["Energy"]))

    def test_citation_changes(self):
        """A new citation is listed as added and an edited note as changed."""
        self.assertEqual([(c.label, c.kind) for c in self.result.citations], [("a", "changed"), ("b", "added")])
        self.assertEqual(
            [(f.name, f.old, f.new) for f in self.result.citations[0].fields], [("note", "", "Second paragraph.")]
        )

    def test_diff_in_reverse(self):
        """Comparing the other way round shows the citation as removed."""
        result = revisions.diff(self.new, self.old)
        self.assertEqual([(c.label, c.kind) for c in result.citations], [("a", "changed"), ("b", "removed")])

    def test_identical_revisions_have_no_changes(self):
        """A revision compared with itself shows nothing changed."""
        self.assertFalse(revisions.diff(self.old, self.old).has_changes)
        self.assertTrue(self.result.has_changes)


class RevertTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        cls.passage = make_passage()

    def make_edited(self):
        briefing = make_briefing(self.analyst, self.passage, title="First", tags=["Energy"])
        briefing.title = "Second"
        briefing.body = "Rewritten.[^b]"
        briefing.save()
        briefing.citations.all().delete()
        cite(briefing, self.passage, label="b", quote="after months of talks")
        briefing.tags.set(["Transit"])
        workflow.record_edit(briefing, self.analyst)
        return briefing

    def test_revert_restores_content_as_a_new_revision(self):
        """Reverting brings back the old title, body, tags and citations and keeps every revision."""
        briefing = self.make_edited()
        first = briefing.revisions.get(number=1)
        new = workflow.revert(briefing, self.analyst, first)
        briefing = fresh(briefing)
        self.assertEqual(new.number, 3)
        self.assertEqual((briefing.title, briefing.body), (first.title, first.body))
        self.assertEqual(list(briefing.tags.names()), ["Energy"])
        self.assertEqual(list(briefing.citations.values_list("label", "quote")), [("a", "signed a transit agreement")])
        self.assertEqual(list(briefing.revisions.values_list("number", "title")), [(1, "First"), (2, "Second"),
                                                                                    (3, "First")])
        self.assertEqual(new.summary, "Reverted to revision 1.")
        self.assertEqual(briefing.events.get().action, BriefingEvent.Action.REVERTED)

    def test_revert_of_approved_briefing_sends_it_back_to_review(self):
        """Reverting is an edit: an approved briefing needs a new review."""
        briefing = self.make_edited()
        reviewed(briefing, self.analyst, self.editor)
        workflow.revert(briefing, self.analyst, briefing.revisions.get(number=1))
        self.assertEqual(fresh(briefing).status, Briefing.Status.IN_REVIEW)

    def test_revert_with_stale_copy_is_refused(self):
        """Reverting from a page someone else has since changed is refused and changes nothing."""
        briefing = self.make_edited()
        stale = fresh(briefing)
        workflow.submit(briefing, self.analyst)
        with self.assertRaises(workflow.StaleVersion):
            workflow.revert(stale, self.analyst, briefing.revisions.get(number=1))
        self.assertEqual(fresh(briefing).title, "Second")
        self.assertEqual(briefing.revisions.count(), 2)

    def test_revert_to_another_briefings_revision_is_refused(self):
        """A revision of one briefing cannot be poured into another."""
        briefing = self.make_edited()
        other = make_briefing(self.analyst, self.passage)
        with self.assertRaisesMessage(workflow.WorkflowError, "another briefing"):
            workflow.revert(briefing, self.analyst, other.revisions.get())


REIMPORTED = """Baku signs a transit deal

Officials in Baku signed a transit agreement on Monday after months of talks.

The agreement covers rail freight between Russia and Iran through Azerbaijan.
"""
MANIFEST = """[sources."deal.txt"]
slug = "transit-deal"
title = "Baku signs a transit deal"
"""


class PublishedRevisionReimportTests(TestCase):
    """Readers' footnotes keep pointing at the cited words when a source is imported again."""

    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")

    def setUp(self):
        self.folder = TemporaryFolder(self)
        self.folder.write("sources.toml", MANIFEST)
        self.import_text(REIMPORTED)
        passage = Passage.objects.current().get(source__slug="transit-deal", ordinal=2)
        self.briefing = make_briefing(self.analyst, passage)
        workflow.submit(self.briefing, self.analyst)
        workflow.approve(self.briefing, self.editor)
        workflow.publish(self.briefing, self.editor)

    def import_text(self, text):
        self.folder.write("deal.txt", text)
        return import_sources([self.folder.path])

    def published(self):
        return fresh(self.briefing).published_revision

    def test_paragraph_moved_down_keeps_the_footnote_link(self):
        """A paragraph inserted above the quote changes nothing readers follow: the anchor is the passage's own."""
        row = self.published().citations.get()
        link = f"/sources/transit-deal/versions/1/?cite={row.pk}#p-2"
        self.assertIn(link, self.published().body_html)
        self.import_text(REIMPORTED.replace("transit deal\n", "transit deal\n\nA new first paragraph.\n"))
        revision = self.published()
        self.assertIn(link, revision.body_html)
        self.assertNotIn("changed since it was quoted", revision.body_html)

    def test_rewritten_paragraph_leaves_the_published_citation_pinned(self):
        """Words that moved within a rewritten paragraph: readers keep the version they were quoted from."""
        before = self.published().citations.get()
        self.import_text(REIMPORTED.replace(
            "Officials in Baku signed a transit agreement on Monday after months of talks.",
            "After months of talks, officials in Baku signed a transit agreement on Monday.",
        ))
        row = self.published().citations.select_related("passage", "source_version").get()
        self.assertEqual((row.passage_id, row.start, row.source_version.number), (before.passage_id, before.start, 1))
        self.assertEqual(self.briefing.citations.get().status, Citation.Status.REANCHORED)
        html = self.published().body_html
        self.assertIn("The source changed since it was quoted", html)
        self.assertIn('href="/sources/transit-deal/diff/1/2/"', html)

    def test_removed_words_keep_the_published_quote_and_its_version(self):
        """Words gone from the source: the published footnote keeps its quote and still opens them."""
        body = self.published().body
        self.import_text(REIMPORTED.replace("signed a transit agreement", "agreed a transit framework"))
        revision = self.published()
        row = revision.citations.get()
        self.assertEqual(row.quote, "signed a transit agreement")
        self.assertEqual(revision.body, body)
        self.assertIn(f"/sources/transit-deal/versions/1/?cite={row.pk}#p-2", revision.body_html)

    def test_footnote_links_carry_the_published_revisions_own_citation_id(self):
        """Published footnotes link with the revision's citation, which a later edit or revert never recreates."""
        row = self.published().citations.get()
        working = self.briefing.citations.get()
        working.delete()
        working.pk = None
        working.save()  # as a revert or an edit would: a new working-copy row
        self.assertNotEqual(row.pk, working.pk)
        self.import_text(REIMPORTED.replace("transit deal\n", "transit deal\n\nA new first paragraph.\n"))
        self.assertIn(f"?cite={row.pk}#p-2", self.published().body_html)

    def test_earlier_revisions_are_not_touched(self):
        """Only the revision readers see follows the source; history stays as it was."""
        self.briefing.title = "Later title"
        self.briefing.save()
        workflow.record_edit(self.briefing, self.analyst)
        draft = self.briefing.revisions.order_by("-number").first()
        html = draft.body_html
        self.import_text(REIMPORTED.replace("transit deal\n", "transit deal\n\nA new first paragraph.\n"))
        draft.refresh_from_db()
        self.assertEqual(draft.body_html, html)
