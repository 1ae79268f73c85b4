"""Keeping citations true when a source is imported again.

When ``import_sources`` changes a source, every citation into it is checked:

- the quote is still at its offsets in a current passage: nothing moves;
- the same words (allowing for whitespace and typography only) are found
  elsewhere in the new version: the citation moves there, ``reanchored``, and
  the old location is recorded; the context around the old quote picks
  between several places;
- otherwise: ``orphaned``. The citation keeps its quote and its retired
  passage and is never deleted nor pointed at different words; the reason
  names the closest words of the new version when they are similar.

The importer saves the source after its citations moved; the briefings
citing it are rendered again then (``refresh_on_source_saved``), once, since
paragraph numbers, links and the source's title may have changed.
"""
from collections import Counter

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from rapidfuzz import fuzz

from . import quotes
from .models import Briefing, Citation

Status = Citation.Status
# Similarity (0–100) above which changed words are named in the orphan's reason.
NEAR_MATCH_SCORE = 90
UPDATED_FIELDS = [
    "passage", "start", "end", "quote", "prefix", "suffix", "status", "status_reason", "checked_at",
    "previous_passage", "previous_start", "previous_end", "previous_quote", "reanchored_at", "source_version",
]


def _context_similarity(citation, text, start, end):
    before, after = quotes.context(text, start, end)
    prefix = fuzz.ratio(quotes.fold(citation.prefix).text.strip(), quotes.fold(before).text.strip())
    suffix = fuzz.ratio(quotes.fold(citation.suffix).text.strip(), quotes.fold(after).text.strip())
    return prefix + suffix


def find_new_place(citation, passages):
    """The best (passage, start, end) of the same words among ``passages``, or None."""
    candidates = []
    for passage in passages:
        exact, position = [], passage.text.find(citation.quote)
        while position != -1:
            exact.append((position, position + len(citation.quote)))
            position = passage.text.find(citation.quote, position + 1)
        for start, end in exact or quotes.find_all(passage.text, citation.quote):
            candidates.append((passage, start, end))
    if not candidates:
        return None
    old = citation.passage

    def preference(candidate):
        passage, start, end = candidate
        exact = passage.text[start:end] == citation.quote
        # Same words with the same surroundings first, then the nearest to where they were.
        return (
            -_context_similarity(citation, passage.text, start, end),
            not exact,
            abs(passage.ordinal - old.ordinal),
            abs(start - citation.start),
        )

    return min(candidates, key=preference)


def closest_changed_words(citation, passages):
    """(passage, words, score) of the most similar words in ``passages``, when similar enough."""
    best = None
    for passage in passages:
        near = quotes.closest_words(passage.text, citation.quote, threshold=NEAR_MATCH_SCORE)
        if near and (best is None or near[1] > best[2]):
            best = (passage, near[0], near[1])
    return best


def check_citation(citation, passages, now, version=None):
    """Bring one citation in line with the current passages; return the outcome or None if unchanged.

    Outcomes: "restored" (back in place), "reanchored", "orphaned". A citation that moved or came back is
    pinned to ``version``, the source's current version, which it now quotes; an orphan stays pinned to the
    version that held its words.
    """
    passage = citation.passage
    citation.checked_at = now
    if not passage.retired and passage.citable and passage.text[citation.start:citation.end] == citation.quote:
        if citation.status == Status.ORPHANED:
            citation.status = Status.OK
            citation.status_reason = "The quoted words are back in the source, at their place."
            citation.source_version = version or citation.source_version
            return "restored"
        return None

    new_place = find_new_place(citation, passages)
    if new_place:
        new_passage, start, end = new_place
        citation.previous_passage = passage
        citation.previous_start, citation.previous_end = citation.start, citation.end
        citation.previous_quote = citation.quote
        citation.passage, citation.start, citation.end = new_passage, start, end
        citation.quote = new_passage.text[start:end]
        citation.prefix, citation.suffix = quotes.context(new_passage.text, start, end)
        citation.status = Status.REANCHORED
        citation.reanchored_at = now
        citation.source_version = version or citation.source_version
        typography = " (with different spacing or typography)" if citation.quote != citation.previous_quote else ""
        old_place, new_place = passage.place_label, new_passage.place_label
        if new_passage.ordinal == passage.ordinal:
            where = f"{old_place} was revised and still holds the same words{typography}"
        else:
            where = f"the same words{typography} moved from {old_place} to {new_place}"
        citation.status_reason = f"Re-imported source: {where}. Check that they still support the briefing."
        return "reanchored"

    near = closest_changed_words(citation, passages)
    if near:
        near_passage, words, _score = near
        reason = (
            f"The quoted words changed in the new version of the source. {near_passage.place_label.capitalize()} "
            f"now reads: “{words}”. Check whether it still supports the briefing, then choose it again."
        )
    else:
        reason = "The quoted words are no longer in the source: they were removed when it was imported again."
    was_orphaned = citation.status == Status.ORPHANED
    citation.status = Status.ORPHANED
    citation.status_reason = reason
    return None if was_orphaned else "orphaned"


def reanchor_source(source, now=None, version=None):
    """Check every citation into ``source`` against its current passages; return a Counter of outcomes."""
    now = now or timezone.now()
    version = version or source.current_version()
    passages = list(source.passages.citable().order_by("ordinal"))
    citations = list(
        Citation.objects.filter(passage__source=source).select_related("passage").order_by("pk")
    )
    outcomes = Counter()
    for citation in citations:
        outcome = check_citation(citation, passages, now, version)
        if outcome:
            outcomes[outcome] += 1
    # Written in bulk, without Citation.save(): an orphan must stay orphaned, not be verified again.
    Citation.objects.bulk_update(citations, UPDATED_FIELDS, batch_size=500)
    return outcomes


def refresh_briefings_citing(source):
    citing = Citation.objects.filter(briefing=OuterRef("pk"), passage__source=source)
    for briefing in Briefing.objects.filter(Exists(citing)).only("pk", "body"):
        briefing.refresh_body_html()


def reanchor_on_reimport(sender, source, retired=(), version=None, **kwargs):
    """Receiver of ``sources.signals.source_text_changed``; the import command sums what it returns."""
    outcomes = reanchor_source(source, version=version)
    # Only what the summary reports, and only when it happened (a Counter drops zeros with +).
    return +Counter(
        {"reanchored": outcomes["reanchored"], "orphaned": outcomes["orphaned"], "restored": outcomes["restored"]}
    )


def refresh_on_source_saved(sender, instance, created, **kwargs):
    """A source's title and passages show in footnotes, so citing briefings are rendered again when it is saved."""
    if not created:
        refresh_briefings_citing(instance)


def citations_of_retiring_passages(sender, source, retired=(), **kwargs):
    """Receiver of ``sources.signals.source_replacement_previewed``: the citations a replacement would move."""
    citations = Citation.objects.filter(passage__in=retired).select_related("briefing").order_by(
        "briefing__title", "label"
    )
    return [
        {
            "label": f"[^{citation.label}] in “{citation.briefing.title}”",
            "url": reverse("admin:briefings_briefing_change", args=[citation.briefing_id]),
            "status": citation.briefing.get_status_display(),
        }
        for citation in citations
    ]
