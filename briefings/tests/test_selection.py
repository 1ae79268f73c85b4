from django.test import TestCase

from briefings.models import Briefing
from briefings.selection import SelectionError, citations_for, read_selection, suggest_label
from briefings.tests.factories import ARTICLE, cite, make_briefing, make_source, passage
from sources.models import Passage


def part(source, ordinal, words, *, anchor=None, occurrence=0):
    """What the page's script sends for ``words`` selected in the passage at ``ordinal``."""
    text = passage(source, ordinal).text
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(words, start + 1)
    return {"passage": anchor or f"p-{ordinal}", "start": start, "end": start + len(words), "quote": words}


class ReadSelectionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.source = make_source()

    def read(self, *parts, source=None):
        return read_selection({"source": source or self.source.slug, "parts": list(parts)})

    def test_exact_words_and_offsets_of_the_passage(self):
        """The words stored are the passage's own, at the offsets the analyst selected."""
        (selected,) = self.read(part(self.source, 1, "signed a transit agreement"))
        self.assertEqual(selected.passage, passage(self.source, 1))
        self.assertEqual(selected.words, "signed a transit agreement")
        self.assertEqual(ARTICLE[0][selected.start:selected.end], "signed a transit agreement")

    def test_spaces_at_the_edges_of_a_selection_are_left_out(self):
        """A selection that took the spaces around the words cites the words alone."""
        words = " signed a transit agreement "
        start = ARTICLE[0].index(words)
        (selected,) = self.read({"passage": "p-1", "start": start, "end": start + len(words), "quote": words})
        self.assertEqual(selected.words, "signed a transit agreement")
        self.assertEqual(selected.start, start + 1)

    def test_quote_marks_selected_with_the_words_are_left_out(self):
        """Selecting a quotation with its marks cites the words inside them, at their own place."""
        source = make_source("He said “the corridor will open” and then “the corridor will open” again.")
        text = passage(source, 1).text
        start = text.index("“the corridor", 20)
        end = text.index("”", start) + 1
        (selected,) = self.read({"passage": "p-1", "start": start, "end": end, "quote": text[start:end]},
                                source=source.slug)
        self.assertEqual((selected.words, selected.start), ("the corridor will open", start + 1))
        (citation,) = citations_for(make_briefing(), [selected])
        self.assertEqual((citation.quote, citation.start), ("the corridor will open", start + 1))

    def test_words_that_are_not_at_those_offsets_are_refused(self):
        """Words the passage does not hold where the page said (a source changed meanwhile) are refused."""
        tampered = {**part(self.source, 1, "signed a transit agreement"), "quote": "signed a gas agreement"}
        with self.assertRaisesMessage(SelectionError, "The selected words are not in paragraph 1"):
            self.read(tampered)

    def test_offsets_outside_the_passage_are_refused(self):
        with self.assertRaisesMessage(SelectionError, "not in paragraph 1 as the page showed it"):
            self.read({"passage": "p-1", "start": 70, "end": 500, "quote": "talks."})

    def test_a_retired_passage_is_refused(self):
        """Words of a passage that left the current version are refused with the reason."""
        Passage.objects.filter(pk=passage(self.source, 2).pk).update(retired=True)
        with self.assertRaisesMessage(SelectionError, "no longer in the current version of the source"):
            self.read({"passage": "p-2", "start": 0, "end": 12, "quote": ARTICLE[1][:12]})

    def test_page_furniture_is_refused(self):
        source = make_source(*ARTICLE[:2], "Subscribe to our newsletter for daily news.", kinds={3: "boilerplate"})
        with self.assertRaisesMessage(SelectionError, "page furniture"):
            self.read(part(source, 3, "Subscribe to our newsletter"), source=source.slug)

    def test_an_unknown_paragraph_or_source_is_refused(self):
        with self.assertRaisesMessage(SelectionError, "a paragraph this source does not have"):
            self.read({**part(self.source, 1, "signed a transit agreement"), "passage": "p-99"})
        with self.assertRaisesMessage(SelectionError, "a paragraph this source does not have"):
            self.read(part(self.source, 1, "signed a transit agreement"), source="no-such-source")

    def test_malformed_posts_are_refused_in_words(self):
        """Whatever a script or a person posts, the answer is a refusal that says why, never an error."""
        for data in (None, [], {"parts": []}, {"source": self.source.slug}, {"source": self.source.slug, "parts": []},
                     {"source": self.source.slug, "parts": ["p-1"]},
                     {"source": self.source.slug, "parts": [{"passage": "1", "start": 0, "end": 5, "quote": "x"}]},
                     {"source": self.source.slug, "parts": [{"passage": "p-1", "start": "0", "end": 5, "quote": "x"}]},
                     {"source": self.source.slug, "parts": [{"passage": "p-1", "start": True, "end": 5, "quote": "x"}]},
                     {"source": self.source.slug, "parts": [{"passage": "p-1", "start": 5, "end": 2, "quote": "x"}]}):
            with self.subTest(data=data), self.assertRaises(SelectionError):
                read_selection(data)

    def test_a_selection_over_two_passages_has_one_part_each(self):
        """Words selected from the end of one paragraph into the next are two parts, in page order."""
        selected = self.read(
            part(self.source, 1, "after months of talks."), part(self.source, 2, "The pipeline will carry gas")
        )
        self.assertEqual([s.passage.ordinal for s in selected], [1, 2])
        self.assertEqual([s.words for s in selected], ["after months of talks.", "The pipeline will carry gas"])

    def test_parts_out_of_order_or_repeated_are_refused(self):
        first, second = part(self.source, 1, "after months of talks."), part(self.source, 2, "The pipeline will carry")
        with self.assertRaisesMessage(SelectionError, "out of order"):
            self.read(second, first)
        with self.assertRaisesMessage(SelectionError, "names a paragraph twice"):
            self.read(first, first)

    def test_too_many_passages_are_refused(self):
        parts = [{"passage": f"p-{n}", "start": 0, "end": 3, "quote": "abc"} for n in range(1, 8)]
        with self.assertRaisesMessage(SelectionError, "select words in at most 5"):
            self.read(*parts)


class SuggestLabelTests(TestCase):
    def test_label_from_the_first_words(self):
        self.assertEqual(suggest_label("signed a transit agreement", set()), "signed-a-transit")

    def test_label_keeps_whole_words(self):
        label = suggest_label("Intergovernmental commission's recommendations", set())
        self.assertEqual(label, "intergovernmental-commissions")

    def test_label_is_numbered_when_taken(self):
        self.assertEqual(suggest_label("signed a transit agreement", {"signed-a-transit"}), "signed-a-transit-2")

    def test_label_of_words_without_latin_letters(self):
        """A Russian quote gets a readable ASCII label; punctuation alone gets a neutral one."""
        self.assertEqual(suggest_label("Москва отреагировала осторожно", set()), "moskva-otreagirovala")
        self.assertEqual(suggest_label("— … —", set()), "quote")


class CitationsForTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.source = make_source()

    def test_citation_has_words_offsets_context_label_and_version(self):
        """The citation carries the exact words, their offsets and context, a label, and the current version."""
        briefing = make_briefing()
        selected = read_selection({"source": self.source.slug,
                                   "parts": [part(self.source, 1, "signed a transit agreement")]})
        (citation,) = citations_for(briefing, selected)
        self.assertIsNone(citation.pk, "built, not saved")
        self.assertEqual(citation.quote, "signed a transit agreement")
        self.assertEqual((citation.start, citation.end), (18, 44))
        self.assertEqual(citation.prefix, "Officials in Baku ")
        self.assertEqual(citation.suffix, " on Monday after months of talks")
        self.assertEqual(citation.label, "signed-a-transit")
        self.assertEqual(citation.source_version, self.source.current_version())

    def test_the_occurrence_selected_is_the_one_cited(self):
        """Words printed twice in a passage are cited where the analyst selected them."""
        source = make_source("The corridor opened. Officials said the corridor opened to freight in May.")
        selected = read_selection({"source": source.slug, "parts": [part(source, 1, "the corridor opened")]})
        (citation,) = citations_for(make_briefing(), selected)
        self.assertEqual(citation.start, source.passages.get().text.index("the corridor opened"))

    def test_labels_and_order_follow_the_existing_citations(self):
        briefing = make_briefing()
        cite(briefing, passage(self.source, 1), label="signed-a-transit", order=4)
        selected = read_selection({"source": self.source.slug, "parts": [
            part(self.source, 1, "signed a transit agreement on Monday"),
        ]})
        (citation,) = citations_for(briefing, selected)
        self.assertEqual((citation.label, citation.order), ("signed-a-transit-2", 5))

    def test_a_too_short_part_names_its_paragraph(self):
        """A selection that runs a word into the next paragraph is refused, naming that paragraph."""
        selected = read_selection({"source": self.source.slug, "parts": [
            part(self.source, 1, "after months of talks."), part(self.source, 2, "The"),
        ]})
        with self.assertRaisesMessage(SelectionError, "Paragraph 2: The quote is too short"):
            citations_for(make_briefing(), selected)
        self.assertFalse(Briefing.objects.filter(citations__isnull=False).exists())
