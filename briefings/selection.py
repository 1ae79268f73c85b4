"""Words selected on a source page, as the page's script sends them, turned into citations.

Staff select words in the passages of a source's current page and choose a
briefing (``static/js/cite-selection.js``). The script sends, for each passage
the selection touches, the passage's anchor, the offsets of the selected words
in its text and the words themselves. Nothing the browser sends is taken on
trust: the words must be those the passage holds at those offsets, and each
citation is verified by ``Citation.clean()`` like one typed in the editor.

A selection over several passages makes one citation per passage, all or none:
a citation quotes one passage, and each part is a quote of its own.
Who may cite into which briefing is ``briefings.workflow``'s to say
(``check_cite_selection``, ``cite_selection``).
"""
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Max

from sources.models import Passage
from sources.slugs import slug_base, unique_slug

from . import quotes
from .models import SPLIT_MAX_PASSAGES, Citation

# Far longer than any quote worth a footnote; a longer post is refused before any passage is read.
MAX_SELECTED_CHARS = 5000
ANCHOR = re.compile(r"p-[1-9][0-9]{0,8}")
# A suggested label is made from this many of the quote's first words, and kept this short.
LABEL_WORDS = 3
LABEL_LENGTH = 30

RELOAD = "Reload the page and select the words again."


class SelectionError(ValueError):
    """A selection that cannot be cited; the message says why, in words for the user."""


@dataclass(frozen=True)
class SelectedWords:
    """Words selected in one passage: the exact words it holds from ``start`` to ``end``."""

    passage: Passage
    start: int
    end: int
    words: str

    @property
    def place(self):
        return self.passage.place_label.capitalize()


def read_selection(data):
    """The selected words of a posted selection, one ``SelectedWords`` per passage in page order.

    ``data`` is what the page's script posts: ``{"source": slug, "parts": [{"passage": "p-3",
    "start": 10, "end": 42, "quote": "..."}, ...]}``. Raises ``SelectionError``.
    """
    if not isinstance(data, dict) or not isinstance(data.get("source"), str):
        raise SelectionError(f"The selection did not say which source it is from. {RELOAD}")
    parts = data.get("parts")
    if not isinstance(parts, list) or not parts:
        raise SelectionError("Select the words to cite first.")
    if len(parts) > SPLIT_MAX_PASSAGES:
        raise SelectionError(
            f"The selection runs over {len(parts)} paragraphs; select words in at most {SPLIT_MAX_PASSAGES} "
            "at once (each becomes a citation of its own)."
        )
    wanted = [_read_part(part) for part in parts]
    anchors = [anchor for anchor, *_ in wanted]
    if len(set(anchors)) != len(anchors):
        raise SelectionError(f"The selection names a paragraph twice. {RELOAD}")
    passages = {
        passage.anchor: passage
        for passage in Passage.objects.filter(source__slug=data["source"], anchor__in=anchors)
        .select_related("source")
        .defer("source__text")
    }
    selected = [_selected_words(passages.get(anchor), start, end, quote) for anchor, start, end, quote in wanted]
    ordinals = [part.passage.ordinal for part in selected]
    if ordinals != sorted(ordinals):
        raise SelectionError(f"The selection's paragraphs are out of order. {RELOAD}")
    return selected


def _read_part(part):
    if not isinstance(part, dict):
        raise SelectionError(f"The selection could not be read. {RELOAD}")
    anchor, start, end, quote = (part.get(name) for name in ("passage", "start", "end", "quote"))
    offsets_are_numbers = all(isinstance(value, int) and not isinstance(value, bool) for value in (start, end))
    if not (isinstance(anchor, str) and ANCHOR.fullmatch(anchor) and offsets_are_numbers and isinstance(quote, str)):
        raise SelectionError(f"The selection could not be read. {RELOAD}")
    if len(quote) > MAX_SELECTED_CHARS or end - start > MAX_SELECTED_CHARS:
        raise SelectionError(
            f"The selection is longer than {MAX_SELECTED_CHARS:,} characters: a footnote quotes a few words, "
            "not whole pages."
        )
    return anchor, start, end, quote


def _selected_words(passage, start, end, quote):
    """The words the passage holds where the browser says the selection is, if they are the words it sent."""
    if passage is None:
        raise SelectionError(f"The selection is in a paragraph this source does not have. {RELOAD}")
    place = passage.place_label
    if passage.retired:
        raise SelectionError(
            f"The words in {place} are no longer in the current version of the source: it was imported again "
            f"since the page was opened. {RELOAD}"
        )
    if not passage.citable:
        raise SelectionError(
            "The selection includes page furniture (navigation, notices, links to other stories), which is not "
            "part of the article: select words of the article only."
        )
    text = passage.text
    if not 0 <= start < end <= len(text):
        raise SelectionError(f"The selected words are not in {place} as the page showed it. {RELOAD}")
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    words = text[start:end]
    if not words or quotes.folded_quote_of(words) != quotes.folded_quote_of(quote):
        raise SelectionError(
            f"The selected words are not in {place} as the page showed it: the source may have changed "
            f"since the page was opened. {RELOAD}"
        )
    # Quote marks selected with the words are the source's, not the quote's: the footnote adds its own.
    bare = quotes.strip_outer_marks(words)
    at = words.find(bare) if bare else -1
    if at >= 0 and len(bare) < len(words):
        start, end, words = start + at, start + at + len(bare), bare
    return SelectedWords(passage, start, end, words)


def suggest_label(words, taken):
    """A label made from the quote's first words ("signed-a-transit"), numbered when ``taken`` has it."""
    first_words = [word for word in words.split() if any(char.isalnum() for char in word)][:LABEL_WORDS]
    base = slug_base(" ".join(first_words), fallback="quote")
    if len(base) > LABEL_LENGTH:
        # Whole words only, unless the first is longer than a label may be.
        cut = base.rfind("-", 0, LABEL_LENGTH + 1)
        base = base[:cut] if cut > 0 else base[:LABEL_LENGTH]
    return unique_slug(base, set(taken))


def citations_for(briefing, selected):
    """Unsaved citations of ``briefing``, one per part of the selection, each verified by ``Citation.clean()``.

    Each gets a label of its own and comes after the briefing's citations.
    Raises ``SelectionError`` naming the part at fault.
    """
    taken = set(briefing.citations.values_list("label", flat=True))
    order = (briefing.citations.aggregate(last=Max("order"))["last"] or 0) + 1
    citations = []
    for part in selected:
        label = suggest_label(part.words, taken)
        taken.add(label)
        citation = Citation(
            briefing=briefing, passage=part.passage, quote=part.words, start=part.start, label=label, order=order,
        )
        order += 1
        try:
            citation.clean()
        except ValidationError as error:
            reason = " ".join(error.messages)
            raise SelectionError(f"{part.place}: {reason}" if len(selected) > 1 else reason) from None
        # Verification may drop quote marks at the edges, never move the words out of what was selected.
        if citation.start < part.start or citation.end > part.end:
            raise SelectionError(f"The selected words are not in {part.passage.place_label}. {RELOAD}")
        citations.append(citation)
    return citations
