from collections import Counter

from django.test import SimpleTestCase

from sources import text
from sources.importer import read_manifest

from .factories import COPIED_PAGES, SEED_DIR, SEED_FILES

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
            # Outside the passages there is only whitespace and the second copy of a line printed twice.
            kept = {p.text for p in passages}
            for gap in remainder:
                for line in gap.split("\n"):
                    self.assertTrue(not line.strip() or line.strip() in kept, repr(line))

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


# Pages copied from a browser in the styles of several publishers: (headline, passages per kind).
COPIED_PAGE_KINDS = {
    "azernews.txt": (
        "Azerbaijan, Russia discuss North-South transit corridor",
        {"boilerplate": 18, "caption": 1, "heading": 1, "paragraph": 5},
    ),
    "eurasianet.txt": (
        "Azerbaijan and Armenia agree on first stretch of border",
        {"boilerplate": 14, "caption": 1, "heading": 2, "paragraph": 6},
    ),
    "jam_news.txt": (
        "Baku bans imports of Russian fruit after inspection",
        {"boilerplate": 13, "heading": 1, "paragraph": 4},
    ),
    "kyiv_independent.txt": (
        "Why Azerbaijan matters to the Kremlin’s southern strategy",
        {"boilerplate": 19, "heading": 2, "paragraph": 4},
    ),
    "reuters.txt": (
        "Azerbaijan's SOCAR signs gas supply deal with Gazprom",
        {"boilerplate": 14, "heading": 1, "paragraph": 3},
    ),
    "rferl.txt": (
        "Georgia’s Ruling Party Pushes Ahead With Foreign Agent Law",
        {"boilerplate": 15, "caption": 1, "heading": 2, "paragraph": 6},
    ),
    "tass.txt": ("Putin, Aliyev hold talks in Baku", {"boilerplate": 11, "caption": 1, "heading": 2, "paragraph": 3}),
}


def split_page(name):
    return text.split(text.normalise((COPIED_PAGES / name).read_bytes()))


class CopiedPageTests(SimpleTestCase):
    def test_each_copied_page_splits_into_its_story_and_chrome(self):
        """A page copied from a news site keeps its story citable and sets its menus, share bars and teasers apart."""
        self.assertEqual(sorted(p.name for p in COPIED_PAGES.glob("*.txt")), sorted(COPIED_PAGE_KINDS))
        for name, (headline, kinds) in COPIED_PAGE_KINDS.items():
            passages = split_page(name)
            self.assertEqual(dict(Counter(p.kind for p in passages)), kinds, name)
            self.assertEqual(text.headline(passages).text, headline, name)

    def test_story_paragraphs_stay_citable(self):
        """No sentence of the story itself is hidden as chrome."""
        # Long sentences that do not speak of the site itself ("our", "cookies") are story text.
        for name in COPIED_PAGE_KINDS:
            for passage in split_page(name):
                own_words = {"our", "cookies"} & set(passage.text.lower().replace(".", " ").split())
                if passage.text.endswith(".") and len(passage.text.split()) >= 12 and not own_words:
                    self.assertTrue(passage.citable, f"{name}: {passage.text}")

    def test_masthead_and_section_names_above_the_headline_are_chrome(self):
        """The site's name never becomes the source's title or a citable heading."""
        kinds = {p.text: p.kind for p in split_page("azernews.txt")}
        self.assertEqual(kinds["AZERNEWS"], "boilerplate")
        self.assertEqual(kinds["Azernews.Az"], "boilerplate")
        kinds = {p.text: p.kind for p in split_page("tass.txt")}
        self.assertEqual((kinds["TASS"], kinds["Russian News Agency"], kinds["World"]), ("boilerplate",) * 3)

    def test_chrome_lines_of_every_kind_are_boilerplate(self):
        """Menus, share and follow lines, pitches, related lists, bylines, dates and notices are never citable."""
        chrome = [
            "Politics | Economy | Society | Culture",
            "News • Analytics • Opinions • Video",
            "Home » Politics",
            "EN  RU  GE  AM  AZ",
            "Share",
            "Tweet",
            "Facebook Twitter Telegram WhatsApp",
            "Share on Facebook",
            "Copy link",
            "Follow us on Twitter @SomeNews",
            "Follow SomeNews on Facebook, Telegram and Instagram",
            "Subscribe",
            "Sign up for our newsletter",
            "Support our journalism",
            "Become a member",
            "Related",
            "Read more",
            "Read also:",
            "Read more: Another Story Entirely",
            "More from Caucasus",
            "Most read",
            "By Jane Doe",
            "By Jane Doe and John Roe, Reuters",
            "by Anna Myroniuk",
            "12 March 2024, 14:05",
            "12.03.2024, 14:05",
            "March 12, 2024 2:05 PM GMT+4 Updated 3 hours ago",
            "Updated 2 hours ago",
            "Published",
            "5 min read",
            "© 2024 Some News. All rights reserved.",
            "Copyright (c) 2024 Some News",
            "We use cookies to improve your experience on our site.",
            "Accept all cookies",
            "BAKU, August 19. /TASS/.",
            "If you find an error, highlight it and press Ctrl+Enter",
        ]
        for line in chrome:
            self.assertTrue(text.is_boilerplate(line), line)

    def test_story_lines_like_chrome_are_not_boilerplate(self):
        """Sentences that start like chrome ("By the end…", "Support for…") stay citable story text."""
        story = [
            "By the end of the year, the pipeline will carry twice as much gas.",
            "Support for the agreement has grown in both capitals.",
            "Subscribers to the state operator pay less than in 2020.",
            "Energy",
            "Share prices in Baku rose sharply after the announcement.",
            "Updated figures from the ministry show a rise in freight of 38 percent this year.",
            "South Caucasus puzzle",
            "Subscribe " + "to the view that this deal changes everything for the region " * 5 + ".",
        ]
        for line in story:
            self.assertFalse(text.is_boilerplate(line), line)

    def test_headline_printed_twice_apart_is_one_heading(self):
        """A headline repeated above the story is one heading, not a duplicate paragraph to cite."""
        passages = text.split("Site Name\nPutin visits Baku\nBy Jane Doe\nPutin visits Baku\nThe story begins here.\n")
        self.assertEqual([(p.text, p.kind) for p in passages], [
            ("Site Name", "boilerplate"),
            ("Putin visits Baku", "heading"),
            ("By Jane Doe", "boilerplate"),
            ("The story begins here.", "paragraph"),
        ])

    def test_caption_printed_twice_apart_is_one_caption(self):
        """A photo caption shown under the photo and again in a gallery is one caption, at its first copy."""
        passages = text.split(
            "Headline of the story\nA first paragraph of the story.\nLeaders meet in Moscow on April 22.\n"
            "A second paragraph of the story.\nLeaders meet in Moscow on April 22.\n"
        )
        self.assertEqual([p.kind for p in passages], ["heading", "paragraph", "caption", "paragraph"])
        self.assertEqual(passages[2].start, len("Headline of the story\nA first paragraph of the story.\n"))

    def test_related_list_ends_at_the_next_story_sentence(self):
        """Teaser headlines after "Related" are chrome, but the story that continues after them is not."""
        passages = text.split(
            "Headline here\nFirst sentence of the story.\nRelated\nOther story one\nOther story two?\n"
            "The story goes on after the list.\n"
        )
        self.assertEqual(
            [p.kind for p in passages],
            ["heading", "paragraph", "boilerplate", "boilerplate", "boilerplate", "paragraph"],
        )

    def test_overlong_line_without_punctuation_is_not_a_heading(self):
        """A megabyte line without a full stop is a paragraph, so it can never become a megabyte title."""
        passages = text.split("x" * 300_000 + "\n")
        self.assertEqual(passages[0].kind, "paragraph")
        self.assertIsNone(text.headline(passages))

    def test_headline_with_a_standfirst_beats_the_masthead_and_tagline(self):
        """A headline followed by its standfirst is the title, not the site's tagline or the standfirst."""
        passages = text.split(
            "TASS\nExclusive news and analysis for professionals\nWorld\nPutin, Aliyev hold talks in Baku\n"
            "The Russian leader arrived on a two-day state visit\nThe two leaders discussed trade and transport.\n"
        )
        self.assertEqual(text.headline(passages).text, "Putin, Aliyev hold talks in Baku")
        self.assertEqual(
            [p.kind for p in passages], ["boilerplate", "boilerplate", "boilerplate", "heading", "heading", "paragraph"]
        )
