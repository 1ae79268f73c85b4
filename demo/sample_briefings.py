"""Loading the sample briefings in ``seeds/briefings/`` (called by ``load_demo``).

Each sample is a Markdown file with TOML front matter between ``+++`` lines::

    +++
    title = "…"
    slug = "…"
    dek = "…"
    tags = ["Energy", "Azerbaijan"]
    authors = ["analyst"]          # usernames; accounts that do not exist yet are skipped

    [[citations]]
    label = "eu-deal"              # used in the body as [^eu-deal]
    source = "putin-visits-azerbaijan-kyiv-independent"
    passage = "p-40"               # the passage's anchor on the source page
    quote = "…"                    # the words, checked like any citation
    note = "…"                     # optional
    +++
    Body in Markdown, citing with [^eu-deal].

Loading is idempotent (briefings are matched by slug and only what changed is
written) and atomic: a sample whose quote no longer verifies stops the whole
load with an error naming the file and the citation.
"""
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.text import slugify

from briefings import quotes
from briefings.models import Briefing, Citation
from sources.models import Passage
from sources.slugs import slug_base

FRONT_MATTER = "+++"
BRIEFING_KEYS = {"title", "slug", "dek", "tags", "authors", "citations"}
CITATION_KEYS = {"label", "source", "passage", "quote", "note"}


def default_sample_dir():
    return Path(settings.BASE_DIR) / "seeds" / "briefings"


class SampleBriefingError(CommandError):
    """A sample briefing that cannot be loaded; nothing was written."""


@dataclass
class SampleCitation:
    label: str
    source: str
    passage: str
    quote: str
    note: str
    line: int


@dataclass
class Sample:
    path: Path
    title: str
    slug: str
    dek: str
    body: str
    tags: list = field(default_factory=list)
    authors: list = field(default_factory=list)
    citations: list = field(default_factory=list)


def _line_of(text, needle, after=1):
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= after and needle in line:
            return number
    return after


def read_sample(path):
    """Parse one sample file; raise SampleBriefingError naming the file (and line) at fault."""
    def fail(reason, line=None):
        where = f"{path}:{line}" if line else f"{path}"
        raise SampleBriefingError(f"{where}: {reason}")

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        fail(f"is not valid UTF-8 (byte offset {error.start})")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER:
        fail(f"must start with a '{FRONT_MATTER}' line opening the TOML front matter", 1)
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER), None)
    if closing is None:
        fail(f"the front matter is never closed by a '{FRONT_MATTER}' line", 1)
    front_matter = "".join(lines[1:closing])
    body = "".join(lines[closing + 1:]).strip() + "\n"
    try:
        data = tomllib.loads(front_matter)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        fail(f"malformed front matter: {error}", int(match.group(1)) + 1 if match else 1)

    for key in sorted(set(data) - BRIEFING_KEYS):
        fail(f"unknown key {key!r} (expected one of {', '.join(sorted(BRIEFING_KEYS))})", _line_of(text, key))
    for key in ("title", "dek", "slug"):
        if not isinstance(data.get(key, ""), str):
            fail(f"{key!r} must be a string", _line_of(text, key))
    title = data.get("title", "").strip()
    if not title:
        fail("'title' is required", 1)
    slug = data.get("slug", "").strip() or slug_base(title)
    if slugify(slug) != slug:
        fail(f"'slug' must be a lowercase slug such as 'my-briefing', not {slug!r}", _line_of(text, "slug"))
    for key in ("tags", "authors"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            fail(f"{key!r} must be a list of names", _line_of(text, key))
    if not body.strip():
        fail("the body after the front matter is empty", closing + 2)

    citations = []
    tables = data.get("citations", [])
    if not isinstance(tables, list):
        fail("'citations' must be written as [[citations]] tables", _line_of(text, "citations"))
    line = 1
    for table in tables:
        line = _line_of(text, "[[citations]]", line + 1)
        for key in sorted(set(table) - CITATION_KEYS):
            fail(f"citation: unknown key {key!r} (expected one of {', '.join(sorted(CITATION_KEYS))})", line)
        missing = [key for key in ("label", "source", "passage", "quote") if not str(table.get(key, "")).strip()]
        if missing:
            fail(f"citation: {', '.join(repr(key) for key in missing)} required", line)
        if not all(isinstance(table.get(key, ""), str) for key in CITATION_KEYS):
            fail("citation: every value must be a string", line)
        citations.append(
            SampleCitation(
                label=table["label"].strip(),
                source=table["source"].strip(),
                passage=table["passage"].strip(),
                quote=table["quote"],
                note=table.get("note", "").strip(),
                line=line,
            )
        )
    return Sample(
        path=path,
        title=title,
        slug=slug,
        dek=data.get("dek", "").strip(),
        body=body,
        tags=[tag.strip() for tag in data.get("tags", [])],
        authors=[name.strip() for name in data.get("authors", [])],
        citations=citations,
    )


def _passages_for(samples):
    """Every cited passage in one query: {(source slug, anchor): Passage}."""
    slugs = {citation.source for sample in samples for citation in sample.citations}
    passages = Passage.objects.current().filter(source__slug__in=slugs).select_related("source")
    return {(passage.source.slug, passage.anchor): passage for passage in passages}


def _same_citation(existing, passage, spec, order):
    if existing.passage_id != passage.pk or existing.note != spec.note or existing.order != order:
        return False
    try:
        match = quotes.locate(passage.text, spec.quote, start=existing.start)
    except quotes.QuoteError:
        return False
    return (match.start, match.end) == (existing.start, existing.end) and existing.status == Citation.Status.OK


def _load(sample, passages, users):
    """Create or update one briefing from its sample; return (action, warnings)."""
    created = False
    briefing = Briefing.objects.filter(slug=sample.slug).first()
    if briefing is None:
        briefing, created = Briefing(slug=sample.slug), True
    content = {"title": sample.title, "dek": sample.dek, "body": sample.body}
    changed = created or any(getattr(briefing, name) != value for name, value in content.items())
    if changed:
        for name, value in content.items():
            setattr(briefing, name, value)
        briefing.save()

    existing = {citation.label: citation for citation in briefing.citations.select_related("passage")}
    for order, spec in enumerate(sample.citations):
        def fail(reason, spec=spec):
            raise SampleBriefingError(f"{sample.path}:{spec.line}: citation [^{spec.label}]: {reason}")

        passage = passages.get((spec.source, spec.passage))
        if passage is None:
            fail(f"the source {spec.source!r} has no current passage {spec.passage!r} (import the sources first)")
        citation = existing.pop(spec.label, None)
        if citation is not None and _same_citation(citation, passage, spec, order):
            continue
        citation = citation or Citation(briefing=briefing, label=spec.label)
        citation.passage, citation.quote, citation.note, citation.order = passage, spec.quote, spec.note, order
        citation.start = citation.end = None
        citation.prefix = citation.suffix = ""
        try:
            citation.full_clean(exclude=["briefing"])
            citation.save()
        except ValidationError as error:
            fail(" ".join(error.messages))
        changed = True
    for leftover in existing.values():
        leftover.delete()
        changed = True

    if {tag.casefold() for tag in sample.tags} != {name.casefold() for name in briefing.tags.names()}:
        briefing.tags.set(sample.tags)
        changed = True
    warnings = []
    wanted = []
    for username in sample.authors:
        if username in users:
            wanted.append(users[username])
        else:
            warnings.append(f"author {username!r} has no account yet; run again once it exists")
    if wanted and set(briefing.authors.values_list("pk", flat=True)) != {user.pk for user in wanted}:
        briefing.authors.set(wanted)
        changed = True

    try:
        briefing.full_clean()
    except ValidationError as error:
        raise SampleBriefingError(f"{sample.path}: {' '.join(error.messages)}") from None
    problems = briefing.citation_problems()
    if problems:
        raise SampleBriefingError(f"{sample.path}: {' '.join(problems)}")
    if changed:
        briefing.refresh_body_html()
    return ("created" if created else "updated" if changed else "unchanged"), warnings


def load_sample_briefings(stdout, folder=None):
    """Load every sample briefing in ``folder`` (default ``seeds/briefings``); print one line each.

    Raises SampleBriefingError (a CommandError) and writes nothing when any sample is at fault.
    """
    folder = Path(folder or default_sample_dir())
    paths = sorted(folder.glob("*.md"))
    if not paths:
        raise SampleBriefingError(f"{folder}: no sample briefings (*.md) found")
    samples = [read_sample(path) for path in paths]
    seen = {}
    for sample in samples:
        if sample.slug in seen:
            raise SampleBriefingError(f"{sample.path}: slug {sample.slug!r} is also used by {seen[sample.slug]}")
        seen[sample.slug] = sample.path
    usernames = {name for sample in samples for name in sample.authors}
    users = {user.get_username(): user for user in get_user_model().objects.filter(username__in=usernames)}
    results = []
    with transaction.atomic():
        passages = _passages_for(samples)
        for sample in samples:
            action, warnings = _load(sample, passages, users)
            sources = len({citation.source for citation in sample.citations})
            stdout.write(
                f"briefing  {action:<9} {sample.slug} ({len(sample.citations)} citations from {sources} sources)\n"
            )
            for warning in warnings:
                stdout.write(f"briefing  warning   {sample.slug}: {warning}\n")
            results.append((sample.slug, action))
    return results
