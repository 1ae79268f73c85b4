from django.test import TestCase

from briefings import finding, quotes
from sources.models import Passage

from .factories import make_source, passage

MOSCOW = "Moscow’s influence in the South Caucasus has waned since 2022, officials in Baku say."
CORRIDOR = "The North–South Corridor links Russia to Iran through Azerbaijan by rail."
RUSSIAN = "«Россия и Азербайджан подписали декларацию о союзническом взаимодействии», — заявил Алиев."
AZERBAIJANI = "İlham Əliyev bildirib ki, Şimal–Cənub dəhlizi ölkə üçün çox önəmlidir."


class FindPassagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.source = make_source(MOSCOW, CORRIDOR, RUSSIAN, AZERBAIJANI, "Share this story",
                                 kinds={5: Passage.Kind.BOILERPLATE})
        cls.moscow, cls.corridor, cls.russian, cls.azerbaijani = (passage(cls.source, n) for n in (1, 2, 3, 4))

    def test_straight_quoted_quote_finds_its_passage_with_the_source_words(self):
        """A quote typed with a straight apostrophe and quote marks finds the one passage holding it."""
        found = finding.find_passages('"Moscow\'s influence in the South Caucasus"')
        self.assertEqual([item.passage for item in found], [self.moscow])
        self.assertEqual(found[0].match.quote, "Moscow’s influence in the South Caucasus")
        self.assertEqual(found[0].match.start, 0)
        self.assertEqual(found[0].match.suffix, MOSCOW[len("Moscow’s influence in the South Caucasus"):][:32])

    def test_hyphen_finds_dash_and_words_in_other_scripts(self):
        """Hyphens find dashes, and Russian and Azerbaijani quotes find their passages."""
        self.assertEqual(finding.find_passages("The North-South Corridor links")[0].passage, self.corridor)
        self.assertEqual(finding.find_passages('"Россия и Азербайджан подписали')[0].passage, self.russian)
        self.assertEqual(finding.find_passages("bildirib ki, Şimal-Cənub dəhlizi")[0].passage, self.azerbaijani)

    def test_several_passages_are_ranked_with_words_marked(self):
        """A quote in several sources is offered once per passage, a single occurrence first, words marked."""
        twice = make_source(f"{CORRIDOR} Again: {CORRIDOR}")
        newer = make_source(f"As reported, {CORRIDOR}")
        found = finding.find_passages("The North-South Corridor links Russia")
        passages = [item.passage for item in found]
        self.assertEqual(set(passages), {self.corridor, passage(twice, 1), passage(newer, 1)})
        self.assertEqual(passages[-1], passage(twice, 1))
        self.assertEqual(found[-1].occurrences, 2)
        html = str([item for item in found if item.passage == passage(newer, 1)][0].highlighted())
        self.assertEqual(html, "As reported, <mark>The North–South Corridor links Russia</mark> to Iran through "
                               "Azerbaijan by rail.")

    def test_highlight_escapes_the_text(self):
        """Markup in a source's text is shown as text around the marked words, never as markup."""
        html = finding.highlight("<b>x</b> the words & more", 9, 18)
        self.assertEqual(html, "&lt;b&gt;x&lt;/b&gt; <mark>the words</mark> &amp; more")
        self.assertTrue(finding.highlight("a" * 200 + "needle" + "b" * 200, 200, 206).startswith("…"))

    def test_retired_and_boilerplate_passages_are_not_found(self):
        """Page furniture and passages gone from their source are never offered."""
        self.assertEqual(finding.find_passages("Share this story"), [])
        Passage.objects.filter(pk=self.corridor.pk).update(retired=True)
        self.assertEqual(finding.find_passages("The North-South Corridor links"), [])

    def test_case_stays_significant(self):
        """A quote with different capitals is not taken for the passage's words."""
        self.assertEqual(finding.find_passages("the north-south corridor links"), [])

    def test_quote_too_short_is_refused(self):
        """A quote under three words is refused before anything is searched."""
        with self.assertRaises(quotes.QuoteError) as raised:
            finding.find_passages("Moscow’s influence")
        self.assertEqual(raised.exception.code, "too_short")

    def test_quote_running_into_the_next_passage_is_found_in_parts(self):
        """A quote pasted across two paragraphs is found as one part in each, in order."""
        source = make_source("Freight grew last year. It is easier to ship goods",
                             "through Azerbaijan than around it, the ministry said.")
        found = finding.find_passages("It is easier to ship goods\n\nthrough Azerbaijan than around it")
        self.assertEqual(len(found), 1)
        parts = [(p, m.quote) for p, m in found[0].parts]
        self.assertEqual(parts, [(passage(source, 1), "It is easier to ship goods"),
                                 (passage(source, 2), "through Azerbaijan than around it")])

    def test_key_words_are_the_longest(self):
        """The database is asked for the quote's longest words, which typography cannot change."""
        self.assertEqual(finding.key_words("Moscow’s influence in the South-Caucasus"),
                         ["influence", "Caucasus", "Moscow"])

    def test_search_is_typography_and_case_tolerant(self):
        """A search box term with a straight apostrophe or a hyphen finds curly apostrophes and dashes."""
        citable = Passage.objects.citable()
        self.assertEqual(list(finding.search_passages(citable, "Moscow's influence")), [self.moscow])
        self.assertEqual(list(finding.search_passages(citable, "north-south corridor")), [self.corridor])
        self.assertEqual(list(finding.search_passages(citable, "Şimal-Cənub")), [self.azerbaijani])
        self.assertEqual(list(finding.search_passages(citable, "Moscow's influence on Iran")), [])
        self.assertEqual(list(finding.search_passages(citable, "Caucasus moscow's")), [self.moscow])  # any order

    def test_matching_words_show_the_match_not_the_opening(self):
        """A search result shows the words that matched with a little around them."""
        text = "An opening sentence that says nothing much at all. " * 3 + CORRIDOR
        shown = finding.matching_words(text, "north-south corridor")
        self.assertIn("The North–South Corridor", shown)
        self.assertTrue(shown.startswith("…"))


class SplitQuoteTests(TestCase):
    """A quote pasted across paragraphs becomes one citation per passage, each with the source's exact words."""

    @classmethod
    def setUpTestData(cls):
        cls.source = make_source(
            "Freight grew last year. It is easier to ship goods",
            "through Azerbaijan and Georgia",
            "than around it, the ministry said.",
            slug="split-story",
        )
        cls.first, cls.middle, cls.last = (passage(cls.source, n) for n in (1, 2, 3))
        cls.russian = make_source(
            "Министр заявил, что Россия и Азербайджан",
            "подписали декларацию о союзническом взаимодействии и добавили подробности.",
            slug="russian-split",
        )

    def test_two_passages_give_two_citations_labelled_in_order(self):
        """The first part keeps the label, the second is label-2, each with its passage and exact words."""
        parts = finding.split_quote("It is easier to ship goods\n\nthrough Azerbaijan and", "easier")
        self.assertEqual([part.label for part in parts], ["easier", "easier-2"])
        self.assertEqual([part.passage for part in parts], [self.first, self.middle])
        self.assertEqual(
            [part.match.quote for part in parts], ["It is easier to ship goods", "through Azerbaijan and"]
        )

    def test_three_passages_with_a_whole_passage_in_the_middle(self):
        """A quote covering a whole passage between two others is split into three citations."""
        parts = finding.split_quote(
            "to ship goods through Azerbaijan and Georgia than around it", "route", passage=self.first
        )
        self.assertEqual([part.passage for part in parts], [self.first, self.middle, self.last])
        self.assertEqual(
            [part.match.quote for part in parts], ["to ship goods", "through Azerbaijan and Georgia", "than around it"]
        )
        self.assertEqual([part.label for part in parts], ["route", "route-2", "route-3"])

    def test_cyrillic_quote_in_guillemets_is_split_into_the_source_words(self):
        """A Russian quote pasted in «guillemets» across two paragraphs is split, the marks left out."""
        parts = finding.split_quote("«Россия и Азербайджан\nподписали декларацию о союзническом»", "decl")
        self.assertEqual(
            [part.match.quote for part in parts], ["Россия и Азербайджан", "подписали декларацию о союзническом"]
        )
        self.assertEqual([part.label for part in parts], ["decl", "decl-2"])
        self.assertEqual([part.passage.source for part in parts], [self.russian, self.russian])

    def test_labels_already_taken_are_skipped(self):
        """A label another row uses is not given to a new part."""
        parts = finding.split_quote("It is easier to ship goods through Azerbaijan and", "a", taken=["a", "a-2"])
        self.assertEqual([part.label for part in parts], ["a", "a-3"])

    def test_quote_in_one_passage_is_not_split(self):
        """Words that one passage holds whole are no reason to split."""
        self.assertEqual(finding.split_quote("Freight grew last year.", "a"), [])
        self.assertEqual(finding.split_quote("Freight grew last year.", "a", passage=self.first), [])

    def test_a_long_quote_is_shown_by_its_ends(self):
        """The editor shows a long passage's neighbourhood and a long quote's beginning and end, not all of it."""
        text = "x" * 5000 + " " + "word " * 2000 + "y" * 5000
        start = 5001
        end = start + len("word " * 2000) - 1
        shown = finding.neighbourhood(text, start, end)
        self.assertLess(len(shown), 2 * (finding.NEIGHBOURHOOD + finding.LONGEST_MARK) + 100)
        self.assertIn("</mark> […] <mark>", shown)
        self.assertTrue(shown.startswith("…"))
