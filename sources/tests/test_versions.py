from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from sources import importer, versions
from sources.importer import ImportFailed, StaleImport
from sources.models import Passage, Source, SourceVersion, VersionPassage

ARTICLE = [
    "Transit talks end in Baku",
    "Officials in Baku signed a transit agreement on Monday after months of talks.",
    "The agreement covers rail freight between Russia and Iran through Azerbaijan.",
    "Critics say the route helps Moscow avoid sanctions on its trade with the Gulf.",
    "A spokesman said the first trains would run in the spring.",
]


def text(lines):
    return "\n".join(lines) + "\n"


def anchors(source):
    """{passage text: anchor} for the source's current passages."""
    return dict(source.passages.current().values_list("text", "anchor"))


def version_texts(version):
    return [(p.anchor, p.text) for p in versions.placements(version)]


class StableAnchorTests(TestCase):
    def setUp(self):
        importer.import_text(None, text(ARTICLE), slug="transit")
        self.source = Source.objects.get(slug="transit")
        self.first = anchors(self.source)

    def reimport(self, lines, **options):
        return importer.import_text(self.source, text(lines), **options)

    def test_new_source_numbers_its_passages_in_order(self):
        """A first import gives p-1, p-2… in reading order, as links always were."""
        self.assertEqual([self.first[line] for line in ARTICLE], ["p-1", "p-2", "p-3", "p-4", "p-5"])
        self.assertEqual(Source.objects.get(pk=self.source.pk).next_anchor, 6)

    def test_insertion_keeps_every_anchor_and_gives_the_new_passage_a_fresh_one(self):
        """A paragraph inserted at the top moves nobody's link: old links keep opening the same words."""
        inserted = "Update: the agreement was published in full on Tuesday."
        self.reimport(ARTICLE[:1] + [inserted] + ARTICLE[1:])
        now = anchors(self.source)
        for line in ARTICLE:
            self.assertEqual(now[line], self.first[line])
        self.assertEqual(now[inserted], "p-6")

    def test_move_and_deletion_keep_anchors_and_retired_passages_keep_theirs(self):
        """Moving and deleting paragraphs never renumbers the others, and an anchor is never given twice."""
        self.reimport([ARTICLE[0], ARTICLE[3], ARTICLE[1], ARTICLE[4]])
        now = anchors(self.source)
        self.assertEqual(now, {line: self.first[line] for line in (ARTICLE[0], ARTICLE[1], ARTICLE[3], ARTICLE[4])})
        retired = Passage.objects.get(source=self.source, text=ARTICLE[2])
        self.assertEqual((retired.retired, retired.anchor), (True, "p-3"))
        self.reimport(ARTICLE[:2] + ["A different third paragraph, written anew."] + ARTICLE[3:])
        self.assertEqual(anchors(self.source)["A different third paragraph, written anew."], "p-6")
        every = list(Passage.objects.filter(source=self.source).values_list("anchor", flat=True))
        self.assertEqual(len(every), len(set(every)))

    def test_restored_text_brings_back_the_old_anchor(self):
        """A paragraph removed and later put back is the same passage again, under its old anchor."""
        self.reimport(ARTICLE[:2] + ARTICLE[3:])
        self.reimport(ARTICLE)
        self.assertEqual(anchors(self.source), self.first)

    def test_paragraph_numbers_count_only_paragraphs(self):
        """Readers are told "paragraph N" counting paragraphs only, and a heading is named as such."""
        places = {p.text: p.place_label for p in self.source.passages.current()}
        self.assertEqual(places[ARTICLE[0]], "the heading")
        self.assertEqual(places[ARTICLE[1]], "paragraph 1")
        self.assertEqual(places[ARTICLE[4]], "paragraph 4")


class VersionTests(TestCase):
    def setUp(self):
        self.editor = get_user_model().objects.create_user("editor")
        importer.import_text(None, text(ARTICLE), slug="transit")
        self.source = Source.objects.get(slug="transit")

    def test_every_changing_import_keeps_a_version_with_its_counts(self):
        """The versions list can say what each import added, changed and retired."""
        rewritten = "Officials in Baku signed a transit accord on Monday after months of talks."
        # The second paragraph rewritten, the fourth removed, a new one at the end.
        edited = [ARTICLE[0], rewritten, ARTICLE[2], ARTICLE[4], "A new closing paragraph about the spring timetable."]
        result = importer.import_text(self.source, text(edited), by=self.editor)
        self.assertEqual((result.version, result.new, result.changed, result.retired), (2, 1, 1, 1))
        second = self.source.versions.get(number=2)
        self.assertEqual((second.passages_added, second.passages_changed, second.passages_retired), (1, 1, 1))
        self.assertEqual(second.imported_by, self.editor)
        self.assertIsNone(self.source.versions.get(number=1).imported_by)
        self.assertEqual(second.text, text(edited))

    def test_unchanged_import_adds_no_version(self):
        """Importing the same text again keeps one version."""
        result = importer.import_text(self.source, text(ARTICLE))
        self.assertEqual(result.action, "unchanged")
        self.assertEqual(self.source.versions.count(), 1)

    def test_each_version_can_be_read_passage_by_passage_with_its_anchors(self):
        """An old version still shows its own text in its own order, with the anchors links use."""
        before = version_texts(self.source.versions.get(number=1))
        importer.import_text(self.source, text([ARTICLE[0], ARTICLE[3], ARTICLE[1]]))
        self.assertEqual(version_texts(self.source.versions.get(number=1)), before)
        self.assertEqual(
            version_texts(self.source.versions.get(number=2)),
            [("p-1", ARTICLE[0]), ("p-4", ARTICLE[3]), ("p-2", ARTICLE[1])],
        )

    def test_versions_are_never_deleted(self):
        """A version cannot be deleted, one by one or in bulk, and nobody gets a permission to."""
        version = self.source.versions.get()
        with self.assertRaises(TypeError):
            version.delete()
        with self.assertRaises(TypeError):
            SourceVersion.objects.all().delete()
        self.assertNotIn("delete", SourceVersion._meta.default_permissions)

    def test_diff_marks_changed_words(self):
        """The difference between two versions shows which words changed in a rewritten paragraph."""
        importer.import_text(self.source, text([ARTICLE[0], ARTICLE[1].replace("Monday", "Tuesday"), *ARTICLE[2:]]))
        changes = [c for c in versions.diff_versions(*self.source.versions.order_by("number")) if c.kind != "equal"]
        self.assertEqual([c.kind for c in changes], ["replace"])
        self.assertIn(("delete", "Monday"), [(s.kind, s.text) for s in changes[0].segments])
        self.assertIn(("insert", "Tuesday"), [(s.kind, s.text) for s in changes[0].segments])

    def test_withholding_needs_a_reason_and_keeps_the_entry(self):
        """A withheld version keeps its entry and reason; an empty reason is refused."""
        version = self.source.versions.get()
        with self.assertRaises(ValueError):
            version.withhold("  ", by=self.editor)
        version.withhold("A named person is at risk.", by=self.editor)
        version.refresh_from_db()
        self.assertTrue(version.is_withheld)
        self.assertEqual(version.withheld_reason, "A named person is at risk.")

    def test_restore_makes_a_new_version_with_the_old_text_and_anchors(self):
        """Undo: restoring version 1 adds version 3 reading exactly like version 1, with the same anchors."""
        importer.import_text(self.source, text(["Another article altogether", "Nothing in common."]), replace=True)
        result = importer.restore_version(self.source.versions.get(number=1), by=self.editor)
        self.assertEqual(result.version, 3)
        third = self.source.versions.get(number=3)
        self.assertEqual(third.restored_from.number, 1)
        self.assertEqual(version_texts(third), version_texts(self.source.versions.get(number=1)))
        self.assertEqual(Source.objects.get(pk=self.source.pk).text, text(ARTICLE))


class IdentityGuardTests(TestCase):
    def setUp(self):
        importer.import_text(None, text(ARTICLE), slug="transit")
        self.source = Source.objects.get(slug="transit")
        self.other = text([
            "Election results announced in Tbilisi",
            "Voters in Georgia went to the polls on Saturday in a closely watched election.",
            "Officials in Baku signed a transit agreement on Monday after months of talks.",
            "Observers reported long queues at polling stations in the capital.",
        ])

    def test_another_article_under_the_same_name_is_refused_naming_both_titles(self):
        """Saving an unrelated article under an existing name is refused, and nothing is written."""
        with self.assertRaises(ImportFailed) as refused:
            importer.import_text(self.source, self.other, {"title": "Election results announced in Tbilisi"})
        message = str(refused.exception)
        self.assertIn("Election results announced in Tbilisi", message)
        self.assertIn("Transit talks end in Baku", message)
        self.assertIn("4 passages would retire", message)
        self.assertEqual(self.source.versions.count(), 1)
        self.assertEqual(Source.objects.get(pk=self.source.pk).title, "Transit talks end in Baku")

    def test_a_replacement_given_no_title_is_judged_by_its_own_headline(self):
        """Replacing a text without naming a title still compares the headline the new text shows."""
        with self.assertRaisesMessage(ImportFailed, "Election results announced in Tbilisi"):
            importer.import_text(self.source, self.other)

    def test_replace_accepts_it(self):
        """With replace (the command's --replace) the new text becomes version 2."""
        result = importer.import_text(self.source, self.other, {"title": "Election results"}, replace=True)
        self.assertEqual(result.version, 2)

    def test_reworded_headline_alone_is_a_routine_edit(self):
        """A new headline over the same paragraphs imports without --replace."""
        result = importer.import_text(self.source, text(["Baku and Moscow sign transit deal", *ARTICLE[1:]]),
                                      {"title": "Baku and Moscow sign transit deal"})
        self.assertEqual(result.version, 2)

    def test_retiring_every_passage_needs_replace_even_under_the_same_headline(self):
        """A replacement that would retire every passage is refused without --replace."""
        with self.assertRaisesMessage(ImportFailed, "all 5 current passages would retire"):
            importer.import_text(self.source, text(["Completely new words.", "And more of them."]))

    def test_preview_shows_the_refusal_and_the_changes_without_writing(self):
        """The admin's preview lists what would be added and retired, and the guard's refusal, writing nothing."""
        preview = importer.preview(self.source, self.other, {"title": "Election results announced in Tbilisi"})
        self.assertEqual(preview.version_number, 1)
        self.assertIn("would retire", preview.refusal)
        self.assertEqual(len(preview.retired) + len(preview.changed), 4)
        self.assertEqual(self.source.versions.count(), 1)

    def test_stale_preview_is_refused(self):
        """An import confirmed from a preview made before someone else's import is refused."""
        edited = text([*ARTICLE, "One more paragraph added later on."])
        preview = importer.preview(self.source, edited)
        importer.import_text(self.source, text([*ARTICLE, "Someone else's paragraph arrived first."]))
        with self.assertRaises(StaleImport):
            importer.import_text(self.source, edited, expected_version=preview.version_number)
        self.assertEqual(self.source.versions.count(), 2)

    def test_command_refuses_and_replace_accepts(self):
        """import_sources exits non-zero on a different article and accepts it with --replace."""
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp())
        self.addCleanup(__import__("shutil").rmtree, folder, True)
        (folder / "sources.toml").write_text('[sources."article.txt"]\nslug = "transit"\n')
        (folder / "article.txt").write_text(self.other)
        stderr = StringIO()
        with self.assertRaises(CommandError):
            call_command("import_sources", str(folder), stdout=StringIO(), stderr=stderr)
        self.assertIn("--replace", stderr.getvalue())
        out = StringIO()
        call_command("import_sources", str(folder), "--replace", stdout=out, stderr=StringIO())
        self.assertIn("version 2", out.getvalue())
        self.assertEqual(VersionPassage.objects.filter(version__source=self.source, version__number=2).count(), 4)
