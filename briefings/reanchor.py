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

Nobody is surprised: every change of a citation of a briefing in review or
published (re-anchored, orphaned, or restored when the right words come back)
is recorded as a ``SourceChange`` for the editors' "Source changes" queue and
as a ``BriefingEvent`` on the briefing, and its authors and the editors get
one email per import listing them, once the import commits.
"""
from collections import Counter
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from rapidfuzz import fuzz

from . import notifications, quotes
from .models import Briefing, BriefingEvent, Citation, SourceChange

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


@dataclass
class Change:
    """What an import did to one citation: where its words were, and the outcome."""

    citation: Citation
    outcome: str  # "reanchored", "orphaned" or "restored"
    old_passage: object
    old_quote: str


def reanchor_source(source, now=None, version=None, changes=None):
    """Check every citation into ``source`` against its current passages; return a Counter of outcomes.

    Each citation whose status changed is appended to ``changes`` (a list of ``Change``) when given.
    """
    now = now or timezone.now()
    version = version or source.current_version()
    passages = list(source.passages.citable().order_by("ordinal"))
    citations = list(
        Citation.objects.filter(passage__source=source).select_related("passage").order_by("pk")
    )
    outcomes = Counter()
    for citation in citations:
        old_passage, old_quote = citation.passage, citation.quote
        outcome = check_citation(citation, passages, now, version)
        if outcome:
            outcomes[outcome] += 1
            if changes is not None:
                changes.append(Change(citation, outcome, old_passage, old_quote))
    # Written in bulk, without Citation.save(): an orphan must stay orphaned, not be verified again.
    Citation.objects.bulk_update(citations, UPDATED_FIELDS, batch_size=500)
    return outcomes


# Telling the newsroom ------------------------------------------------------------


def watched_briefings():
    """Briefings whose citations an import must not change unnoticed: in review, approved, or published.

    Retracted briefings are left alone: nobody edits them and readers only see their notice.
    """
    Status = Briefing.Status
    return Briefing.objects.exclude(status=Status.RETRACTED).filter(
        Q(status__in=[Status.IN_REVIEW, Status.APPROVED]) | Q(published_revision__isnull=False)
    )


def describe_change(change):
    """One line for the event log and the email: which citation, what happened, and why."""
    citation = change.citation
    outcome = SourceChange.Outcome(change.outcome).label.lower()
    return f"[^{citation.label}] {outcome}: “{change.old_quote}” — {citation.status_reason}"


def record_changes(source, changes, *, version=None, now=None):
    """Record what an import did to citations of watched briefings; return {briefing: [lines]}.

    Writes one ``SourceChange`` per citation (superseding the citation's older
    open ones) and one ``BriefingEvent`` per briefing, and adds the briefings
    to the email that goes out once the import commits.
    """
    now = now or timezone.now()
    by = version.imported_by if version is not None else None
    briefing_ids = {change.citation.briefing_id for change in changes}
    watched = {briefing.pk: briefing for briefing in watched_briefings().filter(pk__in=briefing_ids)}
    changes = [change for change in changes if change.citation.briefing_id in watched]
    if not changes:
        return {}
    SourceChange.objects.filter(
        citation__in=[change.citation for change in changes], resolved_at__isnull=True
    ).update(resolved_at=now, resolution=SourceChange.Resolution.SUPERSEDED)
    SourceChange.objects.bulk_create(
        SourceChange(
            briefing_id=change.citation.briefing_id,
            citation=change.citation,
            label=change.citation.label,
            source=source,
            source_version=version,
            outcome=change.outcome,
            old_passage=change.old_passage,
            old_quote=change.old_quote,
            new_passage=change.citation.passage if change.outcome == "reanchored" else None,
            new_quote=change.citation.quote if change.outcome == "reanchored" else "",
            reason=change.citation.status_reason,
            imported_at=now,
            imported_by=by,
        )
        for change in changes
    )
    as_version = f" as version {version.number}" if version is not None else ""
    lines = {}
    for change in sorted(changes, key=lambda change: (change.citation.briefing_id, change.citation.order)):
        lines.setdefault(watched[change.citation.briefing_id], []).append(describe_change(change))
    for briefing, described in lines.items():
        BriefingEvent.objects.create(
            briefing=briefing,
            actor=by,
            action=BriefingEvent.Action.SOURCE_CHANGED,
            from_state=briefing.status,
            to_state=briefing.status,
            comment=f"{source.display_title} was imported again{as_version}.\n" + "\n".join(described),
            created_at=now,
        )
    notifications.citations_changed(source, lines, by, version=version)
    return lines


def refresh_briefings_citing(source):
    citing = Citation.objects.filter(briefing=OuterRef("pk"), passage__source=source)
    for briefing in Briefing.objects.filter(Exists(citing)).only("pk", "body"):
        briefing.refresh_body_html()


def reanchor_on_reimport(sender, source, retired=(), version=None, **kwargs):
    """Receiver of ``sources.signals.source_text_changed``; the import command sums what it returns.

    Who imported is the new version's ``imported_by`` (None for the command line).
    """
    now = version.imported_at if version is not None else timezone.now()
    changes = []
    outcomes = reanchor_source(source, now, version=version, changes=changes)
    record_changes(source, changes, version=version, now=now)
    # Only what the summary reports, and only when it happened (a Counter drops zeros with +).
    return +Counter({name: outcomes[name] for name in ("reanchored", "orphaned", "restored")})


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
