"""Properties of quote verification that must hold for any passage and any quote, on generated text."""
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from briefings import quotes
from briefings.models import Citation

from .factories import make_briefing, make_source, passage

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = st.sampled_from(
    ["gas", "Baku", "the", "transit", "deal", "“signed”", "it’s", "—", "2024", "10.5%", "talks,", "said:", "(EU)",
     "and"]
)
PASSAGE_TEXT = st.lists(WORDS, min_size=3, max_size=30).map(" ".join)
# What copying from a browser or a word processor does to the words between them.
TYPOGRAPHY = [("’", "'"), ("“", '"'), ("”", '"'), ("—", "--"), (" ", "  "), (" ", "\n")]


@st.composite
def passage_and_quote(draw):
    """A passage, and a run of its words as an analyst might paste it (typography changed at random)."""
    words = draw(st.lists(WORDS, min_size=3, max_size=30))
    first = draw(st.integers(0, len(words) - 1))
    last = draw(st.integers(first, len(words) - 1))
    quote = " ".join(words[first:last + 1])
    for original, pasted in TYPOGRAPHY:
        if draw(st.booleans()):
            quote = quote.replace(original, pasted)
    return " ".join(words), quote


class QuoteProperties(TestCase):
    @FAST
    @given(passage_and_quote(), st.integers(0, 400))
    def test_a_verified_quote_is_the_passage_at_its_offsets(self, pair, start):
        """Whatever is pasted, a quote that verifies is stored as the exact words of the passage at its offsets."""
        text, pasted = pair
        try:
            match = quotes.locate(text, pasted, start=start)
        except quotes.QuoteError:
            return  # refused with a reason: nothing is stored
        self.assertEqual(text[match.start:match.end], match.quote)
        self.assertEqual(quotes.fold(match.quote).text, quotes.fold(pasted.strip()).text.strip())
        self.assertEqual(match.prefix, text[max(0, match.start - quotes.CONTEXT_CHARS):match.start])
        self.assertEqual(match.suffix, text[match.end:match.end + quotes.CONTEXT_CHARS])

    @FAST
    @given(PASSAGE_TEXT, st.text(min_size=1, max_size=60))
    def test_anything_typed_either_verifies_exactly_or_is_refused(self, text, typed):
        """Arbitrary input never produces a quote that is not in the passage."""
        try:
            match = quotes.locate(text, typed)
        except quotes.QuoteError as error:
            self.assertIn(error.code, {"empty", "too_short", "longer_than_passage", "not_found", "ambiguous"})
            if error.suggestion is not None:
                self.assertIn(error.suggestion, text)
            return
        self.assertEqual(text[match.start:match.end], match.quote)

    @SLOW
    @given(passage_and_quote())
    def test_saved_citations_hold_the_exact_words(self, pair):
        """A citation saved to the database points at exactly its stored words in its passage."""
        text, pasted = pair
        assume(quotes.word_count(pasted) >= quotes.MIN_WORDS)
        cited = passage(make_source(text), 1)
        briefing = make_briefing()
        spans = quotes.find_all(text, pasted)
        try:
            citation = Citation.objects.create(
                briefing=briefing, passage=cited, quote=pasted, label="a", start=spans[0][0] if spans else None
            )
        except ValidationError:
            self.assertFalse(Citation.objects.filter(briefing=briefing).exists())
            return
        citation = Citation.objects.get(pk=citation.pk)
        self.assertEqual(cited.text[citation.start:citation.end], citation.quote)
        self.assertEqual(citation.end - citation.start, len(citation.quote))
