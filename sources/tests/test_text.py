from collections import Counter

from django.test import SimpleTestCase

from sources import text
from sources.importer import read_manifest

from .factories import SEED_DIR, SEED_FILES

# What a careful reader finds in each seed: passages per kind.
EXPECTED_KINDS = {
    "000_07de88ce6cc2ac74.txt": {"paragraph": 56, "heading": 5},
    "001_5c1d05645bcedec6.txt": {"paragraph": 15, "heading": 1, "boilerplate": 3},
    "002_36a8a1ee27f13bce.txt": {"paragraph": 43, "heading": 4, "caption": 5, "boilerplate": 5},
    "003_6caf851ee1c755f2.txt": {"paragraph": 11, "heading": 3},
    "004_29df46782bb1d729.txt": {"paragraph": 8, "heading": 1, "caption": 1, "boilerplate": 1},
}


def split_seed(path):
    entries, problems = read_manifest(SEED_DIR / "sources.toml")
    assert not problems, problems
    overrides = [(prefix, kind) for prefix, kind, _ in entries[path.name].kind_overrides]
    normalised = text.normalise(path.read_bytes())
    return normalised, text.split(normalised, overrides)


class NormaliseTests(SimpleTestCase):
    def test_crlf_and_bom_give_the_same_text_as_lf(self):
        """A file saved on Windows imports to exactly the same text as the original."""
        for path in SEED_FILES:
            raw = path.read_bytes()
            windows = b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n")
            self.assertEqual(text.normalise(windows), text.normalise(raw), path.name)

    def test_several_leading_byte_order_marks_are_all_dropped(self):
        """Two files glued together by a tool keep both marks; neither becomes an invisible first character."""
        self.assertEqual(text.normalise(b"\xef\xbb\xbf\xef\xbb\xbfBaku said.\n"), "Baku said.\n")
        with self.assertRaises(text.TextError):
            text.normalise(b"\xef\xbb\xbf\xef\xbb\xbf")

    def test_lone_carriage_returns_become_line_feeds(self):
        """Old Mac line ends still separate passages."""
        self.assertEqual(text.normalise(b"One line.\rTwo lines.\r"), "One line.\nTwo lines.\n")

    def test_unicode_is_composed(self):
        """A decomposed accent is stored composed, so quotes typed either way match."""
        self.assertEqual(text.normalise("Bak\u0075\u0308".encode()), "Bak\u00fc")

    def test_typography_is_kept(self):
        """Typographic quotes, dashes and inner spacing stay exactly as printed."""
        raw = "“Quoted” — dash  and  spaces’\n".encode()
        self.assertEqual(text.normalise(raw), raw.decode())

    def test_invalid_utf8_reports_the_byte_offset(self):
        """An editor learns where the bad byte is."""
        with self.assertRaisesMessage(text.TextError, "byte offset 6"):
            text.normalise(b"Hello \xff world")

    def test_nul_byte_is_refused(self):
        """A binary file is not imported as an article."""
        with self.assertRaisesMessage(text.TextError, "NUL byte at byte offset 3"):
            text.normalise(b"abc\x00def")

    def test_whitespace_only_is_refused(self):
        """An empty article cannot become a source."""
        with self.assertRaisesMessage(text.TextError, "empty"):
            text.normalise(b" \n\t\r\n")


class SplitTests(SimpleTestCase):
    def test_each_seed_has_the_expected_passage_kinds(self):
        """Headings, captions and site chrome are recognised in every seed."""
        for path in SEED_FILES:
            _, passages = split_seed(path)
            self.assertEqual(dict(Counter(p.kind for p in passages)), EXPECTED_KINDS[path.name], path.name)

    def test_offsets_reassemble_the_text(self):
        """Every passage is the exact slice of the text at its offsets, and nothing else is lost."""
        for path in SEED_FILES:
            normalised, passages = split_seed(path)
            remainder = []
            position = 0
            for passage in passages:
                self.assertEqual(normalised[passage.start : passage.end], passage.text)
                remainder.append(normalised[position : passage.start])
                position = passage.end
            remainder.append(normalised[position:])
            rebuilt = "".join(
                gap + passage.text for gap, passage in zip(remainder, passages, strict=False)
            ) + remainder[-1]
            self.assertEqual(rebuilt, normalised, path.name)
            # Outside the passages there is only whitespace and the second copy of a caption.
            captions = {p.text for p in passages if p.kind == "caption"}
            for gap in remainder:
                for line in gap.split("\n"):
                    self.assertTrue(not line.strip() or line.strip() in captions, repr(line))

    def test_duplicated_caption_becomes_one_caption(self):
        """A photo caption printed twice is one citable caption, at its first copy."""
        passages = text.split("Title here\n\nA photo caption.\nA photo caption.\n\nBody text follows here.\n")
        self.assertEqual([p.kind for p in passages], ["heading", "caption", "paragraph"])
        self.assertEqual(passages[1].start, len("Title here\n\n"))

    def test_single_and_blank_line_separators_both_split(self):
        """Paragraphs separated by one newline or by blank lines are passages alike."""
        passages = text.split("First paragraph ends here.\nSecond one too.\n\n\nThird as well.")
        self.assertEqual(len(passages), 3)
        self.assertEqual([p.anchor for p in passages], ["p-1", "p-2", "p-3"])

    def test_site_chrome_is_boilerplate_and_not_citable(self):
        """Navigation, teasers and legal notices can never be cited."""
        passages = text.split(
            "Accessibility links\nBreaking News\nStory headline\nA sentence of the story.\n"
            "To find out more, click here.\nCheck Also\nAnother story entirely\nIts teaser sentence …\n"
        )
        kinds = [(p.text, p.kind, p.citable) for p in passages]
        self.assertEqual(
            kinds,
            [
                ("Accessibility links", "boilerplate", False),
                ("Breaking News", "boilerplate", False),
                ("Story headline", "heading", True),
                ("A sentence of the story.", "paragraph", True),
                ("To find out more, click here.", "boilerplate", False),
                ("Check Also", "boilerplate", False),
                ("Another story entirely", "boilerplate", False),
                ("Its teaser sentence …", "boilerplate", False),
            ],
        )

    def test_override_sets_the_kind_of_a_matching_line(self):
        """The manifest can correct a kind the rules got wrong."""
        passages = text.split("A caption without a twin (Source:\nBody.\n", [("A caption without", "caption")])
        self.assertEqual(passages[0].kind, "caption")

    def test_sentence_length_line_without_punctuation_is_still_a_paragraph(self):
        """Only short lines are taken for headings."""
        line = "This line has many words but the writer forgot to end it with any punctuation at all"
        self.assertEqual(text.split(line)[0].kind, "paragraph")
