"""Recognising and removing a generated corpus, leaving the newsroom's own work alone.

Generated rows are recognisable: sources imported from ``generated-corpus-*``
files, the ``corpus-*`` accounts and the briefings they wrote, and the corpus
tags nothing else uses. They are deleted with ``QuerySet.delete()``, a chunk of
briefings or sources at a time, the rows that protect others first. Rows that
have receivers (citations, passages, briefings…) are loaded to send their
``post_delete``: slower than deleting with SQL, but no receiver is left out.
"""
from collections import Counter

from django.contrib.auth import get_user_model
from django.db import models, transaction

from briefings.models import (
    Briefing,
    BriefingEvent,
    Citation,
    Correction,
    Revision,
    RevisionCitation,
    Tag,
)
from briefings.signals import rows_written_in_bulk
from sources.models import Passage, Source

from .plan import BATCH, MAX_TAGS, ORIGIN_PREFIX, USERNAME_PREFIX, CorpusError, tag_names

SOURCES_PER_CHUNK = 100
COUNTED = {
    RevisionCitation: "revision citations",
    Citation: "citations",
    BriefingEvent: "events",
    Correction: "corrections",
    Revision: "revisions",
    Briefing: "briefings",
    Passage: "passages",
    Source: "sources",
}


def generated_briefings():
    return Briefing.objects.filter(authors__username__startswith=USERNAME_PREFIX)


def generated_sources():
    return Source.objects.filter(origin__startswith=ORIGIN_PREFIX)


def has_generated_corpus():
    return generated_sources().exists() or get_user_model().objects.filter(
        username__startswith=USERNAME_PREFIX
    ).exists()


def chunks(ids, size):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def delete_generated():
    """Remove a generated corpus; refuses (and changes nothing) when other briefings cite its sources.

    Returns a Counter of what was deleted (briefings, citations, revisions, events, passages, sources…).
    """
    briefing_ids = generated_briefings().values("pk")
    passages = Passage.objects.filter(source__in=generated_sources().values("pk"))
    foreign = Citation.objects.filter(passage__in=passages.values("pk")).exclude(briefing__in=briefing_ids)
    foreign_published = RevisionCitation.objects.filter(passage__in=passages.values("pk")).exclude(
        revision__briefing__in=briefing_ids
    )
    if foreign.exists() or foreign_published.exists():
        raise CorpusError(
            "Briefings that are not part of the generated corpus cite its sources; "
            "delete or change them before replacing the corpus."
        )
    deleted = Counter()

    def count(result):
        _total, by_model = result
        for model, name in COUNTED.items():
            deleted[name] += by_model.get(model._meta.label, 0)

    with transaction.atomic():
        for chunk in chunks(list(generated_briefings().values_list("pk", flat=True).distinct()), BATCH):
            # The review record is append-only for the newsroom; removing the corpus takes it too, so it is
            # deleted through a plain queryset rather than the manager that refuses.
            count(models.QuerySet(BriefingEvent).filter(briefing__in=chunk).delete())
            count(Correction.objects.filter(briefing__in=chunk).delete())
            # A published briefing must point at its revision; unpublish before the revisions go.
            Briefing.objects.filter(pk__in=chunk).update(
                published_revision=None, status=Briefing.Status.DRAFT, published_at=None
            )
            # Citations, revisions with their citations and tags, taggings and bylines go with their briefing,
            # which tells the citations' receiver not to render bodies about to disappear.
            count(Briefing.objects.filter(pk__in=chunk).delete())
        for chunk in chunks(list(generated_sources().values_list("pk", flat=True)), SOURCES_PER_CHUNK):
            count(Source.objects.filter(pk__in=chunk).delete())
        deleted["accounts"], _ = get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).delete()
        unused = Tag.objects.filter(
            name__in=tag_names(MAX_TAGS), tagged_briefings__isnull=True, revision_tags__isnull=True
        )
        deleted["tags"], _ = Tag.objects.filter(pk__in=list(unused.values_list("pk", flat=True))).delete()
        # Events and revisions went without a signal of their own.
        rows_written_in_bulk.send(sender=Briefing)
    return deleted
