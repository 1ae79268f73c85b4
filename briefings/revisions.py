"""Revisions of a briefing: snapshots, readable differences, and reverting.

A revision is a frozen copy of what an editor saved: title, summary, body,
tags and citations, with who saved it and when. Revisions are never changed
or removed; reverting copies an old revision back into the working copy,
which then becomes a new revision through the review workflow.
"""
import copy
import difflib
import re
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone

from .markdown import render_body
from .models import Citation, CitationFields, Revision, RevisionCitation, RevisionTag, rendering_once

# What a citation is, for comparing revisions. Its re-anchoring status is
# recorded too but is not something an editor wrote.
CITATION_FIELDS = (
    "label", "passage_id", "quote", "start", "end", "prefix", "suffix", "note", "order",
    "translation", "translation_by",
)


def copied_citation_fields(citation):
    """The values a revision keeps of a citation, or a revert brings back: the fields both share."""
    return {field.attname: getattr(citation, field.attname) for field in CitationFields._meta.fields}


def working_copy(briefing, citations=None, tags=None):
    """The briefing's current content in the shape revisions are compared in.

    Tags compare by row, not by name: renaming or merging a tag changes no
    briefing's content, so it neither creates a revision nor voids an approval.
    """
    citations = sorted(
        (
            tuple(getattr(citation, name) for name in CITATION_FIELDS)
            for citation in (briefing.citations.all() if citations is None else citations)
        ),
        key=lambda row: row[0],
    )
    return {
        "title": briefing.title,
        "dek": briefing.dek,
        "body": briefing.body,
        "tags": sorted(tag.pk for tag in (briefing.tags.all() if tags is None else tags)),
        "citations": citations,
    }


def revision_content(revision):
    citations = sorted(
        (tuple(getattr(citation, name) for name in CITATION_FIELDS) for citation in revision.citations.all()),
        key=lambda row: row[0],
    )
    return {
        "title": revision.title,
        "dek": revision.dek,
        "body": revision.body,
        "tags": sorted(revision.tags.values_list("pk", flat=True)),
        "citations": citations,
    }


def latest_revision(briefing):
    return briefing.revisions.order_by("-number").first()


def snapshot(briefing, user, *, summary=""):
    """Store the briefing's content as a new revision unless the latest revision already holds it.

    Returns ``(revision, created)``. Call it inside the transaction that saved
    the briefing and its citations, after both were saved.
    """
    latest = latest_revision(briefing)
    citations = list(briefing.citations.select_related("passage__source"))
    tags = list(briefing.tags.all())
    content = working_copy(briefing, citations, tags)
    if latest is not None and revision_content(latest) == content:
        return latest, False
    revision = Revision.objects.create(
        briefing=briefing,
        number=latest.number + 1 if latest else 1,
        title=briefing.title,
        dek=briefing.dek,
        body=briefing.body,
        # The stored HTML, unless the inlines saved with the briefing are still to be rendered into it.
        body_html=briefing.current_body_html(citations),
        tag_names=sorted((tag.name for tag in tags), key=str.casefold),
        author=user,
        summary=summary,
    )
    RevisionCitation.objects.bulk_create(
        RevisionCitation(revision=revision, **copied_citation_fields(citation)) for citation in citations
    )
    RevisionTag.objects.bulk_create(RevisionTag(revision=revision, tag=tag) for tag in tags)
    return revision, True


def restore(briefing, revision):
    """Copy a revision's content back into the working copy (title, summary, body, tags, citations).

    The caller owns the transaction and records the result as a new revision
    (``workflow.revert`` does both). Citations are verified again on save, so
    a revision quoting words that no longer exist in a source cannot come back.
    """
    with rendering_once():
        briefing.title = revision.title
        briefing.dek = revision.dek
        briefing.body = revision.body
        briefing.save()
        briefing.citations.all().delete()
        for old in revision.citations.all():
            # The status comes back too, but saving verifies the words again and decides it afresh.
            Citation.objects.create(briefing=briefing, **copied_citation_fields(old))
        # The tag rows, not the recorded names: a tag merged or renamed since comes back as it is now.
        briefing.tags.set(list(revision.tags.all()))


# Published revisions after a source is imported again ---------------------

# What re-anchoring may change in a published revision's citation: where its
# words are, never which words they are (an orphan keeps its quote and place).
LOCATION_FIELDS = ["passage", "start", "end", "quote", "prefix", "suffix", "status"]


def _render_published(revision):
    """The published revision's HTML with footnote links to where its words are now.

    Links carry the id of the working copy's citation with the same label, as
    the working copy's own HTML does, so the public site maps both the same way.
    """
    live = dict(Citation.objects.filter(briefing_id=revision.briefing_id).values_list("label", "pk"))
    citations = []
    for row in revision.citations.select_related("passage__source"):
        shown = copy.copy(row)
        shown.pk = live.get(row.label)
        citations.append(shown)
    return render_body(revision.body, citations)


def _published_citing(source):
    return Revision.objects.filter(published_as__isnull=False, citations__passage__source=source).distinct()


def reanchor_published(source, now=None):
    """Make published revisions' citations into ``source`` follow their words, as working copies' citations do.

    The words of a revision never change, only where they sit (``reanchor.check_citation``).
    """
    from .reanchor import check_citation

    now = now or timezone.now()
    passages = list(source.passages.citable().order_by("ordinal"))
    rows = list(
        RevisionCitation.objects.filter(revision__in=_published_citing(source), passage__source=source)
        .select_related("passage")
    )
    for row in rows:
        check_citation(row, passages, now)
    RevisionCitation.objects.bulk_update(rows, LOCATION_FIELDS, batch_size=500)


def refresh_published(source):
    """Render published revisions citing ``source`` again: footnote numbers, paragraph links and titles.

    Returns how many revisions were rendered again.
    """
    revisions = list(_published_citing(source))
    for revision in revisions:
        # Revisions are append-only for their content; only links to where the words sit are rewritten.
        models.QuerySet(Revision).filter(pk=revision.pk).update(body_html=_render_published(revision))
    return len(revisions)


def follow_reimport(sender, source, **kwargs):
    """Receiver of ``sources.signals.source_text_changed``: published revisions follow their words too."""
    reanchor_published(source)


def follow_source_saved(sender, instance, created, **kwargs):
    """A source's title and passages appear in footnotes, so published revisions citing it are rendered again.

    The importer saves a re-imported source after its citations moved, so this renders them once, in place.
    """
    if not created:
        refresh_published(instance)


# Differences --------------------------------------------------------------

TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass
class Segment:
    """A run of words in a changed line: ``kind`` is "equal", "delete" or "insert"."""

    kind: str
    text: str


@dataclass
class Line:
    """One line of a text difference: ``kind`` is "equal", "delete", "insert" or "replace".

    A replaced line carries ``segments`` marking the words that changed.
    """

    kind: str
    old: str = ""
    new: str = ""
    segments: list = field(default_factory=list)


@dataclass
class FieldChange:
    name: str
    old: object
    new: object


@dataclass
class CitationChange:
    """A citation added, removed or changed between two revisions (matched by label)."""

    label: str
    kind: str  # "added", "removed" or "changed"
    old: object = None
    new: object = None
    fields: list = field(default_factory=list)


@dataclass
class RevisionDiff:
    old: Revision
    new: Revision
    fields: list
    body: list
    tags_added: list
    tags_removed: list
    citations: list

    @property
    def has_changes(self):
        return bool(
            self.fields
            or any(line.kind != "equal" for line in self.body)
            or self.tags_added
            or self.tags_removed
            or self.citations
        )


def diff_words(old, new):
    """Word-level segments turning ``old`` into ``new``."""
    old_tokens, new_tokens = TOKEN.findall(old), TOKEN.findall(new)
    segments = []
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", "".join(old_tokens[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment("delete", "".join(old_tokens[i1:i2])))
        if j2 > j1:
            segments.append(Segment("insert", "".join(new_tokens[j1:j2])))
    return segments


def diff_text(old, new):
    """Line-by-line difference of two texts; changed lines paired one to one get a word-level diff."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines.extend(Line("equal", old=text, new=text) for text in old_lines[i1:i2])
        elif op == "delete":
            lines.extend(Line("delete", old=text) for text in old_lines[i1:i2])
        elif op == "insert":
            lines.extend(Line("insert", new=text) for text in new_lines[j1:j2])
        else:
            olds, news = old_lines[i1:i2], new_lines[j1:j2]
            for old_line, new_line in zip(olds, news, strict=False):
                lines.append(Line("replace", old=old_line, new=new_line, segments=diff_words(old_line, new_line)))
            lines.extend(Line("delete", old=text) for text in olds[len(news):])
            lines.extend(Line("insert", new=text) for text in news[len(olds):])
    return lines


def diff(old, new):
    """What changed from revision ``old`` to revision ``new``: fields, body, tags and citations."""
    fields = [
        FieldChange(name, getattr(old, name), getattr(new, name))
        for name in ("title", "dek")
        if getattr(old, name) != getattr(new, name)
    ]
    old_tags = {name.casefold(): name for name in old.tag_names}
    new_tags = {name.casefold(): name for name in new.tag_names}
    old_citations = {c.label: c for c in old.citations.select_related("passage__source")}
    new_citations = {c.label: c for c in new.citations.select_related("passage__source")}
    citations = []
    for label in sorted(old_citations.keys() | new_citations.keys()):
        before, after = old_citations.get(label), new_citations.get(label)
        if before is None:
            citations.append(CitationChange(label, "added", new=after))
        elif after is None:
            citations.append(CitationChange(label, "removed", old=before))
        else:
            changed = [
                FieldChange(name, getattr(before, name), getattr(after, name))
                for name in ("passage", "quote", "note", "order")
                if getattr(before, name + "_id" if name == "passage" else name)
                != getattr(after, name + "_id" if name == "passage" else name)
            ]
            if changed:
                citations.append(CitationChange(label, "changed", old=before, new=after, fields=changed))
    return RevisionDiff(
        old=old,
        new=new,
        fields=fields,
        body=diff_text(old.body, new.body),
        tags_added=sorted((new_tags[key] for key in new_tags.keys() - old_tags.keys()), key=str.casefold),
        tags_removed=sorted((old_tags[key] for key in old_tags.keys() - new_tags.keys()), key=str.casefold),
        citations=citations,
    )
