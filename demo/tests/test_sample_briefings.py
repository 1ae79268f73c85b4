import shutil
from io import StringIO

from django.test import TestCase

from briefings.models import Briefing, Citation
from briefings.tests.factories import make_user
from demo.sample_briefings import SampleBriefingError, default_sample_dir, load_sample_briefings
from sources.importer import default_seed_dir, import_sources
from sources.tests.factories import TemporaryFolder


def load(folder=None):
    out = StringIO()
    load_sample_briefings(out, folder)
    return out.getvalue()


class SampleBriefingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_sources([default_seed_dir()])
        make_user("analyst")
        make_user("editor")
        cls.output = load()

    def test_every_sample_is_loaded(self):
        """Each file in seeds/briefings becomes a briefing."""
        self.assertEqual(Briefing.objects.count(), len(list(default_sample_dir().glob("*.md"))))
        self.assertGreaterEqual(Briefing.objects.count(), 3)

    def test_samples_cite_enough_sources(self):
        """Every sample cites at least four passages from at least two sources, and has tags."""
        for briefing in Briefing.objects.all():
            with self.subTest(briefing=briefing.slug):
                citations = briefing.citations.select_related("passage")
                self.assertGreaterEqual(len({c.passage_id for c in citations}), 4)
                self.assertGreaterEqual(len({c.passage.source_id for c in citations}), 2)
                self.assertTrue(briefing.tags.exists())

    def test_samples_are_valid_and_rendered(self):
        """Every sample's markers match its citations and its stored HTML has its footnotes."""
        for briefing in Briefing.objects.all():
            with self.subTest(briefing=briefing.slug):
                briefing.full_clean()
                self.assertIn('<section class="footnotes"', briefing.body_html)
                self.assertEqual(briefing.body_html.count('class="footnote"'), briefing.citations.count())

    def test_citations_store_the_sources_exact_words(self):
        """Quotes typed with straight quotes or hyphens are stored as the source prints them."""
        for citation in Citation.objects.select_related("passage"):
            self.assertEqual(citation.passage.text[citation.start:citation.end], citation.quote)
        self.assertTrue(Citation.objects.filter(quote__contains="“no Russia, no West”").exists())

    def test_authors_are_attached(self):
        """Samples name their authors by username."""
        self.assertTrue(Briefing.objects.filter(authors__username="analyst").exists())
        self.assertTrue(Briefing.objects.filter(authors__username="editor").exists())

    def test_output_has_one_line_per_briefing(self):
        """The loader prints one line per sample saying what it did."""
        self.assertEqual(self.output.count("briefing  created"), Briefing.objects.count())

    def test_loading_again_changes_nothing(self):
        """Running the loader twice writes nothing the second time."""
        before = list(Briefing.objects.values_list("pk", "updated_at", "body_html"))
        citations = list(Citation.objects.values_list("pk", "start", "end"))
        output = load()
        self.assertEqual(output.count("briefing  unchanged"), Briefing.objects.count())
        self.assertEqual(list(Briefing.objects.values_list("pk", "updated_at", "body_html")), before)
        self.assertEqual(list(Citation.objects.values_list("pk", "start", "end")), citations)


class SampleFailureTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_sources([default_seed_dir()])
        make_user("analyst")
        make_user("editor")

    def copy_samples(self):
        folder = TemporaryFolder(self)
        for path in default_sample_dir().glob("*.md"):
            shutil.copy(path, folder.path / path.name)
        return folder

    def test_quote_that_no_longer_verifies_fails_loudly(self):
        """A sample whose quote is not in its passage stops the load, naming the file and the citation."""
        folder = self.copy_samples()
        path = folder.path / "03-gas-between-brussels-and-gazprom.md"
        path.write_text(path.read_text().replace("at least 20 billion", "at least 30 billion"))
        with self.assertRaises(SampleBriefingError) as raised:
            load(folder.path)
        message = str(raised.exception)
        self.assertIn("03-gas-between-brussels-and-gazprom.md:", message)
        self.assertIn("[^eu-deal]", message)
        self.assertEqual(Briefing.objects.count(), 0)

    def test_source_changed_under_a_sample_fails_loudly(self):
        """After a source is re-imported with the quoted words changed, loading the samples fails."""
        seeds = TemporaryFolder(self)
        seeds.copy_seeds()
        article = seeds.path / "001_5c1d05645bcedec6.txt"
        article.write_text(article.read_text().replace("2,000 soldiers", "3,000 soldiers"))
        import_sources([seeds.path])
        with self.assertRaises(SampleBriefingError) as raised:
            load()
        self.assertIn("[^demining]", str(raised.exception))
        self.assertEqual(Briefing.objects.count(), 0)

    def test_unknown_passage_is_reported(self):
        """A sample citing a passage anchor the source does not have is refused with its line."""
        folder = self.copy_samples()
        path = folder.path / "01-baku-gains-from-moscows-distraction.md"
        path.write_text(path.read_text().replace('passage = "p-5"', 'passage = "p-500"'))
        with self.assertRaises(SampleBriefingError) as raised:
            load(folder.path)
        self.assertRegex(
            str(raised.exception), r"01-baku-gains-from-moscows-distraction\.md:\d+: citation \[\^flexibility\]"
        )

    def test_marker_mismatch_is_reported(self):
        """A sample whose body uses a marker without citation is refused, naming the marker."""
        folder = self.copy_samples()
        path = folder.path / "02-north-south-corridor.md"
        path.write_text(path.read_text() + "\nOne more claim.[^unknown]\n")
        with self.assertRaises(SampleBriefingError) as raised:
            load(folder.path)
        self.assertIn("[^unknown]", str(raised.exception))

    def test_malformed_front_matter_names_the_line(self):
        """Broken TOML is reported with the file and line."""
        folder = TemporaryFolder(self)
        folder.write("bad.md", '+++\ntitle = "Fine"\ndek = unquoted words\n+++\nBody.\n')
        with self.assertRaises(SampleBriefingError) as raised:
            load(folder.path)
        self.assertIn("bad.md:3: malformed front matter", str(raised.exception))

    def test_missing_author_account_is_a_warning(self):
        """An author without an account is reported, and the briefing still loads."""
        folder = TemporaryFolder(self)
        shutil.copy(default_sample_dir() / "02-north-south-corridor.md", folder.path)
        path = folder.path / "02-north-south-corridor.md"
        path.write_text(path.read_text().replace('authors = ["analyst"]', 'authors = ["nobody"]'))
        output = load(folder.path)
        self.assertIn("author 'nobody' has no account yet", output)
        self.assertEqual(Briefing.objects.count(), 1)
