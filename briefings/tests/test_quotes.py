from django.test import SimpleTestCase
from hypothesis import given
from hypothesis import strategies as st

from briefings import quotes

TEXT = (
    "“There is a saying that the only winner of the Ukraine war is Azerbaijan,” said Shujaat Ahmadzada, "
    "an independent researcher — and Moscow’s focus on the war has created flexibility for Baku."
)


class LocateTests(SimpleTestCase):
    def test_exact_quote_returns_its_offsets(self):
        """A quote pasted exactly is found at its place in the passage."""
        match = quotes.locate(TEXT, "the only winner of the Ukraine war")
        self.assertEqual(TEXT[match.start:match.end], "the only winner of the Ukraine war")
        self.assertEqual(match.quote, "the only winner of the Ukraine war")

    def test_whitespace_runs_are_tolerated(self):
        """Line breaks and double spaces from a pasted quote do not stop it being found."""
        match = quotes.locate(TEXT, "the only  winner\nof the\tUkraine war")
        self.assertEqual(match.quote, "the only winner of the Ukraine war")

    def test_straight_quotes_and_apostrophes_match_typographic_ones(self):
        """Straight quote marks match curly ones, and what is stored is the source's curly text."""
        match = quotes.locate(TEXT, "Azerbaijan,\" said Shujaat")
        self.assertEqual(match.quote, "Azerbaijan,” said Shujaat")
        self.assertEqual(quotes.locate(TEXT, "and Moscow's focus on").quote, "and Moscow’s focus on")

    def test_hyphens_match_dashes_with_or_without_spaces(self):
        """An em dash typed as a hyphen or as two hyphens still matches."""
        for typed in ("researcher - and Moscow’s", "researcher--and Moscow’s", "researcher—and Moscow’s"):
            with self.subTest(typed=typed):
                self.assertEqual(quotes.locate(TEXT, typed).quote, "researcher — and Moscow’s")

    def test_case_is_not_ignored(self):
        """Different capitals are a different quote, and the message shows the passage's words."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(TEXT, "The Only Winner of the Ukraine war")
        self.assertEqual(raised.exception.code, "not_found")
        self.assertIn("the only winner of the Ukraine war", str(raised.exception))

    def test_near_miss_names_the_closest_words(self):
        """A misspelt quote is refused with the closest words of the passage as a suggestion."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(TEXT, "the only winner of the Ukrainian war is Azerbaijan")
        self.assertEqual(raised.exception.suggestion, "the only winner of the Ukraine war is Azerbaijan")

    def test_unrelated_words_are_refused_without_suggestion(self):
        """Words with nothing close in the passage are refused and no suggestion is made up."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(TEXT, "tariffs on imported steel rose sharply")
        self.assertIsNone(raised.exception.suggestion)

    def test_empty_quote_is_refused(self):
        """An empty quote is refused with its own message."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(TEXT, "   ")
        self.assertEqual(raised.exception.code, "empty")

    def test_fewer_than_three_words_is_refused(self):
        """A two-word quote is too short to mean anything and is refused."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(TEXT, "Ukraine war")
        self.assertEqual(raised.exception.code, "too_short")


class DuplicateTests(SimpleTestCase):
    PASSAGE = "Gas flows west. Oil flows east. Gas flows west again."

    def test_repeated_quote_needs_disambiguation(self):
        """Words that occur twice are refused until the analyst says which occurrence is meant."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(self.PASSAGE, "Gas flows west")
        self.assertEqual(raised.exception.code, "ambiguous")
        self.assertIn("2 times", str(raised.exception))

    def test_offset_chooses_the_occurrence(self):
        """Giving the offset of the second occurrence picks it."""
        second = self.PASSAGE.rindex("Gas flows west")
        self.assertEqual(quotes.locate(self.PASSAGE, "Gas flows west", start=second).start, second)

    def test_prefix_chooses_the_occurrence(self):
        """Giving the words before the quote picks the occurrence they precede."""
        match = quotes.locate(self.PASSAGE, "Gas flows west", prefix="Oil flows east. ")
        self.assertEqual(match.start, self.PASSAGE.rindex("Gas flows west"))

    def test_suffix_chooses_the_occurrence(self):
        """Giving the words after the quote picks the occurrence they follow."""
        self.assertEqual(quotes.locate(self.PASSAGE, "Gas flows west", suffix=". Oil").start, 0)

    def test_context_is_stored_around_the_match(self):
        """The stored prefix and suffix are the characters just around the quote."""
        match = quotes.locate(TEXT, "the only winner of the Ukraine war")
        self.assertTrue(TEXT[:match.start].endswith(match.prefix))
        self.assertTrue(TEXT[match.end:].startswith(match.suffix))
        self.assertEqual(len(match.prefix), min(quotes.CONTEXT_CHARS, match.start))


words = st.lists(st.sampled_from(["gas", "oil", "Baku", "Moscow’s", "“deal”", "—", "rail", "route"]), min_size=3)


class PropertyTests(SimpleTestCase):
    @given(words, st.data())
    def test_any_stretch_of_words_is_found_exactly(self, passage_words, data):
        """Any run of three or more words of a passage is found, and the stored words are the source's own."""
        text = " ".join(passage_words)
        start = data.draw(st.integers(0, len(passage_words) - 3))
        end = data.draw(st.integers(start + 3, len(passage_words)))
        quote = " ".join(passage_words[start:end]).replace("’", "'").replace("—", "-")
        if quotes.word_count(quote) < quotes.MIN_WORDS:
            return
        spans = quotes.find_all(text, quote)
        self.assertTrue(spans)
        for span_start, span_end in spans:
            self.assertEqual(quotes.fold(text[span_start:span_end]).text, quotes.fold(quote).text)


class BoundedWorkTests(SimpleTestCase):
    """A huge passage or a huge quote gets the right answer without the check searching without end."""

    big = " ".join(["The delegation met officials in Baku on Monday, and talks went on."] * 30_000)  # ~2 MB

    def test_quote_longer_than_its_passage_is_refused_first(self):
        """A quote longer than the whole passage is refused saying so, before any search."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate("A short passage of five words.", "A short passage of five words, and then many more.")
        self.assertEqual(raised.exception.code, "longer_than_passage")
        self.assertIn("longer than the whole passage", str(raised.exception))

    def test_quote_with_ellipsis_may_equal_a_passage_with_one(self):
        """Three dots in a quote match the ellipsis character of a passage of the same words."""
        match = quotes.locate("He paused… and signed the deal.", "He paused... and signed the deal.")
        self.assertEqual(match.quote, "He paused… and signed the deal.")

    def test_absent_long_quote_on_huge_passage_is_refused(self):
        """A missing 5,000-character quote on a 2 MB passage is refused as missing, saying why there is no hint."""
        quote = ("Officials denied every word of the report about the pipeline. " * 80)[:5000]
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(self.big, quote)
        self.assertEqual(raised.exception.code, "not_found")
        self.assertIn("too long to look for the closest words", str(raised.exception))

    def test_ambiguous_short_quote_on_huge_passage_is_refused_with_a_bounded_list(self):
        """Three words found 30,000 times are refused as ambiguous, naming a few places, not all of them."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(self.big, "officials in Baku")
        message = str(raised.exception)
        self.assertEqual(raised.exception.code, "ambiguous")
        self.assertIn(f"more than {quotes.MAX_CANDIDATES} times", message)
        self.assertIn("further on", message)
        self.assertLess(len(message), 400)

    def test_offset_far_into_huge_passage_still_chooses_the_occurrence(self):
        """An occurrence beyond the places looked at is still found by its offset, as a saved citation has it."""
        sentence = "The delegation met officials in Baku on Monday, and talks went on. "
        start = sentence.index("officials") + len(sentence) * 20_000
        match = quotes.locate(self.big, "officials in Baku", start=start)
        self.assertEqual((match.start, match.quote), (start, "officials in Baku"))

    def test_context_chooses_among_few_occurrences_in_a_long_passage(self):
        """Prefix words pick the right place when the quote occurs a few times far apart."""
        filler = "Nothing of note happened that week in the capital. " * 2000
        text = f"First the minister signed the deal. {filler}Then the president signed the deal."
        match = quotes.locate(text, "signed the deal", prefix="Then the president")
        self.assertEqual(match.start, text.rindex("signed the deal"))

    def test_fold_maps_every_character_back(self):
        """Folded positions map back to the exact source characters, across every kind of fold."""
        text = "A  “quote” — with\u00ad dashes - and… spaces\n\tend"
        folded = quotes.fold(text)
        self.assertEqual(folded.text, 'A "quote"-with dashes-and... spaces end')
        self.assertEqual(folded.span(0, len(folded.text)), (0, len(text)))
        start = folded.text.index("with")
        self.assertEqual(text[slice(*folded.span(start, start + 4))], "with")
        self.assertEqual(folded.span(folded.text.index("spaces"), folded.text.index("spaces") + 6),
                         (text.index("spaces"), text.index("spaces") + 6))


RUSSIAN = "«Россия и Азербайджан подписали декларацию о союзническом взаимодействии», — заявил Ильхам Алиев."
AZERBAIJANI = "İlham Əliyev bildirib ki, Şimal–Cənub dəhlizi ölkə üçün çox önəmlidir, “çünki yük artır”."
GERMAN = "Der Minister sagte: „Das ist ein wichtiger Schritt für die Region“ und ‚ein gutes Zeichen‘."


class LanguageToleranceTests(SimpleTestCase):
    def test_cyrillic_quote_with_straight_marks_is_found(self):
        """A Russian quote typed with straight quote marks and a hyphen finds the source's guillemets and dash."""
        match = quotes.locate(RUSSIAN, '"Россия и Азербайджан подписали')
        self.assertEqual(match.quote, "«Россия и Азербайджан подписали")
        match = quotes.locate(RUSSIAN, 'взаимодействии", - заявил Ильхам')
        self.assertEqual(match.quote, "взаимодействии», — заявил Ильхам")

    def test_cyrillic_case_stays_significant(self):
        """A Russian quote with different capitals is refused, as in English."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(RUSSIAN, "россия и азербайджан подписали")
        self.assertEqual(raised.exception.code, "not_found")

    def test_azerbaijani_letters_and_dotted_capital_i(self):
        """Azerbaijani letters (ə ğ ı ş ç ö ü, İ) match themselves, and an en dash matches a typed hyphen."""
        match = quotes.locate(AZERBAIJANI, "İlham Əliyev bildirib ki, Şimal-Cənub dəhlizi")
        self.assertEqual(match.quote, "İlham Əliyev bildirib ki, Şimal–Cənub dəhlizi")

    def test_azerbaijani_dotless_i_is_not_dotted_i(self):
        """"ı" and "i" are different letters: swapping them is a different quote."""
        with self.assertRaises(quotes.QuoteError):
            quotes.locate(AZERBAIJANI, "Şimal–Cənub dəhlizi olke ücün")
        with self.assertRaises(quotes.QuoteError):
            quotes.locate(AZERBAIJANI, "ilham Əliyev bildirib ki")

    def test_decomposed_input_matches_composed_text(self):
        """A quote pasted with letters and accents as separate characters (NFD) matches the stored text."""
        import unicodedata

        decomposed = unicodedata.normalize("NFD", "ölkə üçün çox önəmlidir")
        self.assertNotEqual(decomposed, "ölkə üçün çox önəmlidir")
        self.assertEqual(quotes.locate(AZERBAIJANI, decomposed).quote, "ölkə üçün çox önəmlidir")
        cyrillic = unicodedata.normalize("NFD", "о союзническом взаимодействии")  # й is и + breve
        self.assertEqual(quotes.locate(RUSSIAN, cyrillic).quote, "о союзническом взаимодействии")

    def test_low_high_and_single_low_quotes(self):
        """German „low-high“ and ‚single low‘ marks match straight ones typed on a keyboard."""
        self.assertEqual(
            quotes.locate(GERMAN, 'sagte: "Das ist ein').quote, "sagte: „Das ist ein"
        )
        self.assertEqual(
            quotes.locate(GERMAN, "und 'ein gutes Zeichen'").quote, "und ‚ein gutes Zeichen‘"
        )

    def test_unicode_spaces_match_a_plain_space(self):
        """Non-breaking, thin, narrow and ideographic spaces in the source or the quote match a plain space."""
        for space in ("\u00a0", "\u2002", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000"):
            with self.subTest(space=hex(ord(space))):
                text = f"The{space}war in{space}Ukraine has enhanced this role."
                self.assertEqual(quotes.locate(text, "war in Ukraine has").quote, f"war in{space}Ukraine has")
                self.assertEqual(quotes.locate(TEXT, f"the{space}only winner").quote, "the only winner")

    def test_soft_hyphens_and_zero_width_characters_are_ignored(self):
        """A soft hyphen or zero-width space left by a word processor does not stop a quote matching."""
        self.assertEqual(
            quotes.locate(AZERBAIJANI, "İlham Əli\u00adyev bil\u200bdirib ki").quote, "İlham Əliyev bildirib ki"
        )
        text = "The trans\u00adit route runs through Baku."
        self.assertEqual(quotes.locate(text, "The transit route").quote, "The trans\u00adit route")

    def test_every_dash_matches_a_hyphen(self):
        """Each kind of hyphen and dash in the source matches a typed hyphen."""
        for dash in "‐‑‒–—−":
            with self.subTest(dash=hex(ord(dash))):
                text = f"the North{dash}South Corridor opened"
                match = quotes.locate(text, "the North-South Corridor")
                self.assertEqual(match.quote, f"the North{dash}South Corridor")


class OuterMarksTests(SimpleTestCase):
    def test_balanced_outer_marks_are_removed(self):
        """Quote marks pasted around a quote are removed, whatever the language's marks."""
        for pasted, kept in (
            ("“the only winner”", "the only winner"),
            ('"the only winner"', "the only winner"),
            ("«Россия и Азербайджан»", "Россия и Азербайджан"),
            ("„Das ist gut“", "Das ist gut"),
            ("'the only winner'", "the only winner"),
            ("‚ein gutes Zeichen‘", "ein gutes Zeichen"),
            ("““it is eas[ier]…,””", "it is eas[ier]…,"),
        ):
            with self.subTest(pasted=pasted):
                self.assertEqual(quotes.strip_outer_marks(pasted), kept)

    def test_lone_leading_or_trailing_mark_is_removed(self):
        """A mark left over at either end of a pasted quote is removed."""
        self.assertEqual(quotes.strip_outer_marks('“"The Russian Federation has'), "The Russian Federation has")
        self.assertEqual(quotes.strip_outer_marks("the only winner.”"), "the only winner.")

    def test_apostrophes_and_inner_quotes_stay(self):
        """Apostrophes in or after words, and quotes inside the quote, are not taken for outer marks."""
        for pasted in (
            "Moscow's influence grew",
            "the countries'",
            "'tis the season",
            "“He said” and then “she said”",
            "'Moscow's influence' in 'the region'",
        ):
            with self.subTest(pasted=pasted):
                self.assertEqual(quotes.strip_outer_marks(pasted), pasted)
        self.assertEqual(quotes.strip_outer_marks("'Moscow's influence'"), "Moscow's influence")


ROLE = "Azerbaijan’s role as a transit hub has grown since 2022. The war in Ukraine has enhanced this role, they say."


class NearMissTests(SimpleTestCase):
    def test_hint_shows_the_whole_span_and_marks_the_differing_words(self):
        """The closest words include the quote's last word, and the words that differ are named."""
        with self.assertRaises(quotes.QuoteError) as raised:
            quotes.locate(ROLE, "The war in Ukraine had enhanced its role")
        self.assertEqual(raised.exception.suggestion, "The war in Ukraine has enhanced this role")
        self.assertEqual(raised.exception.differences, [("had", "has"), ("its", "this")])
        self.assertIn("“had” where the passage has “has”", str(raised.exception))
        self.assertIn("“its” where the passage has “this”", str(raised.exception))

    def test_a_wrong_first_or_last_word_is_shown_in_its_place(self):
        """The hint keeps the passage's word where the quote has another at either end, not a shorter or shifted run."""
        text = "Moscow has long regarded the South Caucasus as its backyard, but the war changed that."
        for quote, closest in (
            ("long regarded the South strong", "long regarded the South Caucasus"),
            ("a the South Caucasus as its backyard", "regarded the South Caucasus as its backyard"),
        ):
            with self.subTest(quote=quote), self.assertRaises(quotes.QuoteError) as raised:
                quotes.locate(text, quote)
            self.assertEqual(raised.exception.suggestion, closest)
        self.assertEqual(raised.exception.differences, [("a", "regarded")])

    def test_differing_words_name_missing_and_extra_words(self):
        """Words left out of the quote, and words added to it, are both reported."""
        self.assertEqual(
            quotes.differing_words("war in Ukraine enhanced this role", "war in Ukraine has enhanced this role"),
            [("", "has")],
        )
        self.assertEqual(
            quotes.differing_words("war in Ukraine has really enhanced", "war in Ukraine has enhanced"),
            [("really", "")],
        )
        self.assertIn("missing from the quote", quotes.describe_differences([("", "has")]))
        self.assertIn("which the passage does not have", quotes.describe_differences([("really", "")]))

    def test_typography_alone_is_not_a_difference(self):
        """Curly and straight marks are not listed as differing words."""
        self.assertEqual(quotes.differing_words("Azerbaijan's role as", "Azerbaijan’s role as"), [])


FIRST = "The corridor carried more freight than ever last year. It is easier to ship goods"
SECOND = "through Azerbaijan than around it, the ministry said."
THIRD = "Only one line."


class SplitAcrossTests(SimpleTestCase):
    def test_quote_running_into_the_next_passage_is_split(self):
        """A quote whose first words end one passage and the rest begin the next is split into two parts."""
        parts = quotes.split_across([FIRST, SECOND], "It is easier to ship goods\n\nthrough Azerbaijan than around it")
        self.assertEqual([index for index, _ in parts], [0, 1])
        self.assertEqual(parts[0][1].quote, "It is easier to ship goods")
        self.assertEqual(FIRST[parts[0][1].start:parts[0][1].end], "It is easier to ship goods")
        self.assertEqual(parts[1][1].quote, "through Azerbaijan than around it")
        self.assertEqual(parts[1][1].start, 0)

    def test_quote_spanning_three_passages(self):
        """A quote that covers a whole passage in the middle is split into three parts."""
        parts = quotes.split_across(
            [FIRST, THIRD, SECOND], "to ship goods Only one line. through Azerbaijan than"
        )
        self.assertEqual(
            [match.quote for _, match in parts], ["to ship goods", "Only one line.", "through Azerbaijan than"]
        )

    def test_typography_is_tolerated_across_passages(self):
        """Straight quotes and dashes typed into a two-paragraph quote still match."""
        texts = ["He said it was “the best", "route” — for now, and more."]
        parts = quotes.split_across(texts, 'it was "the best route" - for now')
        self.assertEqual([match.quote for _, match in parts], ["it was “the best", "route” — for now"])

    def test_quote_opening_after_a_guillemet_is_split(self):
        """A Cyrillic quote that starts right after an opening guillemet still runs on into the next passage."""
        texts = ["Министр заявил: «Коридор работает", "без перебоев», и добавил, что грузов стало больше."]
        parts = quotes.split_across(texts, "Коридор работает без перебоев")
        self.assertEqual([match.quote for _, match in parts], ["Коридор работает", "без перебоев"])
        self.assertEqual(texts[0][parts[0][1].start:], "Коридор работает")

    def test_a_quote_starting_inside_a_word_is_no_split(self):
        """Words cut from the middle of a longer word are not the quote's start."""
        self.assertIsNone(quotes.split_across(["A transit hub", "for the region."], "ransit hub for the"))

    def test_words_not_at_the_end_of_the_first_passage_are_no_split(self):
        """A quote whose first words are in the middle of the passage is not taken for a run-on quote."""
        self.assertIsNone(quotes.split_across([FIRST, SECOND], "freight than ever through Azerbaijan"))
        self.assertIsNone(quotes.split_across([FIRST, SECOND], "It is easier to ship goods by sea"))
        self.assertIsNone(quotes.split_across([FIRST], "It is easier to ship goods"))
