"""Finding the passage from the quote: which current citable passages hold the words an analyst pasted.

The database narrows the passages first, on the quote's longest words (runs of
letters and digits, which typography does not change), so only a few passages
are read; each is then checked with the quote matcher, which tolerates quote
marks, dashes and spacing as saving a citation does. A quote that starts at the
end of a passage and runs on into the next ones is found as such, in parts.
"""
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from sources.models import Passage

from . import quotes
from .models import parts_running_on

# How many of the quote's longest words narrow the passages in the database, how many passages are then read
# and checked, and how many are offered.
KEY_WORDS = 3
MAX_CANDIDATES = 200
# Passages whose end may begin a quote that runs on (each costs a query for the passages after it).
MAX_RUN_ON_CANDIDATES = 20
MAX_RESULTS = 20
LABEL_LENGTH = 40  # Citation.label's max_length
# Characters of the passage shown either side of the matching words.
SHOWN_AROUND = 80

_WORD = re.compile(r"\w+")


@dataclass
class Found:
    """One passage holding the quote: where, and the passage text around it with the words marked."""

    passage: Passage
    match: quotes.QuoteMatch
    occurrences: int = 1
    parts: list = field(default_factory=list)  # [(Passage, QuoteMatch)] when the quote runs on

    def highlighted(self):
        return highlight(self.passage.text, self.match.start, self.match.end)


def key_words(text, count=KEY_WORDS):
    """The longest words of ``text`` (letters and digits only), longest first: what narrows the search."""
    words = sorted(set(_WORD.findall(quotes.normalise(text))), key=lambda word: (-len(word), word))
    return [word for word in words if len(word) > 3 or (len(word) > 1 and not word.isdigit())][:count]


def candidates(words, limit=MAX_CANDIDATES):
    """Current citable passages containing every one of ``words``, newest source first."""
    if not words:
        return Passage.objects.none()
    condition = Q()
    for word in words:
        condition &= Q(text__contains=word)
    return (
        Passage.objects.citable()
        .filter(condition)
        .select_related("source")
        .defer("source__text")
        .order_by("-source__updated_at", "source__slug", "ordinal")[:limit]
    )


def find_passages(quote, limit=MAX_RESULTS):
    """The current citable passages that contain ``quote``, best first.

    A passage holding the words once comes before one holding them several
    times (which needs the words around them to say which), then the newest
    source. When no passage holds the whole quote, a quote that runs from the
    end of one passage into the next ones is returned with its ``parts``.
    Raises QuoteError for a quote too short or empty to look for.
    """
    quote = quotes.strip_outer_marks(quote)
    quotes.check_length(quote)
    found = []
    for passage in candidates(key_words(quote)):
        spans = quotes.find_all(passage.text, quote, limit=quotes.MAX_CANDIDATES)
        if spans:
            start, end = spans[0]
            found.append(Found(passage, quotes._match(passage.text, start, end), occurrences=len(spans)))
    if found:
        found.sort(key=lambda item: item.occurrences > 1)  # stable: the newest source first otherwise
        return found[:limit]
    return _running_on(quote)[:limit]


def _running_on(quote):
    """Quotes that begin at the end of a passage and run on into the following ones.

    The passage is looked for by the longest of the quote's first three words, which it must hold.
    """
    opening = " ".join(quote.split()[: quotes.MIN_WORDS])
    found = []
    for passage in candidates(key_words(opening, count=1), limit=MAX_RUN_ON_CANDIDATES):
        parts = parts_running_on(passage, quote)
        if parts:
            found.append(Found(passage, parts[0][1], parts=parts))
    return found


@dataclass
class SplitPart:
    """One citation of a quote split across passages: its label, passage and exact words."""

    label: str
    passage: Passage
    match: quotes.QuoteMatch


def split_quote(quote, label, *, passage=None, taken=()):
    """The citations a quote running across passages splits into, one per passage; ``[]`` if it does not run on.

    With ``passage`` the quote begins at its end (the passage the analyst chose);
    without, it is looked for in every source, and split only when one place holds
    it. The first part keeps ``label``; the others are ``label-2``, ``label-3``…,
    skipping the ``taken`` labels. Raises QuoteError for a quote too short to look for.
    """
    quote = quotes.strip_outer_marks(quote)
    quotes.check_length(quote)
    if passage is not None:
        parts = parts_running_on(passage, quote)
    else:
        found = find_passages(quote)
        parts = found[0].parts if len(found) == 1 else []
    label = label or "part"
    taken = set(taken) - {label}
    labels, number = [label], 2
    while len(labels) < len(parts):
        suffix = f"-{number}"
        candidate = f"{label[:LABEL_LENGTH - len(suffix)]}{suffix}"
        if candidate not in taken:
            labels.append(candidate)
        number += 1
    return [SplitPart(part_label, part, match) for part_label, (part, match) in zip(labels, parts, strict=False)]


MAX_SEARCHED = 500


def search_passages(queryset, term):
    """The passages of ``queryset`` holding every word of ``term`` typed in a search box, typography and case aside.

    As in the admin's own search, the words may be anywhere in the passage. The
    database narrows the passages on the words' letters and digits (which
    typography does not change); at most ``MAX_SEARCHED`` of those are checked here.
    """
    typed = term.split()
    letters = [word for word in _WORD.findall(quotes.normalise(term)) if len(word) > 1]
    if not letters:
        return queryset.none()
    condition = Q()
    for word in letters:
        condition &= Q(text__icontains=word)
    narrowed = queryset.filter(condition).order_by().values_list("pk", "text")[:MAX_SEARCHED]
    return queryset.filter(
        pk__in=[pk for pk, text in narrowed if all(quotes.find_loosely(text, word) for word in typed)]
    )


def matching_words(text, term, around=30):
    """The words of ``text`` that match a search ``term``, with a little on either side, as plain text."""
    span = quotes.find_loosely(text, term)
    for word in term.split():
        span = span or quotes.find_loosely(text, word)  # the words typed may be apart: show the first
    if span is None:
        return Truncator(text).chars(60)
    start, end = span
    before_start, after_end = max(0, start - around), min(len(text), end + around)
    return ("…" if before_start else "") + text[before_start:after_end] + ("…" if after_end < len(text) else "")


def highlight(text, start, end, around=SHOWN_AROUND):
    """The words ``text[start:end]`` in a <mark>, with a little of the text around them; all text escaped."""
    before_start = max(0, start - around)
    after_end = min(len(text), end + around)
    before = ("…" if before_start else "") + text[before_start:start]
    after = text[end:after_end] + ("…" if after_end < len(text) else "")
    return mark_safe(f"{escape(before)}<mark>{escape(text[start:end])}</mark>{escape(after)}")


# The citation editor shows a passage's neighbourhood around the quoted words, not a long passage whole; a long
# quote is shown by its beginning and end.
NEIGHBOURHOOD = 400
LONGEST_MARK = 600


def neighbourhood(text, start, end, around=NEIGHBOURHOOD, longest_mark=LONGEST_MARK):
    """The quoted words ``text[start:end]`` marked, with up to ``around`` characters either side; all text escaped.

    However long the passage and the quote, at most ``2 * (around + longest_mark)`` characters are shown.
    """
    if end - start <= 2 * longest_mark:
        return highlight(text, start, end, around=around)
    before_start = max(0, start - around)
    after_end = min(len(text), end + around)
    return mark_safe(
        ("…" if before_start else "")
        + escape(text[before_start:start])
        + f"<mark>{escape(text[start:start + longest_mark])}</mark>"
        + " […] "
        + f"<mark>{escape(text[end - longest_mark:end])}</mark>"
        + escape(text[end:after_end])
        + ("…" if after_end < len(text) else "")
    )


def describe(found):
    """A passage found, in words: source and paragraph."""
    return f"{found.passage.source.display_title}, paragraph {found.passage.ordinal}"


def as_json(found):
    """What the citation editor needs to fill a row: the passage, exact words, offsets and context."""
    return {
        "passage": found.passage.pk,
        "passage_label": str(found.passage),
        "where": describe(found),
        "quote": found.match.quote,
        "start": found.match.start,
        "end": found.match.end,
        "prefix": found.match.prefix,
        "suffix": found.match.suffix,
        "occurrences": found.occurrences,
        "html": str(found.highlighted()),
        "parts": [
            {
                "passage": passage.pk,
                "passage_label": str(passage),
                "where": f"{passage.source.display_title}, paragraph {passage.ordinal}",
                "quote": match.quote,
                "prefix": match.prefix,
                "suffix": match.suffix,
                "html": str(highlight(passage.text, match.start, match.end)),
            }
            for passage, match in found.parts
        ],
    }
