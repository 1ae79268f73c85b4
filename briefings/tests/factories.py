"""Small factories for citation tests: sources with passages, briefings, and citations into them."""
import hashlib
import itertools
from collections import Counter
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.utils import timezone

from briefings.models import Briefing, Citation
from sources.models import Passage, Source

_numbers = itertools.count(1)


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_source(*paragraphs, slug=None, title=None, kinds=None):
    """A source whose passages are ``paragraphs``, one per line; ``kinds`` maps ordinal → kind."""
    number = next(_numbers)
    text = "\n".join(paragraphs) + "\n"
    now = timezone.now()
    source = Source.objects.create(
        slug=slug or f"source-{number}",
        title=title if title is not None else f"Source {number}",
        text=text,
        content_hash=sha256(text),
        imported_at=now,
        updated_at=now,
    )
    offset = 0
    for ordinal, paragraph in enumerate(paragraphs, start=1):
        kind = (kinds or {}).get(ordinal, Passage.Kind.PARAGRAPH)
        Passage.objects.create(
            source=source,
            ordinal=ordinal,
            anchor=Passage.anchor_for(ordinal),
            text=paragraph,
            start=offset,
            end=offset + len(paragraph),
            kind=kind,
            citable=kind != Passage.Kind.BOILERPLATE,
            content_hash=sha256(paragraph),
        )
        offset += len(paragraph) + 1
    return source


def passage(source, ordinal):
    return source.passages.get(ordinal=ordinal, retired=False)


def make_briefing(body="A claim.[^a]", *, title=None, **fields):
    number = next(_numbers)
    return Briefing.objects.create(title=title or f"Briefing {number}", body=body, **fields)


def cite(briefing, passage, quote, label="a", **fields):
    return Citation.objects.create(briefing=briefing, passage=passage, quote=quote, label=label, **fields)


def make_user(username="writer", **fields):
    fields.setdefault("is_staff", True)
    return get_user_model().objects.create_user(username=username, password="unused-in-tests", **fields)


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
