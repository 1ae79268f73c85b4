"""Factories for the public-site tests: sources with passages, and briefings taken through the real workflow.

Briefings reach every state through ``briefings.workflow`` (submit, approve,
publish, retract, correct), so the tests see exactly the rows readers would.
"""
import datetime
import hashlib
import itertools

from django.core.cache import cache
from django.test import TestCase
from django.utils import timezone

from briefings import revisions, workflow
from briefings.models import Briefing, Citation
from sources.models import Passage, Source

from .workflow_factories import make_user

_numbers = itertools.count(1)

ARTICLE = [
    "Officials in Baku signed a transit agreement on Monday after months of talks.",
    "The pipeline will carry gas from the Caspian to southern Europe by the end of the decade.",
    "Moscow reacted cautiously, saying that regional cooperation should not exclude Russia.",
    "Analysts in Tbilisi expect tariffs to fall once the second compressor station opens.",
]


def make_source(texts=ARTICLE, *, title=None, slug=None, publisher="Caucasus Wire"):
    """A source whose passages are ``texts``, one per line, as the importer would store them."""
    number = next(_numbers)
    text = "\n".join(texts)
    now = timezone.now()
    source = Source.objects.create(
        slug=slug or f"article-{number}",
        title=title if title is not None else f"Article number {number}",
        publisher=publisher,
        url=f"https://news.example.org/{number}",
        language="en",
        text=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        imported_at=now,
        updated_at=now,
    )
    start = 0
    passages = []
    for ordinal, line in enumerate(texts, start=1):
        passages.append(
            Passage(
                source=source,
                ordinal=ordinal,
                anchor=Passage.anchor_for(ordinal),
                text=line,
                start=start,
                end=start + len(line),
                content_hash=hashlib.sha256(line.encode()).hexdigest(),
            )
        )
        start += len(line) + 1
    Passage.objects.bulk_create(passages)
    return source


def passage(source, ordinal):
    return source.passages.get(ordinal=ordinal)


def cite(briefing, passage_, quote, label, *, note="", order=0):
    return Citation.objects.create(
        briefing=briefing, passage=passage_, quote=quote, label=label, note=note, order=order
    )


def make_draft(author, citations, *, title=None, dek="A one-sentence summary.", body=None, tags=(), slug=None):
    """A draft by ``author`` citing ``citations`` [(passage, quote)], recorded as its first revision."""
    number = next(_numbers)
    labels = [f"n{index}" for index in range(1, len(citations) + 1)]
    briefing = Briefing.objects.create(
        title=title or f"Briefing number {number}",
        slug=slug or "",
        dek=dek,
        body=body or " ".join(f"Claim {index}.[^{label}]" for index, label in enumerate(labels, start=1)),
    )
    briefing.authors.add(author)
    if tags:
        briefing.tags.add(*tags)
    for order, ((passage_, quote), label) in enumerate(zip(citations, labels, strict=True)):
        cite(briefing, passage_, quote, label, order=order)
    revisions.snapshot(briefing, author)
    return Briefing.objects.get(pk=briefing.pk)


class Newsroom:
    """An analyst who writes and an editor who reviews, and helpers that put briefings in each state."""

    def __init__(self):
        number = next(_numbers)
        self.analyst = make_user(f"analyst{number}", "Analyst")
        self.analyst.first_name, self.analyst.last_name = "Nino", f"Beridze{number}"
        self.analyst.save()
        self.editor = make_user(f"editor{number}", "Editor")

    def draft(self, citations, **kwargs):
        return make_draft(self.analyst, citations, **kwargs)

    def in_review(self, citations, **kwargs):
        briefing = self.draft(citations, **kwargs)
        workflow.submit(briefing, self.analyst)
        return briefing

    def changes_requested(self, citations, **kwargs):
        briefing = self.in_review(citations, **kwargs)
        workflow.request_changes(briefing, self.editor, comment="Tighten the second claim.")
        return briefing

    def approved(self, citations, **kwargs):
        briefing = self.in_review(citations, **kwargs)
        workflow.approve(briefing, self.editor)
        return briefing

    def published(self, citations, *, at=None, **kwargs):
        briefing = self.approved(citations, **kwargs)
        workflow.publish(briefing, self.editor, at=at)
        return briefing

    def scheduled(self, citations, *, days=3, **kwargs):
        return self.published(citations, at=timezone.now() + datetime.timedelta(days=days), **kwargs)

    def retracted(self, citations, **kwargs):
        briefing = self.published(citations, **kwargs)
        workflow.retract(briefing, self.editor, reason="The agreement described here was never signed.")
        return briefing

    def corrected(self, briefing, note="An earlier version gave the wrong date for the signing."):
        workflow.correct(briefing, self.editor, note=note)
        return briefing


class PublicSiteTestCase(TestCase):
    """Public pages are cached across requests; each test starts from an empty page cache."""

    def setUp(self):
        super().setUp()
        cache.clear()
        self.addCleanup(cache.clear)
