"""Finding an analyst's quote in the exact text of a passage.

Analysts paste quotes from browsers, PDFs and word processors, which change
whitespace, quotation marks, apostrophes and dashes. Matching folds those
differences away (case is never ignored), but what callers get back is always
the exact substring of the source and its offsets, so what is stored is what
the source prints.
"""
import difflib
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

MIN_WORDS = 3
CONTEXT_CHARS = 32
# Bounds on the work one check may do, so that a passage of megabytes cannot tie up a worker: how many
# places of an ambiguous quote are looked at, and the passage size (in characters times the quote's
# length) up to which the closest words of a missing quote are looked for.
MAX_CANDIDATES = 50
NEAR_MATCH_MAX_WORK = 20_000_000
# A partial-ratio score from 0 to 100; above this, different words are "close".
NEAR_MATCH_SCORE = 70

APOSTROPHES = "'‘’‚‛′`´"
DOUBLE_QUOTES = '"“”„‟″«»'
DASHES = "-‐‑‒–—―−⁃﹘﹣－"
# Characters with no visible width that word processors sprinkle into text.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


class QuoteError(ValueError):
    """A quote that cannot be verified. ``code`` names the reason for forms and tests.

    ``suggestion`` is the closest words of the passage and ``differences`` the words that differ
    (see ``differing_words``); ``parts`` the pieces of a quote that runs on into the next passages.
    """

    def __init__(self, message, code, suggestion=None, differences=(), parts=()):
        super().__init__(message)
        self.code = code
        self.suggestion = suggestion
        self.differences = list(differences)
        self.parts = list(parts)


@dataclass(frozen=True)
class QuoteMatch:
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


class Folded:
    """Text with typography folded away, and where each folded character came from.

    Most characters fold to themselves, so only the places where folding
    changes the text are recorded (``changes``: folded start, folded length,
    original start, original end, in order); any other folded character maps
    to the original one at the same distance after the last change. They are
    worked out only as far as a position asked for, so a search that finds
    nothing, or finds its words early, never maps the rest of a long passage.
    """

    def __init__(self, text, source):
        self.text = text
        self.changes = []
        self._change_starts = []
        self._source = source
        self._runs = _RUNS.finditer(source)
        self._mapped = 0  # folded characters accounted for by the changes so far
        self._copied = 0  # source characters accounted for

    def _map_through(self, index):
        """Record the changes until every one that starts at or before folded ``index`` is known."""
        while self._mapped <= index and self._runs is not None:
            run = next(self._runs, None)
            if run is None:
                self._runs = None
                return
            start = run.start()
            self._mapped += start - self._copied
            for piece_length, piece_start, piece_end in _run_pieces(run.group()):
                self.changes.append((self._mapped, piece_length, start + piece_start, start + piece_end))
                self._change_starts.append(self._mapped)
                self._mapped += piece_length
            self._copied = run.end()

    def _origin(self, index):
        """(start, end) in the original text of the folded character at ``index``."""
        self._map_through(index)
        where = bisect_right(self._change_starts, index) - 1
        if where < 0:
            return index, index + 1
        folded_start, folded_length, start, end = self.changes[where]
        if index < folded_start + folded_length:
            if end - start == folded_length:
                return start + index - folded_start, start + index - folded_start + 1
            return start, end
        original = end + index - folded_start - folded_length
        return original, original + 1

    def span(self, folded_start, folded_end):
        """The span of the original text that produced folded_text[folded_start:folded_end]."""
        return self._origin(folded_start)[0], self._origin(folded_end - 1)[1]


# Runs of the characters folding changes (whitespace, invisible characters, dashes, ellipses), except a
# lone space, which folds to itself: the regular expression engine skips everything else.
_MARKED = re.escape(INVISIBLE + DASHES + "…")
_RUNS = re.compile(f"[\\s{_MARKED}]{{2,}}|[^\\S ]|[{_MARKED}]")


def _fold_run(text, index, length):
    """Fold ``text[index:length]``, a run of foldable characters: yield (folded, start, end) pieces."""
    while index < length:
        char = text[index]
        if char in INVISIBLE:
            yield "", index, index + 1
            index += 1
        elif char.isspace():
            run_end = index
            while run_end < length and (text[run_end].isspace() or text[run_end] in INVISIBLE):
                run_end += 1
            # A dash swallows the space before it; the character after a run is never a dash.
            yield ("" if run_end < length and text[run_end] in DASHES else " "), index, run_end
            index = run_end
        elif char in DASHES:
            run_start = index
            while index < length and (text[index] in DASHES or text[index].isspace() or text[index] in INVISIBLE):
                index += 1
            yield "-", run_start, index
        else:  # an ellipsis
            yield "...", index, index + 1
            index += 1


@lru_cache(maxsize=1024)
def _run_pieces(run):
    """How a run of foldable characters folds: (folded length, start, end) pieces; runs repeat, so cached."""
    return tuple((len(piece), start, end) for piece, start, end in _fold_run(run, 0, len(run)))


@lru_cache(maxsize=1024)
def _folded_run(run):
    return "".join(piece for piece, _start, _end in _fold_run(run, 0, len(run)))


def fold(text):
    """Fold whitespace runs, quote marks, apostrophes, dashes and ellipses; keep case.

    Spaces next to a dash are dropped too, so "son -- Ilham" and "son—Ilham" fold alike.
    The regular expression engine finds the runs that change and ``str.replace``
    the marks, so a passage of megabytes folds in a fraction of a second.
    """
    folded = _RUNS.sub(lambda run: _folded_run(run.group()), text)
    for char in APOSTROPHES:
        folded = folded.replace(char, "'")
    for char in DOUBLE_QUOTES:
        folded = folded.replace(char, '"')
    return Folded(folded, text)


def normalise(quote):
    """A pasted quote in the composed form (NFC) sources are stored in: "é" typed as e + accent is "é"."""
    return unicodedata.normalize("NFC", quote or "")


# Quote marks a quote may be pasted with: opening mark -> the closing marks that balance it.
_OUTER_MARKS = {
    "“": "”“", "”": "”", '"': '"“”', "«": "»", "»": "«", "„": "“”", "‚": "‘’", "‘": "’‘", "’": "’",
    "'": "'’", "‹": "›", "›": "‹", "「": "」", "『": "』",
}
_CLOSING_MARKS = set("”\"»«“’'‘›‹」』")


def strip_outer_marks(quote):
    """Remove the quote marks pasted around a quote (the footnote adds its own).

    Only a balanced pair around the whole quote, or a lone mark at its very start
    or end, is removed; an apostrophe inside a word ("Moscow's") or ending one
    ("the countries'") stays.
    """
    text = normalise(quote).strip()
    for _ in range(3):  # ““doubled”” marks come off in turn
        stripped = _strip_once(text)
        if stripped == text:
            break
        text = stripped
    return text


def _strip_once(text):
    if len(text) < 2:
        return text
    first, last = text[0], text[-1]
    inner = text[1:-1]
    if first in _OUTER_MARKS and last in _OUTER_MARKS[first] and _balanced(inner, first, last):
        return inner.strip()
    if first in _OUTER_MARKS and first not in "'’" and not any(c in _OUTER_MARKS[first] for c in text[1:]):
        return text[1:].strip()  # a lone opening mark
    openers = [opening for opening, closers in _OUTER_MARKS.items() if last in closers]
    if last in _CLOSING_MARKS and last not in "'’‘" and not any(o in text[:-1] for o in openers):
        return text[:-1].strip()  # a lone closing mark
    return text


def _is_apostrophe(text, index):
    """A mark between two letters or digits is an apostrophe, not a quote mark."""
    return 0 < index < len(text) - 1 and text[index - 1].isalnum() and text[index + 1].isalnum()


def _balanced(inner, first, last):
    """Whether the marks inside pair up, so that the outer two belong together."""
    marks = [i for i, char in enumerate(inner) if char in (first, last) and not _is_apostrophe(inner, i)]
    if first == last:
        return not marks  # a straight mark inside cannot say which side it closes
    depth = 0
    for index in marks:
        depth += 1 if inner[index] == first else -1
        if depth < 0:
            return False
    return depth == 0


def folded_quote_of(quote):
    """A pasted quote as matching compares it: composed (NFC), folded, without outer spaces."""
    return fold(normalise(quote).strip()).text.strip()


def _lower_keeping_length(text):
    """Lower case, except letters whose lower case is longer (İ): positions in the text stay valid."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(char.lower() if len(char.lower()) == 1 else char for char in text)


def find_loosely(text, words):
    """The (start, end) span of ``text`` holding ``words`` typed in a search box, or None.

    Like a quote, typography is folded away; unlike a quote, case is ignored and the
    words may begin or end inside a word of the text.
    """
    wanted = _lower_keeping_length(folded_quote_of(words))
    if not wanted:
        return None
    folded = fold(text)
    position = _lower_keeping_length(folded.text).find(wanted)
    if position == -1:
        return None
    return folded.span(position, position + len(wanted))


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


def find_all(text, quote, limit=None):
    """Every (start, end) span of ``text`` that equals ``quote`` once both are folded; the first ``limit`` only.

    The passage is folded once, however many places match.
    """
    folded_quote = folded_quote_of(quote)
    if not folded_quote:
        return []
    folded = fold(text)
    spans, seen, position = [], set(), folded.text.find(folded_quote)
    while position != -1 and (limit is None or len(spans) < limit):
        start, end = folded.span(position, position + len(folded_quote))
        span = _trim(text, start, end)
        if span not in seen:
            seen.add(span)
            spans.append(span)
        position = folded.text.find(folded_quote, position + 1)
    return spans


def _window(length):
    """How many characters of the source to fold to find ``length`` folded characters, runs of spaces allowed."""
    return 4 * length + 64


def match_at(text, quote, start):
    """The span of ``quote`` starting exactly at ``start`` in ``text``, or None; folds only the text there."""
    folded_quote = folded_quote_of(quote)
    if not folded_quote or start is None or not 0 <= start < len(text) or text[start].isspace():
        return None
    window = fold(text[start:start + _window(len(folded_quote))])
    if not window.text.startswith(folded_quote):
        return None
    span_start, span_end = window.span(0, len(folded_quote))
    return _trim(text, start + span_start, start + span_end)


def context(text, start, end, size=CONTEXT_CHARS):
    """The characters just before and just after a span (about ``size`` each)."""
    return text[max(0, start - size):start], text[end:end + size]


def _context_agrees(text, start, end, prefix, suffix):
    """How many of the given prefix/suffix agree with the text around the span (0, 1 or 2)."""
    score = 0
    # Only the text next to the span is folded, not the passage once per place.
    wanted_prefix = fold(prefix).text.strip()
    before = text[max(0, start - _window(len(wanted_prefix))):start]
    if wanted_prefix and fold(before).text.rstrip().endswith(wanted_prefix):
        score += 1
    wanted_suffix = fold(suffix).text.strip()
    if wanted_suffix and fold(text[end:end + _window(len(wanted_suffix))]).text.lstrip().startswith(wanted_suffix):
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
    folded_quote = folded_quote_of(quote)
    if not folded_quote or len(folded_quote) * len(text) > NEAR_MATCH_MAX_WORK:
        return None  # too much to compare: the caller says the words are missing without a suggestion
    folded = fold(text)
    if not folded.text:
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
    quote_words = _bare_words(folded_quote)
    first_choices = range(max(0, inside[0] - 2), min(len(words), inside[0] + 3))
    best = None
    for first in first_choices:
        for last in range(first + max(0, wanted - 3), min(len(words), first + wanted + 2)):
            start, end = _strip_punctuation(text, words[first][0], words[last][1], folded_quote)
            if end <= start:
                continue
            candidate = fold(text[start:end]).text
            score = fuzz.ratio(folded_quote, candidate)
            # Most words in common less the difference in number, then most words in place, then the closest
            # characters: a wrong first or last word is shown in its place, not dropped or replaced.
            key = (*_word_agreement(quote_words, candidate), score)
            if best is None or key > best[0]:
                best = (key, start, end)
    if best is None or best[0][2] < threshold:
        return None
    (_common, _in_place, score), start, end = best
    return text[start:end], score


def _bare_words(folded):
    return [word.strip(".,;:!?\"'()[]") for word in folded.split()]


def _word_agreement(quote_words, folded_candidate):
    """(words in common less the difference in number of words, words at the same place from either end)."""
    words = _bare_words(folded_candidate)
    matcher = difflib.SequenceMatcher(a=quote_words, b=words, autojunk=False)
    common = sum(block.size for block in matcher.get_matching_blocks())
    front = sum(1 for a, b in zip(quote_words, words, strict=False) if a == b)
    back = sum(1 for a, b in zip(reversed(quote_words), reversed(words), strict=False) if a == b)
    return common - abs(len(words) - len(quote_words)), max(front, back)


def differing_words(quote, words):
    """What differs between a quote and the closest words of a passage, word by word.

    A list of (quoted, printed) pairs of strings; either may be empty (words missing
    from the quote, or words the passage does not have).
    """
    quoted, printed = fold(quote.strip()).text.split(), words.split()
    folded_printed = [fold(word).text for word in printed]
    matcher = difflib.SequenceMatcher(a=quoted, b=folded_printed, autojunk=False)
    return [
        (" ".join(quoted[a1:a2]), " ".join(printed[b1:b2]))
        for tag, a1, a2, b1, b2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def describe_differences(differences):
    """The differing words in a sentence: “Ukrainian” where the passage has “Ukraine”."""
    parts = []
    for quoted, printed in differences[:5]:
        if quoted and printed:
            parts.append(f"“{quoted}” where the passage has “{printed}”")
        elif quoted:
            parts.append(f"“{quoted}”, which the passage does not have")
        else:
            parts.append(f"the passage’s “{printed}”, missing from the quote")
    if len(differences) > 5:
        parts.append(f"{len(differences) - 5} more")
    return "; ".join(parts)


MAX_SPLIT_WORDS = 2000


def split_across(texts, quote):
    """Where a quote falls that begins at the end of ``texts[0]`` and runs on into the texts after it.

    Returns [(index of the text, QuoteMatch), ...] with one part per text, or None
    when the quote does not run on like that. Only the end of the first text and
    the start of the others are folded, as much as the quote could cover.
    """
    folded_quote = folded_quote_of(quote)
    if not folded_quote or len(texts) < 2:
        return None
    first = texts[0]
    offset = max(0, len(first) - _window(len(folded_quote)))
    tail = fold(first[offset:])
    tail_text = tail.text.rstrip()
    cuts = [index for index, char in enumerate(folded_quote) if char == " "][:MAX_SPLIT_WORDS]
    for cut in reversed(cuts):
        head = folded_quote[:cut]
        at = len(tail_text) - len(head)
        if not tail_text.endswith(head) or (at > 0 and tail_text[at - 1].isalnum()):
            continue
        start, end = tail.span(at, len(tail_text))
        parts = [(0, _match(first, *_trim(first, offset + start, offset + end)))]
        rest = folded_quote[cut + 1:]
        for index, text in enumerate(texts[1:], start=1):
            window = fold(text[:_window(len(rest))])
            if window.text.startswith(rest):
                parts.append((index, _match(text, *_trim(text, *window.span(0, len(rest))))))
                return parts
            whole = window.text.strip()
            if len(text) > _window(len(rest)) or not whole or not rest.startswith(whole + " "):
                break
            # The whole passage is the middle of the quote.
            parts.append((index, _match(text, *_trim(text, 0, len(text)))))
            rest = rest[len(whole) + 1:]
    return None


def _spans_description(spans, more=False):
    places = [str(start) for start, _ in spans[:5]]
    if more or len(spans) > 5:
        return "characters " + ", ".join(places) + " and further on"
    return "characters " + ", ".join(places[:-1]) + f" and {places[-1]}"


def longest_possible(text):
    """The most folded characters ``text`` could match: folding only shortens, but for ellipses."""
    return len(text) + 2 * text.count("…")


def locate(text, quote, *, start=None, prefix="", suffix=""):
    """Find ``quote`` in ``text`` and return a QuoteMatch with the exact source words.

    When the quote occurs more than once, ``start`` (an offset) or ``prefix`` /
    ``suffix`` (words around it) say which occurrence is meant. Raises QuoteError.
    """
    quote = normalise(quote)
    check_length(quote)
    folded_quote = folded_quote_of(quote)
    if len(folded_quote) > longest_possible(text):
        raise QuoteError(
            f"The quote is longer than the whole passage ({len(folded_quote):,} characters against "
            f"{len(text):,}): check that you chose the right passage and quoted only its words.",
            code="longer_than_passage",
        )
    exact = match_at(text, quote, start)
    if exact is not None:
        return _match(text, *exact)
    spans = find_all(text, quote, limit=MAX_CANDIDATES + 1)
    if not spans:
        near = closest_words(text, quote)
        if near is None and len(folded_quote) * len(text) > NEAR_MATCH_MAX_WORK:
            raise QuoteError(
                "These words are not in the passage. It is too long to look for the closest words: "
                "check the quote against the source.",
                code="not_found",
            )
        if near:
            words, _score = near
            differences = differing_words(quote, words)
            detail = f" Different: {describe_differences(differences)}." if differences else ""
            raise QuoteError(
                f"These words are not in the passage. The closest words in it are: “{words}”{detail}",
                code="not_found",
                suggestion=words,
                differences=differences,
            )
        raise QuoteError(
            "These words are not in the passage, and nothing in it comes close: "
            "check that you chose the right passage.",
            code="not_found",
        )
    if len(spans) > 1:
        more = len(spans) > MAX_CANDIDATES
        spans = spans[:MAX_CANDIDATES]
        chosen = []
        if prefix.strip() or suffix.strip():
            scores = [_context_agrees(text, s, e, prefix, suffix) for s, e in spans]
            best = max(scores)
            chosen = [span for span, score in zip(spans, scores, strict=True) if best and score == best]
        if len(chosen) != 1 or more:
            times = f"more than {MAX_CANDIDATES}" if more else str(len(spans))
            raise QuoteError(
                f"These words occur {times} times in the passage (at {_spans_description(spans, more)}). "
                "Say which one you mean: quote a few more words, or give the words just before "
                "or just after it.",
                code="ambiguous",
            )
        spans = chosen
    return _match(text, *spans[0])


def _match(text, start, end):
    before, after = context(text, start, end)
    return QuoteMatch(start, end, text[start:end], before, after)
