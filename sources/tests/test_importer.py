import shutil

from django.test import TestCase

from sources.importer import ImportFailed, import_sources
from sources.models import Passage, Source

from .factories import SEED_DIR, SEED_FILES, TemporaryFolder

KYIV = "000_07de88ce6cc2ac74.txt"
KYIV_SLUG = "putin-visits-azerbaijan-kyiv-independent"


def snapshot():
    """Everything an import could change, to prove that a failed one changed nothing."""
    return (
        list(Source.objects.order_by("pk").values()),
        list(Passage.objects.order_by("pk").values()),
    )


class SeedImportTests(TestCase):
    def test_imports_every_seed_with_manifest_metadata(self):
        """The five seed articles appear with their stated metadata and nothing invented."""
        results = import_sources([SEED_DIR])
        self.assertEqual([r.action for r in results], ["created"] * 5)
        self.assertEqual(Source.objects.count(), 5)
        rferl = Source.objects.get(slug="one-winner-of-the-ukraine-war-is-azerbaijan")
        self.assertEqual(rferl.title, "One Winner Of The Ukraine War Is Azerbaijan")
        self.assertEqual(rferl.publisher, "RFE/RL")
        self.assertEqual((rferl.authors, rferl.url, rferl.published_on), ("", "", None))
        self.assertEqual(rferl.passages.count(), 57)
        kyiv = Source.objects.get(slug=KYIV_SLUG)
        self.assertEqual(kyiv.title, "")
        self.assertTrue(kyiv.display_title.startswith("Russian President Vladimir Putin visited"))

    def test_stored_passages_are_exact_slices_of_the_stored_text(self):
        """Every passage's offsets point at its own words in the source text."""
        import_sources([SEED_DIR])
        for passage in Passage.objects.select_related("source"):
            self.assertEqual(passage.source.text[passage.start : passage.end], passage.text)
            self.assertEqual(passage.citable, passage.kind != "boilerplate")

    def test_reimport_changes_nothing(self):
        """Importing the same files twice leaves rows, keys and timestamps untouched."""
        import_sources([SEED_DIR])
        before = snapshot()
        results = import_sources([SEED_DIR])
        self.assertEqual([r.action for r in results], ["unchanged"] * 5)
        self.assertEqual(snapshot(), before)

    def test_crlf_bom_copy_is_unchanged(self):
        """A Windows copy of the same articles is recognised as the same content."""
        import_sources([SEED_DIR])
        before = snapshot()
        folder = TemporaryFolder(self)
        shutil.copy(SEED_DIR / "sources.toml", folder.path / "sources.toml")
        for seed in SEED_FILES:
            folder.write(seed.name, b"\xef\xbb\xbf" + seed.read_bytes().replace(b"\n", b"\r\n"))
        results = import_sources([folder.path])
        self.assertEqual([r.action for r in results], ["unchanged"] * 5)
        self.assertEqual(snapshot(), before)


class ChangedReimportTests(TestCase):
    def setUp(self):
        self.folder = TemporaryFolder(self)
        self.folder.copy_seeds()
        import_sources([self.folder.path])
        self.source = Source.objects.get(slug=KYIV_SLUG)
        self.original = {p.text: p.pk for p in self.source.passages.all()}
        self.lines = (self.folder.path / KYIV).read_text().split("\n")

    def reimport(self, lines):
        (self.folder.path / KYIV).write_text("\n".join(lines))
        return import_sources([self.folder.path])

    def test_moved_passages_keep_their_identity(self):
        """Inserting a paragraph moves later passages without changing their keys."""
        inserted = "A new paragraph inserted by the publisher."
        results = self.reimport(self.lines[:2] + [inserted] + self.lines[2:])
        result = next(r for r in results if r.slug == KYIV_SLUG)
        self.assertEqual((result.action, result.new, result.retired), ("updated", 1, 0))
        for passage in self.source.passages.current():
            if passage.text != inserted:
                self.assertEqual(passage.pk, self.original[passage.text])
        moved = self.source.passages.get(text=self.lines[2])
        # It moves down one place but keeps its anchor; the new paragraph gets the next unused one.
        self.assertEqual((moved.ordinal, moved.anchor), (4, "p-3"))
        self.assertEqual(self.source.passages.get(text=inserted).anchor, "p-62")
        self.source.refresh_from_db()
        self.assertEqual(self.source.text[moved.start : moved.end], moved.text)

    def test_vanished_passage_is_retired_not_deleted(self):
        """A paragraph removed from the article stays in the database, marked retired."""
        removed = self.lines[3]
        self.reimport(self.lines[:3] + self.lines[4:])
        passage = Passage.objects.get(pk=self.original[removed])
        self.assertTrue(passage.retired)
        self.assertIsNotNone(passage.retired_at)
        self.assertEqual(self.source.passages.current().count(), 60)
        self.assertEqual(self.source.passages.count(), 61)

    def test_edited_passage_retires_the_old_text_and_adds_the_new(self):
        """Changing one word keeps the old wording (for old citations) and adds the new one."""
        edited = self.lines[0].replace("Aug. 18", "Aug. 19")
        self.reimport([edited] + self.lines[1:])
        old = Passage.objects.get(pk=self.original[self.lines[0]])
        new = self.source.passages.current().get(ordinal=1)
        self.assertTrue(old.retired)
        self.assertEqual(new.text, edited)
        self.assertNotEqual(new.pk, old.pk)

    def test_restored_passage_comes_back_with_its_identity(self):
        """A paragraph removed and later restored is the same passage again."""
        removed = self.lines[5]
        self.reimport(self.lines[:5] + self.lines[6:])
        self.reimport(self.lines)
        passage = Passage.objects.get(pk=self.original[removed])
        self.assertFalse(passage.retired)
        self.assertEqual(passage.ordinal, 6)

    def test_swapping_two_passages_keeps_both(self):
        """Reordering paragraphs never collides on ordinals or anchors."""
        swapped = self.lines[:]
        swapped[1], swapped[2] = swapped[2], swapped[1]
        self.reimport(swapped)
        self.assertEqual(self.source.passages.get(pk=self.original[self.lines[1]]).ordinal, 3)
        self.assertEqual(self.source.passages.get(pk=self.original[self.lines[2]]).ordinal, 2)

    def test_file_without_manifest_updates_the_source_it_came_from(self):
        """A changed copy under the same file name updates that source even without the manifest."""
        other = TemporaryFolder(self)
        other.write(KYIV, "\n".join(self.lines[:10]))
        # Keeping 10 of 61 passages under a derived headline is what the identity guard stops without --replace.
        [result] = import_sources([other.path], replace=True)
        self.assertEqual((result.slug, result.action, result.retired), (KYIV_SLUG, "updated", 51))


class BadInputTests(TestCase):
    """Every bad input is reported with its file and nothing at all is written."""

    @classmethod
    def setUpTestData(cls):
        import_sources([SEED_DIR])

    def setUp(self):
        self.folder = TemporaryFolder(self)
        self.folder.write("good.txt", "A Good Headline\nA sentence that is fine.\n")
        self.before = snapshot()

    def assert_refused(self, paths, *fragments):
        with self.assertRaises(ImportFailed) as caught:
            import_sources(paths)
        message = str(caught.exception)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual(snapshot(), self.before)
        return caught.exception

    def test_invalid_utf8(self):
        self.folder.write("latin1.txt", "Café crème\n".encode("latin-1"))
        self.assert_refused([self.folder.path], "latin1.txt", "not valid UTF-8", "byte offset 3")

    def test_empty_file(self):
        self.folder.write("empty.txt", "  \n\n")
        self.assert_refused([self.folder.path], "empty.txt", "empty")

    def test_nul_bytes(self):
        self.folder.write("binary.txt", b"Title\nText\x00more\n")
        self.assert_refused([self.folder.path], "binary.txt", "NUL byte at byte offset 10")

    def test_missing_path(self):
        self.assert_refused([self.folder.path / "nowhere.txt"], "nowhere.txt", "no such file")

    def test_two_files_claiming_the_same_slug(self):
        self.folder.write("copy.txt", "A Good Headline\nAnother sentence, different text.\n")
        self.assert_refused([self.folder.path], "a-good-headline", "also claimed by")

    def test_malformed_manifest_reports_its_line(self):
        self.folder.write("sources.toml", '[sources."good.txt"]\nslug = "fine"\ntitle = "unterminated\n')
        failure = self.assert_refused([self.folder.path], "sources.toml", "malformed manifest")
        self.assertEqual(failure.problems[0].line, 3)

    def test_manifest_with_unknown_key_reports_its_line(self):
        self.folder.write("sources.toml", '[sources."good.txt"]\nslug = "fine"\nauthor = "Typo"\n')
        failure = self.assert_refused([self.folder.path], "unknown key 'author'")
        self.assertEqual(failure.problems[0].line, 3)

    def test_manifest_override_that_matches_nothing(self):
        self.folder.write("sources.toml", '[sources."good.txt".kinds]\ncaption = ["No such line"]\n')
        self.assert_refused([self.folder.path], "matches no line of good.txt")

    def test_one_bad_file_blocks_the_good_ones(self):
        """A good file in the same run is not imported either."""
        self.folder.write("bad.txt", b"\xff\xfe")
        self.assert_refused([self.folder.path], "bad.txt")
        self.assertFalse(Source.objects.filter(slug="a-good-headline").exists())

    def test_every_problem_is_reported_at_once(self):
        """An editor fixes all the files in one go instead of one per run."""
        self.folder.write("bad.txt", b"\xff")
        self.folder.write("empty.txt", "")
        failure = self.assert_refused([self.folder.path], "bad.txt", "empty.txt")
        self.assertEqual(len(failure.problems), 2)
