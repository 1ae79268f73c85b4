import datetime
import os
import shutil
import threading
from unittest import skipUnless

from django.db import connection
from django.db.models.signals import pre_save
from django.test import TestCase, TransactionTestCase, override_settings

from sources.importer import ImportFailed, import_sources
from sources.models import Passage, Source

from .factories import COPIED_PAGES, SEED_DIR, SEED_FILES, TemporaryFolder

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


class CopiedPageImportTests(TestCase):
    def test_copied_page_is_titled_by_its_headline(self):
        """A page saved with its masthead imports under its headline, not the site's name."""
        folder = TemporaryFolder(self)
        shutil.copy(COPIED_PAGES / "azernews.txt", folder.path / "article.txt")
        [result] = import_sources([folder.path])
        source = Source.objects.get()
        self.assertEqual(source.title, "Azerbaijan, Russia discuss North-South transit corridor")
        self.assertEqual(source.slug, "azerbaijan-russia-discuss-north-south-transit-corridor")
        self.assertEqual(source.passages.filter(text="AZERNEWS").get().kind, "boilerplate")

    def test_file_without_a_headline_gets_no_invented_title(self):
        """A copy that starts with its story has no title; the address comes from its first words."""
        folder = TemporaryFolder(self)
        folder.write("copy.txt", "Baku and Moscow signed a deal on Tuesday, officials said.\nSubhead\nMore text.\n")
        import_sources([folder.path])
        source = Source.objects.get()
        self.assertEqual((source.title, source.slug), ("", "baku-and-moscow-signed-a-deal-on-tuesday-officials-said"))


class EdgeCaseTests(TestCase):
    """Odd files end in a listed problem or a bounded value, never in a database error."""

    def setUp(self):
        self.folder = TemporaryFolder(self)

    def test_two_megabyte_line_imports_with_a_bounded_slug(self):
        """A 2 MB line without punctuation is a paragraph; the source gets no 2 MB title and an address that fits."""
        self.folder.write("long.txt", ("word" * 8 + " ") * 60_000 + "\n")
        [result] = import_sources([self.folder.path])
        source = Source.objects.get()
        self.assertEqual(source.title, "")
        self.assertLessEqual(len(source.slug), 200)
        self.assertEqual(source.passages.get().kind, "paragraph")

    def test_overlong_title_in_a_page_is_cut(self):
        """A page whose title runs to thousands of characters gets a title cut to the field, ending in an ellipsis."""
        title = "Baku " * 1000
        body = ARTICLE_HTML[ARTICLE_HTML.index("<p>") :]
        self.folder.write(
            "page.html",
            f'<html><head><meta property="og:title" content="{title}"></head>'
            f"<body><article>{body}</article></body></html>",
        )
        import_sources([self.folder.path])
        source = Source.objects.get()
        self.assertLessEqual(len(source.title), 300)
        self.assertTrue(source.title.endswith("…"))

    def test_overlong_manifest_value_is_a_listed_problem(self):
        """A manifest title longer than the field is reported with its file; nothing is written."""
        self.folder.write("good.txt", "A Good Headline\nA sentence that is fine.\n")
        self.folder.write("sources.toml", f'[sources."good.txt"]\ntitle = "{"x" * 400}"\n')
        with self.assertRaisesMessage(ImportFailed, "title is 400 characters long; at most 300 fit"):
            import_sources([self.folder.path])
        self.assertFalse(Source.objects.exists())

    def test_cyrillic_headline_gets_an_ascii_slug(self):
        """A Russian article imports under a transliterated address instead of being refused."""
        self.folder.write("ru.txt", "Путин прибыл в Баку\nПрезидент России прибыл в Азербайджан с визитом.\n")
        import_sources([self.folder.path])
        self.assertEqual(Source.objects.get().slug, "putin-pribyl-v-baku")

    def test_azerbaijani_headline_gets_an_ascii_slug(self):
        """Azerbaijani letters become their Latin equivalents in the address."""
        self.folder.write("az.txt", "Əliyev Şuşada çıxış etdi\nPrezident bu gün Şuşada çıxış edib.\n")
        import_sources([self.folder.path])
        self.assertEqual(Source.objects.get().slug, "eliyev-susada-cixis-etdi")

    def test_headline_in_another_script_gets_an_address_from_the_text(self):
        """A headline no romanisation covers still imports, under an address made from the text's fingerprint."""
        self.folder.write("zh.txt", "北京会谈\n双方讨论了运输走廊。\n")
        import_sources([self.folder.path])
        self.assertRegex(Source.objects.get().slug, r"^source-[0-9a-f]{10}$")

    def test_symlink_loop_is_named_as_such(self):
        """An operator learns that a link leads back to itself, not that the file is missing."""
        loop = self.folder.path / "loop.txt"
        os.symlink(loop, loop)
        with self.assertRaisesMessage(ImportFailed, "symbolic link loop"):
            import_sources([loop])
        with self.assertRaisesMessage(ImportFailed, "symbolic link loop"):
            import_sources([self.folder.path])

    def test_broken_symlink_names_its_target(self):
        """A link to a deleted file says where it pointed."""
        link = self.folder.path / "gone.txt"
        os.symlink(self.folder.path / "deleted.txt", link)
        with self.assertRaisesMessage(ImportFailed, "deleted.txt, which does not exist"):
            import_sources([link])

    @override_settings(SOURCES_MAX_FILE_BYTES=1000)
    def test_file_over_the_size_limit_is_refused(self):
        """A file larger than SOURCES_MAX_FILE_BYTES is refused with its size and the limit; nothing is written."""
        self.folder.write("big.txt", "A sentence of the article.\n" * 100)
        with self.assertRaisesMessage(ImportFailed, "is 2,700 bytes, over the limit of 1,000 bytes"):
            import_sources([self.folder.path])
        self.assertFalse(Source.objects.exists())

    def test_file_of_only_site_chrome_is_refused(self):
        """A copy that caught only the site's menus and share bar is refused, not imported as an empty source."""
        self.folder.write("chrome.txt", "Home | Politics | Economy\nShare\nSubscribe\n© 2024 Some News\n")
        with self.assertRaisesMessage(ImportFailed, "holds no article text"):
            import_sources([self.folder.path])


ARTICLE_HTML = (
    "<h1>Azerbaijan, Russia discuss transit corridor</h1>"
    "<p>Azerbaijan and Russia have discussed expanding freight traffic along the North-South corridor, "
    "the ministry said on Tuesday.</p>"
    "<p>The sides reviewed the progress of work on the Azerbaijani section of the route and the timetable "
    "for the reconstruction of the border crossing.</p>"
)
PAGE = f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Azerbaijan, Russia discuss transit corridor | Azernews</title>
<meta property="og:site_name" content="Azernews">
<meta name="author" content="Aygun Hasanova">
<meta property="article:published_time" content="2024-03-12T14:05:00+04:00">
<link rel="canonical" href="https://www.azernews.az/business/123456.html">
</head><body>
<header><nav><a href="/">Home</a> | <a href="/politics">Politics</a></nav></header>
<main><article>{ARTICLE_HTML}</article></main>
<footer><p>© 2024 Azernews. All rights reserved.</p></footer>
</body></html>"""


class WebPageImportTests(TestCase):
    def setUp(self):
        self.folder = TemporaryFolder(self)

    def test_saved_page_imports_its_main_text_and_stated_metadata(self):
        """A saved .html page becomes its article with the title, author, site, date, URL and language it states."""
        self.folder.write("page.html", PAGE)
        [result] = import_sources([self.folder.path])
        source = Source.objects.get()
        self.assertEqual(
            (source.title, source.authors, source.publisher, source.published_on, source.url, source.language),
            ("Azerbaijan, Russia discuss transit corridor", "Aygun Hasanova", "Azernews", datetime.date(2024, 3, 12),
             "https://www.azernews.az/business/123456.html", "en"),
        )
        self.assertEqual(source.slug, "azerbaijan-russia-discuss-transit-corridor")
        self.assertEqual(list(source.passages.values_list("kind", flat=True)), ["heading", "paragraph", "paragraph"])
        self.assertNotIn("Home", source.text)
        self.assertNotIn("<", source.text)

    def test_page_states_nothing_and_nothing_is_invented(self):
        """A bare page gets no author, site name, date or language that it does not state."""
        self.folder.write("bare.html", f"<html><head><link rel='canonical' href='https://example.org/a'></head>"
                                       f"<body><article>{ARTICLE_HTML[ARTICLE_HTML.index('<p>'):]}</article></body></html>")
        import_sources([self.folder.path])
        source = Source.objects.get()
        self.assertEqual((source.authors, source.publisher, source.published_on, source.language), ("", "", None, ""))
        self.assertEqual(source.url, "https://example.org/a")

    def test_manifest_overrides_what_the_page_states(self):
        """The manifest has the last word on metadata, for web pages as for text files."""
        self.folder.write("page.html", PAGE)
        self.folder.write("sources.toml", '[sources."page.html"]\nslug = "corridor"\npublisher = "AzerNews"\n')
        import_sources([self.folder.path])
        source = Source.objects.get()
        self.assertEqual((source.slug, source.publisher, source.authors), ("corridor", "AzerNews", "Aygun Hasanova"))

    def test_reimporting_the_same_page_changes_nothing(self):
        """Importing a saved page twice leaves the source as it was."""
        self.folder.write("page.html", PAGE)
        import_sources([self.folder.path])
        [result] = import_sources([self.folder.path])
        self.assertEqual(result.action, "unchanged")

    def test_page_without_main_text_is_refused(self):
        """A saved page that holds only navigation is a clear error, and nothing is written."""
        self.folder.write("empty.html", "<html><head><title>Azernews</title></head><body><nav></nav></body></html>")
        with self.assertRaisesMessage(ImportFailed, "empty.html: is a web page with no main text"):
            import_sources([self.folder.path])
        self.assertFalse(Source.objects.exists())


@skipUnless(connection.vendor == "postgresql", "PostgreSQL makes the second writer wait on the unique slug")
class ConcurrentImportTests(TransactionTestCase):
    # Later transactional tests restore the migrated rows (groups, content types) from the serialized copy.
    serialized_rollback = True

    def test_two_imports_of_the_same_new_file_end_in_one_source_and_a_clear_message(self):
        """Two people importing the same new article at once get one source and, for the other, a message."""
        folder = TemporaryFolder(self)
        folder.write("new.txt", "A Brand New Headline\nThe first sentence of the story.\n")
        # Both imports reach the write only after both have checked that the source does not exist yet.
        both_planned = threading.Barrier(2, timeout=20)

        def wait_for_the_other(sender, instance, **kwargs):
            if instance.pk is None:
                both_planned.wait()

        pre_save.connect(wait_for_the_other, sender=Source, weak=False)
        self.addCleanup(pre_save.disconnect, wait_for_the_other, sender=Source)
        outcomes = []

        def run():
            try:
                outcomes.append(import_sources([folder.path])[0].action)
            except ImportFailed as failure:
                outcomes.append(str(failure))
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(len(outcomes), 2)
        self.assertIn("created", outcomes)
        [message] = [outcome for outcome in outcomes if outcome != "created"]
        self.assertIn("was imported by another run at the same time; nothing from this run was written", message)
        self.assertEqual(Source.objects.filter(slug="a-brand-new-headline").count(), 1)
