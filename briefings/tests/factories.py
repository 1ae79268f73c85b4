"""Factories for the newsroom's tests: people in their roles, sources with passages, briefings and their citations.

Briefings reach every later state through ``briefings.workflow`` (submit, approve, publish, retract,
correct), so the tests see exactly the rows editors and readers would.
"""
import datetime
import hashlib
import itertools
import re
from collections import Counter
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from briefings import revisions, workflow
from briefings.models import Briefing, Citation
from sources.models import Passage, Source, SourceVersion, VersionPassage

# One counter for every factory, so slugs and usernames never collide within a test.
_numbers = itertools.count(1)

ARTICLE = [
    "Officials in Baku signed a transit agreement on Monday after months of talks.",
    "The pipeline will carry gas from the Caspian to southern Europe by the end of the decade.",
    "Moscow reacted cautiously, saying that regional cooperation should not exclude Russia.",
    "Analysts in Tbilisi expect tariffs to fall once the second compressor station opens.",
]
QUOTE = "signed a transit agreement"


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# People -----------------------------------------------------------------------


def make_user(username="writer", group=None, *, superuser=False, **fields):
    """A staff account, in ``group`` ("Analyst", "Editor") when given."""
    fields.setdefault("is_staff", True)
    fields.setdefault("email", f"{username}@example.org")
    user = get_user_model().objects.create_user(
        username=username, password="unused-in-tests", is_superuser=superuser, **fields
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


# Sources ----------------------------------------------------------------------


def make_source(*paragraphs, slug=None, title=None, publisher="Caucasus Wire", kinds=None, language="en", **metadata):
    """A source whose passages are ``paragraphs`` (``ARTICLE`` if none), one per line, as the importer stores them.

    ``kinds`` maps an ordinal to a ``Passage.Kind``; boilerplate passages cannot be cited. ``metadata`` sets
    other fields (``authors``, ``published_on``, ``url``…).
    """
    paragraphs = paragraphs or ARTICLE
    number = next(_numbers)
    text = "\n".join(paragraphs) + "\n"
    now = timezone.now()
    source = Source.objects.create(
        slug=slug or f"source-{number}",
        title=title if title is not None else f"Source number {number}",
        publisher=publisher,
        text=text,
        content_hash=sha256(text),
        imported_at=now,
        updated_at=now,
        **{"url": f"https://news.example.org/{number}", "language": language, **metadata},
    )
    offset = 0
    passages = []
    of_kind = Counter()
    for ordinal, paragraph in enumerate(paragraphs, start=1):
        kind = (kinds or {}).get(ordinal, Passage.Kind.PARAGRAPH)
        of_kind[kind] += 1
        passages.append(
            Passage(
                source=source,
                ordinal=ordinal,
                anchor_number=ordinal,
                anchor=Passage.anchor_for(ordinal),
                text=paragraph,
                start=offset,
                end=offset + len(paragraph),
                kind=kind,
                kind_position=of_kind[kind],
                citable=kind != Passage.Kind.BOILERPLATE,
                content_hash=sha256(paragraph),
            )
        )
        offset += len(paragraph) + 1
    Passage.objects.bulk_create(passages)
    Source.objects.filter(pk=source.pk).update(next_anchor=len(passages) + 1)
    source.next_anchor = len(passages) + 1
    version = SourceVersion.objects.create(
        source=source, number=1, text=text, content_hash=source.content_hash, imported_at=now,
        passages_added=len(passages),
    )
    VersionPassage.objects.bulk_create(
        VersionPassage(
            version=version, passage=p, ordinal=p.ordinal, start=p.start, end=p.end, kind=p.kind,
            kind_position=p.kind_position,
        )
        for p in passages
    )
    return source


def changed_article(*, typography=False):
    """``ARTICLE`` as a new version would print it: the words of ``QUOTE`` stay, in a rewritten first paragraph
    (``typography``: with a doubled space inside them), and the third paragraph's "regional cooperation" is
    reworded, so citations of the two re-anchor and orphan."""
    first = ARTICLE[0].replace("Officials in Baku signed", "After a night of talks, officials in Baku signed")
    if typography:
        first = first.replace(QUOTE, QUOTE.replace("a transit", "a  transit"))
    third = ARTICLE[2].replace("regional cooperation", "regional trade")
    return "\n".join([first, ARTICLE[1], third, ARTICLE[3]]) + "\n"


def passage(source, ordinal):
    return source.passages.get(ordinal=ordinal, retired=False)


def make_passage(text=ARTICLE[0]):
    """The one passage of a new source."""
    return passage(make_source(text), 1)


# Briefings --------------------------------------------------------------------


def cite(briefing, passage, quote=QUOTE, label="a", **fields):
    """A citation of ``quote`` in ``passage``; saving it verifies the quote and stores its offsets."""
    return Citation.objects.create(briefing=briefing, passage=passage, quote=quote, label=label, **fields)


def make_briefing(author=None, passage=None, *, cite=True, title=None, body=None, tags=(), **fields):
    """A draft briefing.

    Without an ``author`` it is a bare row, for tests of the model alone. With one it is a draft as
    the newsroom makes it: bylined, citing ``passage`` once (a new one unless given; none with
    ``cite=False``) and recorded as its first revision.
    """
    number = next(_numbers)
    briefing = Briefing.objects.create(
        title=title or f"Briefing number {number}",
        body=body if body is not None else "The two governments signed an agreement.[^a]",
        **{"dek": "Baku and Moscow agree on transit.", **fields},
    )
    if tags:
        briefing.tags.add(*tags)
    if author is None:
        return briefing
    briefing.authors.add(author)
    if cite:
        Citation.objects.create(briefing=briefing, passage=passage or make_passage(), quote=QUOTE, label="a")
    revisions.snapshot(briefing, author)
    return briefing


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


def fresh(briefing):
    return Briefing.objects.get(pk=briefing.pk)


# Workflow ---------------------------------------------------------------------


def reviewed(briefing, author, editor):
    """Take a draft through submission and approval."""
    workflow.submit(briefing, author)
    workflow.approve(briefing, editor)
    return briefing


def published(briefing, author, editor, **options):
    reviewed(briefing, author, editor)
    workflow.publish(briefing, editor, **options)
    return briefing


class Newsroom:
    """An analyst who writes and an editor who reviews, and helpers that put briefings in each state."""

    def __init__(self):
        number = next(_numbers)
        self.analyst = make_user(f"analyst{number}", "Analyst", first_name="Nino", last_name=f"Beridze{number}")
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

    def republished(self, briefing, *, correction=None, minor=False, **changes):
        """Edit a published briefing (title, dek, body; citations changed beforehand), review and publish it again."""
        for name, value in changes.items():
            setattr(briefing, name, value)
        briefing.save()
        workflow.record_edit(briefing, self.analyst)
        reviewed(briefing, self.analyst, self.editor)
        workflow.publish(briefing, self.editor, correction=correction, minor=minor)
        return fresh(briefing)

    def corrected(self, briefing, note="An earlier version gave the wrong date for the signing."):
        workflow.correct(briefing, self.editor, note=note)
        return briefing


def without_citation_ids(html):
    """Footnote HTML with the highlighted citation's id left out: a revision's footnotes name its own rows."""
    return re.sub(r"cite=\d+", "cite=", html)


@contextmanager
def counting_renders():
    """Count how often each briefing's Markdown is rendered inside the block: a Counter by primary key."""
    renders = Counter()
    render = Briefing.render

    def counted(briefing, *args, **kwargs):
        renders[briefing.pk] += 1
        return render(briefing, *args, **kwargs)

    Briefing.render = counted
    try:
        yield renders
    finally:
        Briefing.render = render
