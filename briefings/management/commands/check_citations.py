from django.core.management.base import BaseCommand, CommandError

from briefings.models import Citation

Status = Citation.Status


def stored_words_problem(citation):
    """Why the stored offsets no longer hold the quote, or "" when they do."""
    passage = citation.passage
    if citation.status == Status.ORPHANED:
        return ""  # already reported with its own reason
    if passage.retired:
        return "its passage is no longer in the current version of the source"
    if not passage.citable:
        return "its passage is not part of the article (page furniture)"
    if passage.text[citation.start:citation.end] != citation.quote:
        return "the passage no longer holds the quote at the stored offsets"
    return ""


def is_published(briefing):
    """Public or scheduled: readers see (or are about to see) a published revision of it."""
    return (briefing.is_public() or briefing.is_scheduled()) and not briefing.is_retracted


class Command(BaseCommand):
    help = (
        "List every citation that is not OK (re-anchored or orphaned, or whose stored words no longer "
        "match its passage). Exits with status 1 when a citation of a published briefing is orphaned "
        "or no longer matches."
    )

    def handle(self, *args, **options):
        citations = (
            Citation.objects.select_related("briefing", "passage")
            .only(
                "label", "quote", "start", "end", "status", "status_reason",
                "briefing__slug", "briefing__status", "briefing__published_revision_id", "briefing__published_at",
                "passage__text", "passage__retired", "passage__citable",
            )
            .order_by("briefing__slug", "order", "pk")
        )
        checked = 0
        counts = {Status.REANCHORED: 0, Status.ORPHANED: 0, "mismatch": 0}
        blocking = 0
        for citation in citations.iterator(chunk_size=500):
            checked += 1
            mismatch = stored_words_problem(citation)
            if citation.status == Status.OK and not mismatch:
                continue
            published = is_published(citation.briefing)
            if mismatch:
                counts["mismatch"] += 1
                status, reason = "mismatch", f"Stored words do not match: {mismatch}."
            else:
                counts[citation.status] += 1
                status, reason = citation.status, citation.status_reason
            if published and (mismatch or citation.status == Status.ORPHANED):
                blocking += 1
            where = f"{citation.briefing.slug} [^{citation.label}]"
            flag = " (published)" if published else ""
            self.stdout.write(f"{status:<10} {where}{flag}: {reason}")

        summary = (
            f"{checked} citation(s) checked: {counts[Status.REANCHORED]} re-anchored, "
            f"{counts[Status.ORPHANED]} orphaned, {counts['mismatch']} not matching their passage."
        )
        if blocking:
            self.stdout.write(summary)
            raise CommandError(
                f"{blocking} citation(s) of published briefings point at words that are not in the source; "
                "choose their passages again or correct the briefings."
            )
        self.stdout.write(self.style.SUCCESS(summary))
