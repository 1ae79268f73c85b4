"""Review comments: authors and editors discuss a draft, anchored to a citation or to words of its body.

A thread starts with a comment on a citation or on a span of the body; replies
follow it, and the thread is resolved and reopened as a whole. Who may do what
is asked of ``briefings.workflow`` (``check_comment``, ``check_reply``,
``check_resolve``, ``check_reopen``); every step here checks it under the
briefing's lock and emails the other party when the transaction commits.

The body changes under a comment. Its words are found again each time the
comment is shown: the stored words, typography folded away as for quotes
(``briefings.quotes``), wherever they moved; when they occur more than once,
the place whose surrounding characters agree best with the stored ones, then
the one nearest to where they stood. Words edited away, or a deleted citation,
make the comment *outdated*: it stays, saying so.
"""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import notifications, quotes, revisions, workflow
from .models import ANCHOR_MAX_LENGTH, COMMENT_MAX_LENGTH, Briefing, Citation, ReviewComment

# How many places of repeated words are weighed; the body of a briefing is short.
MAX_PLACES = 200


@dataclass(frozen=True)
class Anchor:
    """Where a thread points now: ``words`` to show, and whether they are still in the briefing."""

    kind: str  # "citation" or "words"
    words: str
    label: str = ""
    outdated: bool = False
    reason: str = ""
    start: int | None = None
    end: int | None = None


# Finding words of the body ------------------------------------------------------


def clean_text(text, what="The comment"):
    """Plain text as stored: outer whitespace and control characters (but line breaks and tabs) removed."""
    text = "".join(char for char in (text or "") if char in "\n\t" or char >= " " and char != "\x7f")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError(f"{what} is empty: write something.", code="empty")
    return text


def _agreement(before, after, prefix, suffix):
    """How many characters of the stored context agree with the text around a place, typography folded."""
    folded_before, folded_prefix = quotes.fold(before).text, quotes.fold(prefix).text
    folded_after, folded_suffix = quotes.fold(after).text, quotes.fold(suffix).text
    score = 0
    for mine, theirs in zip(reversed(folded_before), reversed(folded_prefix), strict=False):
        if mine != theirs:
            break
        score += 1
    for mine, theirs in zip(folded_after, folded_suffix, strict=False):
        if mine != theirs:
            break
        score += 1
    return score


def find_words(body, words, *, prefix="", suffix="", near=None):
    """The (start, end) of ``words`` in ``body``, or None when they are no longer there.

    Typography is folded away as for quotes; among several places, the one whose surrounding characters
    agree best with ``prefix`` and ``suffix`` wins, then the one nearest to ``near``.
    """
    spans = quotes.find_all(body, words, limit=MAX_PLACES)
    if len(spans) <= 1:
        return spans[0] if spans else None
    size = max(len(prefix), len(suffix), quotes.CONTEXT_CHARS)

    def rank(span):
        before, after = quotes.context(body, *span, size=size)
        distance = abs(span[0] - near) if near is not None else 0
        return (-_agreement(before, after, prefix, suffix), distance, span[0])

    return min(spans, key=rank)


def place_words(body, words, *, near=None):
    """Where pasted or selected ``words`` of the body are: (start, end). Raises ValidationError saying why not.

    Words that occur more than once need ``near`` (the selection's offset, from the editor's script) or more
    words around them.
    """
    words = quotes.normalise(clean_text(words, "The pasted text"))
    if len(words) > ANCHOR_MAX_LENGTH:
        raise ValidationError(
            f"Comment on at most {ANCHOR_MAX_LENGTH:,} characters of the body; choose fewer words.", code="too_long"
        )
    spans = quotes.find_all(body, words, limit=MAX_PLACES)
    if not spans:
        raise ValidationError(
            "These words are not in the saved body of the briefing. Copy them from the body as it was last "
            "saved (save your changes first), or comment on a citation instead.",
            code="not_found",
        )
    if len(spans) > 1:
        if near is None:
            raise ValidationError(
                f"These words occur {len(spans)} times in the body: paste a few more words around them so the "
                "comment points at one place.",
                code="ambiguous",
            )
        return min(spans, key=lambda span: (abs(span[0] - near), span[0]))
    return spans[0]


def anchor_of(thread, body, citations):
    """Where ``thread`` points in the working copy whose ``body`` and ``citations`` are given."""
    if thread.citation_label:
        current = next((citation for citation in citations if citation.pk == thread.citation_id), None)
        if current is None and thread.citation_id is None:
            # Recreated by a revert: the same label quoting the same words is the same citation.
            current = next(
                (c for c in citations if c.label == thread.citation_label and c.quote == thread.citation_quote), None
            )
        if current is not None:
            return Anchor("citation", current.quote, label=current.label)
        return Anchor(
            "citation", thread.citation_quote, label=thread.citation_label, outdated=True,
            reason="The citation was deleted.",
        )
    span = find_words(
        body, thread.anchor_words, prefix=thread.anchor_prefix, suffix=thread.anchor_suffix, near=thread.anchor_start
    )
    if span is None:
        return Anchor("words", thread.anchor_words, outdated=True, reason="These words are no longer in the body.")
    return Anchor("words", body[span[0]:span[1]], start=span[0], end=span[1])


def threads_of(briefing, citations=None):
    """The briefing's threads, oldest first, each with ``.anchor`` and ``.thread_replies`` set.

    Two queries, or one when the briefing's ``citations`` are given.
    """
    comments = list(ReviewComment.objects.filter(briefing=briefing).with_people())
    if citations is None:
        citations = Citation.objects.filter(briefing=briefing).only("pk", "label", "quote", "briefing_id")
    citations = list(citations)
    threads = [comment for comment in comments if comment.parent_id is None]
    by_id = {thread.pk: thread for thread in threads}
    for thread in threads:
        thread.thread_replies = []
        thread.anchor = anchor_of(thread, briefing.body, citations)
    for comment in comments:
        if comment.parent_id in by_id:
            by_id[comment.parent_id].thread_replies.append(comment)
    return threads


def by_revision(briefing):
    """{revision id: [comments made on it]} for the revision history, oldest first within each."""
    grouped = {}
    for comment in ReviewComment.objects.filter(briefing=briefing).with_people().select_related("parent"):
        grouped.setdefault(comment.revision_id, []).append(comment)
    return grouped


# Steps ------------------------------------------------------------------------------


def _locked(briefing):
    """The briefing's row, locked until the transaction ends, so comments and edits take turns."""
    return Briefing.objects.select_for_update().get(pk=briefing.pk)


def _locked_thread(thread):
    """The thread's first comment read again with its briefing's row locked, for a step on the whole thread."""
    row = _locked(thread.briefing)
    first = ReviewComment.objects.get(pk=thread.pk)
    first.briefing = row
    return first


def _text(text):
    text = clean_text(text)
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            f"A comment holds at most {COMMENT_MAX_LENGTH:,} characters; this one has {len(text):,}. "
            "Shorten it, or split it into replies.",
            code="too_long",
        )
    return text


def comment(briefing, user, text, *, citation=None, words="", near=None):
    """Start a thread on ``citation`` (of this briefing) or on ``words`` of its saved body; returns it.

    Raises ``PermissionDenied``/``WorkflowError`` (who may comment, on what) or ``ValidationError`` (the text
    or the words).
    """
    with transaction.atomic():
        row = _locked(briefing)
        workflow.check_comment(row, user)
        text = _text(text)
        anchor = {}
        if citation is not None:
            if citation.briefing_id != row.pk:
                raise ValidationError("That citation belongs to another briefing.", code="other_briefing")
            anchor = {"citation": citation, "citation_label": citation.label, "citation_quote": citation.quote}
        elif (words or "").strip():
            start, end = place_words(row.body, words, near=near)
            prefix, suffix = quotes.context(row.body, start, end)
            anchor = {
                "anchor_words": row.body[start:end], "anchor_prefix": prefix, "anchor_suffix": suffix,
                "anchor_start": start,
            }
        else:
            raise ValidationError(
                "Say what the comment is about: choose a citation, or paste words of the body.", code="no_anchor"
            )
        revision = revisions.latest_revision(row)
        if revision is None:
            raise workflow.WorkflowError("Save the briefing once before commenting: a comment belongs to a revision.")
        made = ReviewComment.objects.create(briefing=row, revision=revision, author=user, text=text, **anchor)
        _tell(made, user)
    return made


def reply(thread, user, text):
    """Add a reply to ``thread`` (a reply to a reply joins the same thread); returns it."""
    with transaction.atomic():
        row = _locked(thread.briefing)
        first = ReviewComment.objects.select_related("briefing").get(pk=thread.parent_id or thread.pk)
        first.briefing = row
        workflow.check_reply(first, user)
        text = _text(text)
        made = ReviewComment.objects.create(
            briefing=row, revision=revisions.latest_revision(row), parent=first, author=user, text=text
        )
        _tell(made, user)
    return made


def resolve(thread, user):
    """Mark the thread resolved by ``user`` now."""
    with transaction.atomic():
        first = _locked_thread(thread)
        workflow.check_resolve(first, user)
        first.resolved_at, first.resolved_by = timezone.now(), user
        first.save(update_fields=["resolved_at", "resolved_by"])
    thread.resolved_at, thread.resolved_by = first.resolved_at, user
    return first


def reopen(thread, user):
    """Open a resolved thread again; who reopened it and when are kept."""
    with transaction.atomic():
        first = _locked_thread(thread)
        workflow.check_reopen(first, user)
        first.resolved_at = first.resolved_by = None
        first.reopened_at, first.reopened_by = timezone.now(), user
        first.save(update_fields=["resolved_at", "resolved_by", "reopened_at", "reopened_by"])
    thread.resolved_at = thread.resolved_by = None
    thread.reopened_at, thread.reopened_by = first.reopened_at, user
    return first


# Who hears of it ----------------------------------------------------------------------


def recipients(made):
    """The people told of a new comment: the other party.

    A reply goes to the thread's participants. A new thread by an author goes to the editors involved in
    the briefing's review (who took a review step or commented on it), or to everyone who may review it
    when nobody is involved yet; one by an editor goes to the authors. The writer is never told.
    """
    briefing = made.briefing
    authors = list(briefing.authors.all())
    if made.parent_id is not None:
        thread = ReviewComment.objects.filter(pk=made.parent_id) | ReviewComment.objects.filter(parent=made.parent_id)
        people = {comment.author for comment in thread.select_related("author")}
        people.discard(made.author)
        if people:
            return _active(people, made.author)
    if made.author in authors:
        return _active(reviewers_involved(briefing) or notifications.reviewers(briefing), made.author)
    return _active(authors, made.author)


def reviewers_involved(briefing):
    """Editors (not authors) who took a review step on the briefing or commented on it."""
    steps = {workflow.Action.CHANGES_REQUESTED, workflow.Action.APPROVED, workflow.Action.PUBLISHED,
             workflow.Action.SCHEDULED}
    authors = set(briefing.authors.values_list("pk", flat=True))
    people = {event.actor for event in briefing.events.filter(action__in=steps).select_related("actor")}
    people |= {comment.author for comment in briefing.review_comments.select_related("author")}
    return [person for person in people if person is not None and person.pk not in authors]


def _active(people, writer):
    return sorted((person for person in people if person.is_active and person.pk != writer.pk), key=lambda p: p.pk)


def _tell(made, user):
    if not notifications.is_muted():
        transaction.on_commit(lambda: notifications.review_comment(made, recipients(made)))
