"""Revisions of a briefing: snapshots, readable differences, and reverting.

A revision is a frozen copy of what an editor saved: title, summary, body,
tags and citations, with who saved it and when. Revisions are never changed
or removed; reverting copies an old revision back into the working copy,
which then becomes a new revision through the review workflow.
"""
import difflib
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.db import models
from django.db.models import Prefetch
from django.utils import timezone

from sources.diff import Segment, diff_words  # noqa: F401 (Segment: part of this module's diff API)

from .markdown import WORD_JOINER, render_body
from .models import (
    BriefingEvent,
    Citation,
    CitationFields,
    Correction,
    Revision,
    RevisionCitation,
    RevisionTag,
    rendering_once,
)

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


def quoted_words(citations):
    """What a revision's citations quote, one quote a line in footnote order: search finds a briefing by them."""
    return "\n".join(citation.quote for citation in sorted(citations, key=lambda c: (c.order, c.label)))


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
        quotes=quoted_words(citations),
        tag_names=sorted((tag.name for tag in tags), key=str.casefold),
        author=user,
        summary=summary,
    )
    rows = []
    for citation in citations:
        row = RevisionCitation(revision=revision, **copied_citation_fields(citation))
        row.passage = citation.passage  # loaded already, with its source
        rows.append(row)
    RevisionCitation.objects.bulk_create(rows)
    # Footnote links carry the revision's own citation ids: what a reader follows is never a working-copy
    # row that a later edit or revert may recreate.
    html = render_body(revision.body, rows) if rows else revision.body_html
    if html != revision.body_html:
        revision.body_html = html
        models.QuerySet(Revision).filter(pk=revision.pk).update(body_html=html)
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
#
# A published revision's citations are pinned to the source version they quoted: a re-import never moves
# them, so readers keep the words as quoted. Their footnotes are rendered again when the source is saved,
# to say at once that the source changed since (and link to the current wording and the difference).


def render_revision(revision):
    """The revision's HTML with footnotes linking to its own citations, pinned to the versions they quoted."""
    return render_body(revision.body, list(revision.citations.select_related("passage__source")))


def _published_citing(source):
    return Revision.objects.filter(published_as__isnull=False, citations__passage__source=source).distinct()


def refresh_published(source):
    """Render published revisions citing ``source`` again: footnote numbers, paragraph links and titles.

    Returns how many revisions were rendered again.
    """
    revisions = list(_published_citing(source))
    for revision in revisions:
        # Revisions are append-only for their content; only links to where the words sit are rewritten.
        models.QuerySet(Revision).filter(pk=revision.pk).update(body_html=render_revision(revision))
    return len(revisions)


def follow_version_saved(sender, instance, created, **kwargs):
    """Withholding (or releasing) a version changes the footnotes that quote it: render those revisions again."""
    if not created:
        refresh_published(instance.source)


def follow_source_saved(sender, instance, created, **kwargs):
    """A source's title and passages appear in footnotes, so published revisions citing it are rendered again.

    The importer saves a re-imported source after its citations moved, so this renders them once, in place.
    """
    if not created:
        refresh_published(instance)


# Differences --------------------------------------------------------------

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
    def changed_lines(self):
        """The body's lines that changed, without the unchanged ones around them."""
        return [line for line in self.body if line.kind != "equal"]

    @property
    def has_changes(self):
        return bool(
            self.fields
            or any(line.kind != "equal" for line in self.body)
            or self.tags_added
            or self.tags_removed
            or self.citations
        )


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


def _citations(revision):
    """The revision's citations with their passage and source: prefetched ones if the caller loaded them."""
    if "citations" in getattr(revision, "_prefetched_objects_cache", {}):
        return revision.citations.all()
    return revision.citations.select_related("passage__source")


def diff(old, new, *, text=None):
    """What changed from revision ``old`` to revision ``new``: fields, body, tags and citations.

    The body is compared as ``text(revision)`` gives it, by default the Markdown.
    """
    fields = [
        FieldChange(name, getattr(old, name), getattr(new, name))
        for name in ("title", "dek")
        if getattr(old, name) != getattr(new, name)
    ]
    old_tags = {name.casefold(): name for name in old.tag_names}
    new_tags = {name.casefold(): name for name in new.tag_names}
    old_citations = {c.label: c for c in _citations(old)}
    new_citations = {c.label: c for c in _citations(new)}
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
        body=diff_text(text(old), text(new)) if text else diff_text(old.body, new.body),
        tags_added=sorted((new_tags[key] for key in new_tags.keys() - old_tags.keys()), key=str.casefold),
        tags_removed=sorted((old_tags[key] for key in old_tags.keys() - new_tags.keys()), key=str.casefold),
        citations=citations,
    )


# What readers saw change ----------------------------------------------------

# Elements whose text reads as a line of its own; the list of sources is compared citation by citation instead.
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "br", "hr", "table"}


class _ReadableText(HTMLParser):
    """The words of rendered HTML, one block per line, with footnote markers as ``[1]``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines = [""]
        self.skipping = 0  # depth inside the list of sources
        self.marker = 0  # depth inside a footnote marker

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.skipping:
            self.skipping += tag not in ("br", "hr")
            return
        if tag == "section" and "footnotes" in classes:
            self.skipping = 1
            return
        if tag in BLOCKS:
            self.lines.append("")
        if tag == "sup" and "footnote-ref" in classes:
            self.marker = 1
            self.lines[-1] += "["
        elif self.marker and tag != "br":
            self.marker += 1

    def handle_endtag(self, tag):
        if self.skipping:
            self.skipping -= 1
            return
        if self.marker:
            self.marker -= 1
            if not self.marker:
                self.lines[-1] += "]"
        if tag in BLOCKS:
            self.lines.append("")

    def handle_data(self, data):
        if not self.skipping:
            self.lines[-1] += data.replace(WORD_JOINER, "")

    def text(self):
        lines = (" ".join(line.split()) for line in self.lines)
        return "\n".join(line for line in lines if line)


def readable_text(revision):
    """The words of a revision's body as readers saw them (its sanitised HTML), one paragraph per line.

    Compared instead of the Markdown, which may hold what sanitising removed (comments, raw HTML).
    """
    parser = _ReadableText()
    parser.feed(revision.body_html or "")
    parser.close()
    return parser.text()


def readers_diff(old, new):
    """What readers saw change from published revision ``old`` to ``new``: title, summary, words and citations."""
    return diff(old, new, text=readable_text)


@dataclass
class Publication:
    """One publication of a briefing readers saw: the revision shown, when, and what it changed.

    ``previous`` is the revision shown before it (None for the first one);
    ``corrections`` the public corrections published with ``revision``;
    ``difference`` the changes readers saw, or None when there is nothing
    earlier to compare or an editor withheld them (``withheld``).
    """

    revision: Revision
    published_at: object
    note: str
    previous: Revision = None
    corrections: list = field(default_factory=list)
    withheld: bool = False
    difference: RevisionDiff = None

    @property
    def is_republication(self):
        return self.previous is not None


# What a difference shows of a citation; never a source's full text.
DIFF_CITATION_COLUMNS = (
    "revision_id", "label", "quote", "start", "end", "prefix", "suffix", "note", "order", "status",
    "passage_id", "passage__anchor", "passage__ordinal", "passage__source_id",
    "passage__source__slug", "passage__source__title", "passage__source__opening",
)


def publications(briefing, corrections, now=None):
    """The revisions readers were shown, oldest first, each compared with the one before.

    Only revisions a publication put in front of readers are read (a
    publication recorded by the workflow, or a schedule whose time came and
    that was not cancelled): never a draft, the working copy or a revision
    that was approved but not published. ``corrections`` are the briefing's
    public corrections; each joins the publication of its revision, and one
    marked ``difference_withheld`` keeps that publication's changes, and every
    earlier one's, from readers (the words it removed may have come in earlier).
    """
    now = now or timezone.now()
    shown = BriefingEvent.Action.PUBLISHED, BriefingEvent.Action.SCHEDULED, BriefingEvent.Action.UNPUBLISHED
    events = list(
        BriefingEvent.objects.filter(
            briefing=briefing, action__in=shown, revision__isnull=False, created_at__lte=now
        ).order_by("created_at", "pk").values_list("action", "revision_id", "created_at", "comment")
    )
    steps = []
    for action, revision_id, created_at, comment in events:
        if action == BriefingEvent.Action.UNPUBLISHED:
            # A cancelled schedule: readers never saw that revision.
            if steps and steps[-1][0] == BriefingEvent.Action.SCHEDULED:
                steps.pop()
            continue
        steps.append((action, revision_id, created_at, comment))
    if steps and steps[0][0] == BriefingEvent.Action.SCHEDULED:
        # A scheduled revision was first shown at the briefing's publication time.
        first = steps[0]
        steps[0] = (first[0], first[1], briefing.published_at, first[3])
    steps = [step for step in steps if step[2] <= now]
    revisions = Revision.objects.defer("body").prefetch_related(
        Prefetch(
            "citations",
            queryset=RevisionCitation.objects.select_related("passage__source")
            .only(*DIFF_CITATION_COLUMNS)
            .order_by("order", "pk"),
        )
    ).in_bulk({step[1] for step in steps})
    by_revision = {}
    for correction in corrections:
        if correction.kind == Correction.Kind.CORRECTION and correction.revision_id is not None:
            by_revision.setdefault(correction.revision_id, []).append(correction)
    result = []
    for _action, revision_id, published_at, comment in steps:
        previous = result[-1].revision if result else None
        if previous is not None and previous.pk == revision_id:
            continue  # the same text published again: nothing changed
        revision = revisions[revision_id]
        attached = by_revision.pop(revision_id, [])
        publication = Publication(
            revision=revision,
            published_at=published_at,
            note=comment,
            previous=previous,
            corrections=attached,
            withheld=any(correction.difference_withheld for correction in attached),
        )
        result.append(publication)
    # The words a withheld correction removed may have come in with an earlier update: its difference is withheld too.
    last_withheld = max((index for index, publication in enumerate(result) if publication.withheld), default=-1)
    for index, publication in enumerate(result):
        publication.withheld = index <= last_withheld and publication.is_republication
        if publication.is_republication and not publication.withheld:
            publication.difference = readers_diff(publication.previous, publication.revision)
    return result
