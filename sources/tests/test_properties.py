"""Properties of splitting and importing that must hold for any text, checked on generated articles."""
import shutil
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from sources import text as passage_text
from sources.importer import import_sources
from sources.models import Passage, Source

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters articles are made of, including the ones normalisation works on.
ALPHABET = st.sampled_from(
    list("abcdefghij ABC.,!?;:'\"-") + ["\t", "\n", "\r", "\r\n", "\ufeff", "é", "e\u0301", "—", "’", "“", "\u00a0"]
)
RAW_TEXT = st.lists(ALPHABET, min_size=1, max_size=200).map("".join)
# Lines as an article file has them: words, sometimes repeated, sometimes blank.
LINE = st.sampled_from(
    [
        "Officials signed a transit agreement on Monday.",
        "The pipeline will carry gas to Europe.",
        "Photo: a compressor station",
        "Share",
        "Analysts expect tariffs to fall",
        "",
        "   ",
        "Moscow reacted cautiously, saying cooperation should not exclude Russia.",
    ]
)
ARTICLE = st.lists(LINE, min_size=1, max_size=25).filter(lambda lines: any(line.strip() for line in lines))


def normalised_or_none(raw):
    try:
        return passage_text.normalise(raw.encode("utf-8"))
    except passage_text.TextError:
        return None


class SplittingProperties(TestCase):
    @FAST
    @given(RAW_TEXT)
    def test_passages_are_exact_slices_and_cover_the_text(self, raw):
        """Every passage is its own words at its offsets, and between passages lies only whitespace or repeats."""
        text = normalised_or_none(raw)
        if text is None:
            return
        passages = passage_text.split(text)
        position = 0
        earlier = {""}
        for passage in passages:
            self.assertEqual(text[passage.start:passage.end], passage.text)
            self.assertGreaterEqual(passage.start, position)
            gap = text[position:passage.start]
            for line in gap.split("\n"):
                # A line printed again anywhere (a headline, a caption) is one passage: a gap holds only copies.
                self.assertIn(line.strip(), earlier)
            position = passage.end
            earlier.add(passage.text)
        for line in text[position:].split("\n"):
            self.assertIn(line.strip(), earlier)

    @FAST
    @given(RAW_TEXT)
    def test_joining_the_passages_gives_back_the_lines(self, raw):
        """Joining the passages' slices returns the text's non-blank lines, each repeated line at its first copy."""
        text = normalised_or_none(raw)
        if text is None:
            return
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        deduplicated = list(dict.fromkeys(lines))
        joined = [text[passage.start:passage.end] for passage in passage_text.split(text)]
        self.assertEqual(joined, deduplicated)

    @FAST
    @given(RAW_TEXT)
    def test_normalising_twice_changes_nothing(self, raw):
        """Normalised text is stable: no BOM, no carriage returns, composed Unicode, whatever went in."""
        text = normalised_or_none(raw)
        if text is None:
            return
        self.assertEqual(passage_text.normalise(text.encode("utf-8")), text)
        self.assertNotIn("\r", text)
        self.assertFalse(text.startswith("\ufeff"))
        self.assertEqual(unicodedata.normalize("NFC", text), text)


class ImportProperties(TestCase):
    def folder(self, articles):
        path = Path(tempfile.mkdtemp(prefix="briefings-property-"))
        self.addCleanup(shutil.rmtree, path, ignore_errors=True)
        for number, lines in enumerate(articles):
            (path / f"article-{number}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def state(self):
        return (
            list(Source.objects.order_by("pk").values()),
            list(Passage.objects.order_by("pk").values()),
        )

    @SLOW
    @given(st.lists(ARTICLE, min_size=1, max_size=3))
    def test_importing_twice_equals_importing_once(self, articles):
        """A second import of the same files reports them unchanged and leaves every row exactly as it was."""
        folder = self.folder([[f"Story {number} about the corridor", *lines] for number, lines in enumerate(articles)])
        import_sources([folder])
        once = self.state()
        results = import_sources([folder])
        self.assertEqual({result.action for result in results}, {"unchanged"})
        self.assertEqual(self.state(), once)

    @SLOW
    @given(ARTICLE, ARTICLE)
    def test_reimporting_a_changed_file_keeps_passages_exact(self, before, after):
        """After a source changes, its current passages are exact slices of its new text, in order."""
        folder = self.folder([["Story about the corridor", *before]])
        import_sources([folder])
        (folder / "article-0.txt").write_text("\n".join(["Story about the corridor", *after]) + "\n", encoding="utf-8")
        import_sources([folder])
        source = Source.objects.get()
        current = list(source.passages.current().order_by("ordinal"))
        self.assertEqual([p.ordinal for p in current], list(range(1, len(current) + 1)))
        for passage in current:
            self.assertEqual(source.text[passage.start:passage.end], passage.text)
