"""Small factories for workflow tests: people in their roles, a source, and briefings that cite it."""
import hashlib
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from briefings import revisions, workflow
from briefings.models import Briefing, Citation
from sources.models import Passage, Source

_numbers = itertools.count(1)

PASSAGE_TEXT = "Officials in Baku signed a transit agreement on Monday after months of talks."
QUOTE = "signed a transit agreement"


def make_user(username, group=None, *, superuser=False):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password="unused-in-tests",
        is_staff=True,
        is_superuser=superuser,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def make_passage(text=PASSAGE_TEXT):
    number = next(_numbers)
    now = timezone.now()
    source = Source.objects.create(
        slug=f"source-{number}",
        title=f"Source {number}",
        text=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        imported_at=now,
        updated_at=now,
    )
    return Passage.objects.create(
        source=source,
        ordinal=1,
        anchor=Passage.anchor_for(1),
        text=text,
        start=0,
        end=len(text),
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def add_citation(briefing, passage, *, label="a", quote=QUOTE, order=0):
    start = passage.text.index(quote)
    return Citation.objects.create(
        briefing=briefing,
        passage=passage,
        quote=quote,
        start=start,
        end=start + len(quote),
        prefix=passage.text[max(0, start - 32):start],
        suffix=passage.text[start + len(quote):start + len(quote) + 32],
        label=label,
        order=order,
    )


def make_briefing(author, passage=None, *, title=None, body=None, cite=True, tags=()):
    """A draft by ``author`` citing ``passage`` once, recorded as its first revision."""
    number = next(_numbers)
    briefing = Briefing.objects.create(
        title=title or f"Transit deal {number}",
        slug=f"transit-deal-{number}",
        dek="Baku and Moscow agree on transit.",
        body=body if body is not None else "The two governments signed an agreement.[^a]",
    )
    briefing.authors.add(author)
    if tags:
        briefing.tags.add(*tags)
    if cite:
        add_citation(briefing, passage or make_passage())
    revisions.snapshot(briefing, author)
    return briefing


def reviewed(briefing, author, editor):
    """Take a draft through submission and approval."""
    workflow.submit(briefing, author)
    workflow.approve(briefing, editor)
    return briefing


def published(briefing, author, editor, **options):
    reviewed(briefing, author, editor)
    workflow.publish(briefing, editor, **options)
    return briefing


def fresh(briefing):
    return Briefing.objects.get(pk=briefing.pk)
