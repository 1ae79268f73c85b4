"""Finding an analyst's quote in the exact text of a passage.

Analysts paste quotes from browsers, PDFs and word processors, which change
whitespace, quotation marks, apostrophes and dashes. Matching folds those
differences away (case is never ignored), but what callers get back is always
the exact substring of the source and its offsets, so what is stored is what
the source prints.
"""
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

MIN_WORDS = 3
CONTEXT_CHARS = 32
# A partial-ratio score from 0 to 100; above this, different words are "close".
NEAR_MATCH_SCORE = 70

APOSTROPHES = "'‘’‚‛′`´"
DOUBLE_QUOTES = '"“”„‟″«»'
DASHES = "-‐‑‒–—―−⁃﹘﹣－"
# Characters with no visible width that word processors sprinkle into text.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


class QuoteError(ValueError):
    """A quote that cannot be verified. ``code`` names the reason for forms and tests."""

    def __init__(self, message, code, suggestion=None):
        super().__init__(message)
        self.code = code
        self.suggestion = suggestion


@dataclass(frozen=True)
class QuoteMatch:
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class Folded:
    """Text with typography folded away, and where each folded character came from."""

    text: str
    starts: tuple
    ends: tuple

    def span(self, folded_start, folded_end):
        """The span of the original text that produced folded_text[folded_start:folded_end]."""
        return self.starts[folded_start], self.ends[folded_end - 1]


def fold(text):
    """Fold whitespace runs, quote marks, apostrophes, dashes and ellipses; keep case.

    Spaces next to a dash are dropped too, so "son -- Ilham" and "son—Ilham" fold alike.
    """
    chars, starts, ends = [], [], []

    def emit(char, start, end):
        chars.append(char)
        starts.append(start)
        ends.append(end)

    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char in INVISIBLE:
            index += 1
        elif char.isspace():
            run_end = index
            while run_end < length and (text[run_end].isspace() or text[run_end] in INVISIBLE):
                run_end += 1
            if run_end >= length or text[run_end] not in DASHES:  # a dash swallows the space before it
                emit(" ", index, run_end)
            index = run_end
        elif char in DASHES:
            run_start = index
            while index < length and (text[index] in DASHES or text[index].isspace() or text[index] in INVISIBLE):
                index += 1
            emit("-", run_start, index)
        elif char == "…":
            for _ in range(3):
                emit(".", index, index + 1)
            index += 1
        else:
            if char in APOSTROPHES:
                char = "'"
            elif char in DOUBLE_QUOTES:
                char = '"'
            emit(char, index, index + 1)
            index += 1
    return Folded("".join(chars), tuple(starts), tuple(ends))


def word_count(quote):
    """Words are runs between spaces or dashes that hold at least one letter or digit."""
    return sum(1 for word in fold(quote).text.replace("-", " ").split() if any(char.isalnum() for char in word))


def check_length(quote):
    """Refuse an empty quote or one too short to mean anything on its own."""
    if not quote or not quote.strip():
        raise QuoteError("The quote is empty: paste the exact words from the passage.", code="empty")
    if word_count(quote) < MIN_WORDS:
        raise QuoteError(
            f"The quote is too short: quote at least {MIN_WORDS} words so that readers can find them.",
            code="too_short",
        )


def _trim(text, start, end):
    """Shrink a span so that it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def find_all(text, quote):
    """Every (start, end) span of ``text`` that equals ``quote`` once both are folded."""
    folded_quote = fold(quote.strip()).text.strip()
    if not folded_quote:
        return []
    folded = fold(text)
    spans, position = [], folded.text.find(folded_quote)
    while position != -1:
        start, end = folded.span(position, position + len(folded_quote))
        span = _trim(text, start, end)
        if span not in spans:
            spans.append(span)
        position = folded.text.find(folded_quote, position + 1)
    return spans


def context(text, start, end, size=CONTEXT_CHARS):
    """The characters just before and just after a span (about ``size`` each)."""
    return text[max(0, start - size):start], text[end:end + size]


def _context_agrees(text, start, end, prefix, suffix):
    """How many of the given prefix/suffix agree with the text around the span (0, 1 or 2)."""
    score = 0
    wanted_prefix = fold(prefix).text.strip()
    if wanted_prefix and fold(text[:start]).text.rstrip().endswith(wanted_prefix):
        score += 1
    wanted_suffix = fold(suffix).text.strip()
    if wanted_suffix and fold(text[end:]).text.lstrip().startswith(wanted_suffix):
        score += 1
    return score


WORD = re.compile(r"\S+")


def _strip_punctuation(text, start, end, quote):
    """Drop punctuation at the edges of a span unless the quote has it there too."""
    while start < end and not text[start].isalnum() and fold(text[start]).text != quote[:1]:
        start += 1
    while end > start and not text[end - 1].isalnum() and fold(text[end - 1]).text != quote[-1:]:
        end -= 1
    return start, end


def closest_words(text, quote, threshold=NEAR_MATCH_SCORE):
    """The run of whole words of ``text`` that looks most like ``quote``, or None when nothing is close.

    Returns (words, score) where words is an exact substring of ``text``.
    """
    folded_quote = fold(quote.strip()).text.strip()
    folded = fold(text)
    if not folded_quote or not folded.text:
        return None
    alignment = fuzz.partial_ratio_alignment(folded_quote, folded.text)
    if alignment.score < threshold or alignment.dest_end <= alignment.dest_start:
        return None
    # The alignment is a window of characters; refine it to the best run of whole words near it.
    near_start, near_end = folded.span(alignment.dest_start, alignment.dest_end)
    words = [match.span() for match in WORD.finditer(text)]
    inside = [i for i, (start, end) in enumerate(words) if end > near_start and start < near_end]
    if not inside:
        return None
    wanted = len(folded_quote.split())
    first_choices = range(max(0, inside[0] - 2), min(len(words), inside[0] + 3))
    best = None
    for first in first_choices:
        for last in range(first + max(0, wanted - 3), min(len(words), first + wanted + 2)):
            start, end = _strip_punctuation(text, words[first][0], words[last][1], folded_quote)
            if end <= start:
                continue
            score = fuzz.ratio(folded_quote, fold(text[start:end]).text)
            if best is None or score > best[0]:
                best = (score, start, end)
    if best is None or best[0] < threshold:
        return None
    score, start, end = best
    return text[start:end], score


def _spans_description(spans):
    places = [str(start) for start, _ in spans]
    return "characters " + ", ".join(places[:-1]) + f" and {places[-1]}"


def locate(text, quote, *, start=None, prefix="", suffix=""):
    """Find ``quote`` in ``text`` and return a QuoteMatch with the exact source words.

    When the quote occurs more than once, ``start`` (an offset) or ``prefix`` /
    ``suffix`` (words around it) say which occurrence is meant. Raises QuoteError.
    """
    check_length(quote)
    spans = find_all(text, quote)
    if not spans:
        near = closest_words(text, quote)
        if near:
            words, _score = near
            raise QuoteError(
                f"These words are not in the passage. The closest words in it are: “{words}”",
                code="not_found",
                suggestion=words,
            )
        raise QuoteError(
            "These words are not in the passage, and nothing in it comes close: "
            "check that you chose the right passage.",
            code="not_found",
        )
    if len(spans) > 1:
        chosen = [span for span in spans if span[0] == start] if start is not None else []
        if not chosen and (prefix.strip() or suffix.strip()):
            scores = [_context_agrees(text, s, e, prefix, suffix) for s, e in spans]
            best = max(scores)
            chosen = [span for span, score in zip(spans, scores, strict=True) if best and score == best]
        if len(chosen) != 1:
            raise QuoteError(
                f"These words occur {len(spans)} times in the passage (at {_spans_description(spans)}). "
                "Say which one you mean: quote a few more words, or give the words just before "
                "or just after it.",
                code="ambiguous",
            )
        spans = chosen
    match_start, match_end = spans[0]
    before, after = context(text, match_start, match_end)
    return QuoteMatch(match_start, match_end, text[match_start:match_end], before, after)
