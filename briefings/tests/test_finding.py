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
