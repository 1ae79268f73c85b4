"""The review workflow: who may move a briefing from which state to which.

States describe the working copy: draft → in review → (changes requested →
in review) → approved → published, and retracted at the end. Readers see the
briefing's published revision, so a published briefing that is edited goes
back to draft and through review again while its public page stays as it was.

Every transition is one function here. Each checks the user's permission and
the briefing's state, locks the row, refuses a stale ``version`` (somebody
else changed the briefing since the caller loaded it), changes the state in
one transaction, writes a ``BriefingEvent``, and raises ``WorkflowError`` or
``PermissionDenied`` with a message fit to show the user. Nothing else in the
code assigns ``Briefing.status``.

Four-eyes: nobody approves or publishes a revision they contributed to, as an
author of the briefing or as the person who saved one of its unpublished
revisions. That holds for superusers too.
"""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import notifications, revisions, selection
from .models import (
    Briefing,
    BriefingEvent,
    Citation,
    Correction,
    ReviewComment,
    Tag,
    display_name,
    rendering_once,
)
from .times import desk_time

Status = Briefing.Status
Action = BriefingEvent.Action

EDITABLE_STATES = {Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.APPROVED, Status.PUBLISHED}


class WorkflowError(Exception):
    """A step that cannot be taken now; the message says why, in words for the user."""


# Why a step is refused: one wording per rule, used by the checks below, the admin's
# workflow box and its step pages. The words for footnote markers and citations that do
# not match are ``Briefing.citation_problems``'s, which the citation rule quotes.


def refused_permission(doing):
    return f"You are not allowed to {doing}."


def refused_state(briefing, done):
    return f"A briefing that is {briefing.get_status_display().lower()} cannot be {done}."


def refused_four_eyes(doing):
    return f"Four-eyes rule: you wrote or edited this version, so someone else must {doing} it."


def refused_not_author(doing):
    return f"Only an author of this briefing can {doing}."


def refused_retracted(done):
    return f"A retracted briefing cannot be {done}."


def refused_orphaned(citation):
    return (
        f"Citation [^{citation.label}] is orphaned: its words are no longer in the source. "
        "Choose the passage again or remove the citation."
    )


REFUSED_NO_CITATIONS = "A briefing needs at least one citation."
REFUSED_CHANGED_SINCE_APPROVAL = "This briefing changed after it was approved; it needs a new review."
REFUSED_NOT_SCHEDULED = (
    "Only a briefing scheduled for later can be taken off the schedule; retract a public one."
)
REFUSED_NOT_PUBLIC = "Only a briefing readers can see can be {done}; this one is not public."
REFUSED_ALREADY_RETRACTED = "This briefing is already retracted."
REFUSED_RETRACTED_STEPS = "A retracted briefing takes no further steps: readers see its retraction notice."
REFUSED_NOT_AUTHOR_OR_EDITOR = "Only an author of this briefing or an editor can {doing}."
REFUSED_ONLY_OWN = "You can only edit briefings you are an author of."
REFUSED_STALE_UNKNOWN = "Someone saved a newer version of this briefing. Your changes were not saved; reload the page."


def refused_stale(who, when, what=""):
    return (
        f"{who} saved a newer version of this briefing on {when}{what}. "
        "Your changes were not saved; reload the page to see theirs."
    )


class UnresolvedComments(WorkflowError):
    """Review comments are still open: the step is taken only once the user confirms it with them open."""

    def __init__(self, threads, doing):
        self.threads = threads
        count = len(threads)
        super().__init__(
            f"{count} review comment{'s are' if count != 1 else ' is'} not resolved yet. Resolve "
            f"{'them' if count != 1 else 'it'} first, or confirm that you {doing} the briefing with "
            f"{'them' if count != 1 else 'it'} open."
        )


class StaleVersion(WorkflowError):
    """The caller's copy of the briefing is older than the database's."""

    def __init__(self, briefing):
        self.actor, self.when = last_change(briefing)
        self.version = briefing.version
        if self.actor is not None:
            who = display_name(self.actor)
            step = briefing.events.filter(created_at=self.when).order_by("-pk").first()
            what = f" ({step.get_action_display().lower()})" if step is not None else ""
            message = refused_stale(who, desk_time(self.when), what)
        else:
            message = REFUSED_STALE_UNKNOWN
        super().__init__(message)


# Facts the rules depend on ---------------------------------------------------


def is_author(briefing, user):
    return briefing.authors.filter(pk=user.pk).exists()


def contributors(briefing):
    """Primary keys of the people who wrote what is under review.

    The briefing's authors, and whoever saved a revision since the one readers
    see (every revision, if none is published yet).
    """
    pending = briefing.revisions.exclude(author=None)
    if briefing.published_revision_id is not None:
        pending = pending.filter(number__gt=briefing.published_revision.number)
    return set(briefing.authors.values_list("pk", flat=True)) | set(pending.values_list("author_id", flat=True))


def citation_problems(briefing):
    """Reasons the briefing's citations keep it from review or publication; empty when it may go."""
    problems = []
    citations = list(briefing.citations.all())
    if not citations:
        problems.append(REFUSED_NO_CITATIONS)
    # Every footnote marker resolves to a citation and every citation is used.
    problems += briefing.citation_problems(labels=[citation.label for citation in citations])
    for citation in citations:
        if citation.status == Citation.Status.ORPHANED:
            problems.append(refused_orphaned(citation))
    return problems


def last_change(briefing):
    """``(user, time)`` of the latest saved revision or workflow step of the briefing."""
    revision = briefing.revisions.select_related("author").order_by("-number").first()
    event = briefing.events.select_related("actor").order_by("-created_at", "-pk").first()
    candidates = [(revision.created_at, revision.author) for revision in [revision] if revision]
    candidates += [(event.created_at, event.actor) for event in [event] if event]
    if not candidates:
        return None, None
    when, user = max(candidates, key=lambda pair: pair[0])
    return user, when


def latest_request_for_changes(briefing):
    """The reviewer's comment the author should see, while changes are requested."""
    if briefing.status != Status.CHANGES_REQUESTED:
        return None
    return briefing.events.filter(action=Action.CHANGES_REQUESTED).select_related("actor").order_by("-pk").first()


# The states in which a step belongs; the admin explains a refusal only for these steps.
STAGES = {
    "submit": {Status.DRAFT, Status.CHANGES_REQUESTED},
    "request_changes": {Status.IN_REVIEW, Status.APPROVED},
    "approve": {Status.IN_REVIEW},
    "publish": {Status.APPROVED},
}


def is_stage_of(action, briefing):
    """Whether ``action`` is a step of the briefing's present stage, whoever may take it."""
    if action in STAGES:
        return briefing.status in STAGES[action]
    if briefing.is_retracted:
        return False
    if action == "unpublish":
        return briefing.is_scheduled()
    return briefing.is_public()  # retract, correct


# Checks: each raises with the reason, so buttons and actions share them ------


def _require(user, codename, doing):
    if not (user.is_active and user.has_perm(f"briefings.{codename}")):
        raise PermissionDenied(refused_permission(doing))


def _require_state(briefing, states, doing):
    if briefing.status not in states:
        raise WorkflowError(refused_state(briefing, doing))


def _require_second_pair_of_eyes(briefing, user, doing):
    if user.pk in contributors(briefing):
        raise PermissionDenied(refused_four_eyes(doing))


def _require_citations(briefing):
    problems = citation_problems(briefing)
    if problems:
        raise WorkflowError(" ".join(problems))


def _require_text(value, what):
    if not (value or "").strip():
        raise WorkflowError(f"{what} is required.")
    return value.strip()


def check_edit(briefing, user):
    """Analysts edit their own briefings; editors edit any; nobody edits a retracted one."""
    _require(user, "change_briefing", "edit briefings")
    if not (user.is_superuser or user.has_perm("briefings.review_briefing") or is_author(briefing, user)):
        raise PermissionDenied(REFUSED_ONLY_OWN)
    if briefing.is_retracted:
        raise WorkflowError(refused_retracted("edited"))


def check_share_preview(briefing, user):
    """Authors and editors share previews of work in progress; a retracted briefing has nothing to preview."""
    _require(user, "view_briefing", "share preview links")
    if briefing.is_retracted:
        raise WorkflowError(refused_retracted("previewed") + " Readers see its retraction notice.")
    if not (user.is_superuser or user.has_perm("briefings.review_briefing") or is_author(briefing, user)):
        raise PermissionDenied(REFUSED_NOT_AUTHOR_OR_EDITOR.format(doing="share a preview of it"))


def check_preview(briefing, user):
    """Authors and editors read the current text of work in progress, as readers would see it."""
    _require(user, "view_briefing", "preview briefings")
    if not (user.is_superuser or user.has_perm("briefings.review_briefing") or is_author(briefing, user)):
        raise PermissionDenied(REFUSED_NOT_AUTHOR_OR_EDITOR.format(doing="preview it"))


def check_comment(briefing, user):
    """The briefing's authors and the editors who may review it discuss it; a retracted briefing is closed."""
    if not (user.is_active and user.has_perm("briefings.view_briefing")):
        raise PermissionDenied("You are not allowed to comment on briefings.")
    if not (user.has_perm("briefings.review_briefing") or is_author(briefing, user)):
        raise PermissionDenied("Only an author of this briefing or an editor who may review it can comment on it.")
    if briefing.is_retracted:
        raise WorkflowError("A retracted briefing is closed: its review comments can be read, not added to.")


def check_reply(comment, user):
    check_comment(comment.briefing, user)
    if comment.is_resolved:
        raise WorkflowError("This thread is resolved: reopen it to reply.")


def check_resolve(comment, user):
    check_comment(comment.briefing, user)
    if comment.parent_id is not None:
        raise WorkflowError("A thread is resolved as a whole: resolve its first comment, not a reply.")
    if comment.is_resolved:
        raise WorkflowError("This thread is already resolved.")


def check_reopen(comment, user):
    check_comment(comment.briefing, user)
    if comment.parent_id is not None:
        raise WorkflowError("A thread is reopened as a whole: reopen its first comment, not a reply.")
    if not comment.is_resolved:
        raise WorkflowError("This thread is open already.")


def check_submit(briefing, user):
    _require(user, "submit_briefing", "submit briefings for review")
    _require_state(briefing, STAGES["submit"], "submitted for review")
    if not (user.is_superuser or is_author(briefing, user)):
        raise PermissionDenied(refused_not_author("submit it for review"))
    _require_citations(briefing)


def check_request_changes(briefing, user):
    _require(user, "review_briefing", "review briefings")
    _require_state(briefing, STAGES["request_changes"], "sent back for changes")
    _require_second_pair_of_eyes(briefing, user, "review")


def check_approve(briefing, user):
    _require(user, "review_briefing", "approve briefings")
    _require_state(briefing, STAGES["approve"], "approved")
    _require_second_pair_of_eyes(briefing, user, "approve")
    _require_citations(briefing)


def check_publish(briefing, user):
    _require(user, "publish_briefing", "publish briefings")
    _require_state(briefing, STAGES["publish"], "published")
    _require_second_pair_of_eyes(briefing, user, "publish")
    approval = briefing.events.filter(action=Action.APPROVED).order_by("-pk").first()
    latest = revisions.latest_revision(briefing)
    if approval is None or latest is None or approval.revision_id != latest.pk:
        raise WorkflowError(REFUSED_CHANGED_SINCE_APPROVAL)
    _require_citations(briefing)


def check_unpublish(briefing, user):
    _require(user, "publish_briefing", "cancel a scheduled publication")
    if not is_stage_of("unpublish", briefing):
        raise WorkflowError(REFUSED_NOT_SCHEDULED)


def check_retract(briefing, user):
    _require(user, "retract_briefing", "retract briefings")
    if briefing.is_retracted:
        raise WorkflowError(REFUSED_ALREADY_RETRACTED)
    if not briefing.is_public():
        raise WorkflowError(REFUSED_NOT_PUBLIC.format(done="retracted"))


def check_correct(briefing, user):
    _require(user, "correct_briefing", "add corrections")
    if briefing.is_retracted:
        raise WorkflowError(refused_retracted("corrected"))
    if not briefing.is_public():
        raise WorkflowError(REFUSED_NOT_PUBLIC.format(done="corrected"))


CHECKS = {
    "submit": check_submit,
    "request_changes": check_request_changes,
    "approve": check_approve,
    "publish": check_publish,
    "unpublish": check_unpublish,
    "retract": check_retract,
    "correct": check_correct,
}


def can(action, briefing, user):
    """Whether ``user`` may take ``action`` (a key of ``CHECKS``) on the briefing now."""
    try:
        CHECKS[action](briefing, user)
    except (WorkflowError, PermissionDenied):
        return False
    return True


def can_edit(briefing, user):
    return refusal(check_edit, briefing, user) is None


def refusal(check, briefing, user):
    """Why ``check`` refuses ``user`` on the briefing, in words for them; None when it allows."""
    try:
        check(briefing, user)
    except (WorkflowError, PermissionDenied) as refused:
        return str(refused) or "You are not allowed to do that."
    return None


def stage_steps(briefing, user):
    """``(action, reason)`` for each step of the briefing's stage, in workflow order; ``reason`` is None when open.

    Each check runs once. Steps of other stages are left out: no state of theirs is at hand to explain.
    A retracted briefing has no stage: one entry, with no action, says so.
    """
    if briefing.is_retracted:
        return [("", REFUSED_RETRACTED_STEPS)]
    return [
        (action, refusal(check, briefing, user)) for action, check in CHECKS.items() if is_stage_of(action, briefing)
    ]


def available_actions(briefing, user):
    """The steps ``user`` may take on the briefing now, in workflow order."""
    return [action for action in CHECKS if can(action, briefing, user)]


# Transitions ------------------------------------------------------------------


def _lock(briefing):
    """The briefing's row, locked until the transaction ends; refuses a stale copy."""
    row = Briefing.objects.select_for_update().get(pk=briefing.pk)
    if row.version != briefing.version:
        raise StaleVersion(row)
    return row


def _move(briefing, row, user, action, to_state, *, comment="", revision=None, **fields):
    """Apply the change to the locked row, record the event, and refresh the caller's copy."""
    from_state = row.status
    Briefing.objects.filter(pk=row.pk).update(status=to_state, version=F("version") + 1, **fields)
    event = BriefingEvent.objects.create(
        briefing=row,
        actor=user,
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        revision=revision,
    )
    fresh = Briefing.objects.get(pk=row.pk)
    for name in ("status", "version", "published_at", "published_revision_id", "public_updated_at"):
        setattr(briefing, name, getattr(fresh, name))
    return event


def _after_commit(function, *args):
    if not notifications.is_muted():
        transaction.on_commit(lambda: function(*args))


def unresolved_comments(briefing):
    """The briefing's open review threads, oldest first, with who wrote them and what they point at."""
    return list(ReviewComment.objects.filter(briefing=briefing).unresolved().with_people())


def _go_ahead_with_unresolved(row, user, acknowledged, doing):
    """Refuse a step while review comments are open, unless ``user`` confirmed it; record the confirmation."""
    threads = unresolved_comments(row)
    if not threads:
        return
    if not acknowledged:
        raise UnresolvedComments(threads, doing)
    listed = "; ".join(
        f"{display_name(thread.author)} on {_anchor_words(thread)}: “{_shortened(thread.text)}”" for thread in threads
    )
    count = len(threads)
    BriefingEvent.objects.create(
        briefing=row, actor=user, action=Action.UNRESOLVED_COMMENTS, from_state=row.status, to_state=row.status,
        comment=f"Confirmed to {doing} it with {count} unresolved review comment{'s' if count != 1 else ''}: {listed}",
        revision=revisions.latest_revision(row),
    )


def _anchor_words(thread):
    return f"[^{thread.citation_label}]" if thread.citation_label else f"“{_shortened(thread.anchor_words, 40)}”"


def _shortened(text, length=80):
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def submit(briefing, user, *, acknowledge_unresolved=False):
    """Send a draft (or a briefing whose changes were requested) to the editors for review.

    With review comments still open, the author must confirm it (``acknowledge_unresolved``); the
    confirmation is recorded.
    """
    with transaction.atomic():
        row = _lock(briefing)
        check_submit(row, user)
        _go_ahead_with_unresolved(row, user, acknowledge_unresolved, "submit")
        revision, _ = revisions.snapshot(row, user)
        event = _move(briefing, row, user, Action.SUBMITTED, Status.IN_REVIEW, revision=revision)
        _after_commit(notifications.submitted, row, user)
    return event


def request_changes(briefing, user, *, comment):
    """Send the briefing back to its authors with the reviewer's comment."""
    with transaction.atomic():
        row = _lock(briefing)
        check_request_changes(row, user)
        comment = _require_text(comment, "A comment saying what should change")
        event = _move(
            briefing, row, user, Action.CHANGES_REQUESTED, Status.CHANGES_REQUESTED,
            comment=comment, revision=revisions.latest_revision(row),
        )
        _after_commit(notifications.changes_requested, row, user, comment)
    return event


def approve(briefing, user):
    """Approve the latest revision: it may now be published, by anyone but its authors."""
    with transaction.atomic():
        row = _lock(briefing)
        check_approve(row, user)
        revision = revisions.latest_revision(row)
        if revision is None or revisions.revision_content(revision) != revisions.working_copy(row):
            # Approving content nobody recorded would let its writer escape four-eyes.
            raise WorkflowError("This briefing was changed without being saved as a revision; save it again first.")
        event = _move(briefing, row, user, Action.APPROVED, Status.APPROVED, revision=revision)
        _after_commit(notifications.approved, row, user)
    return event


def publish(briefing, user, *, at=None, correction=None, minor=False, acknowledge_unresolved=False):
    """Publish the approved revision now, or at ``at`` (a future time) without any worker.

    Republishing a briefing readers have already seen needs either
    ``correction`` (public text saying what was wrong and what changed) or
    ``minor=True`` (a change of no substance, logged but not shown). Open review
    comments must be confirmed (``acknowledge_unresolved``), as for ``submit``.
    """
    now = timezone.now()
    with transaction.atomic():
        row = _lock(briefing)
        check_publish(row, user)
        _go_ahead_with_unresolved(row, user, acknowledge_unresolved, "schedule" if at else "publish")
        revision = revisions.latest_revision(row)
        fields = {"published_revision": revision}
        comment = ""
        if row.is_public(now):
            if at is not None:
                raise WorkflowError("A briefing readers can already see is updated at once; it cannot be scheduled.")
            correction = (correction or "").strip()
            if bool(correction) == bool(minor):
                raise WorkflowError(
                    "Readers have seen this briefing: either write a correction saying what was wrong "
                    "and what changed, or mark the update as minor."
                )
            fields["public_updated_at"] = now
            comment = "Minor update." if minor else correction
            action = Action.PUBLISHED
        else:
            if correction or minor:
                raise WorkflowError("Readers have not seen this briefing yet, so there is nothing to correct.")
            if at is not None and timezone.is_naive(at):
                raise WorkflowError("Give the publication time with its time zone.")
            if at is not None and at <= now:
                raise WorkflowError("Choose a publication time in the future, or leave it empty to publish now.")
            fields["published_at"] = fields["public_updated_at"] = at or now
            action = Action.SCHEDULED if at else Action.PUBLISHED
        event = _move(briefing, row, user, action, Status.PUBLISHED, comment=comment, revision=revision, **fields)
        if correction:
            Correction.objects.create(
                briefing=row, note=correction, revision=revision, created_by=user, created_at=now
            )
        _after_commit(notifications.published, briefing, user)
    return event


def unpublish(briefing, user):
    """Take a scheduled briefing off the schedule before readers have seen it."""
    with transaction.atomic():
        row = _lock(briefing)
        check_unpublish(row, user)
        to_state = Status.APPROVED if row.status == Status.PUBLISHED else row.status
        return _move(
            briefing, row, user, Action.UNPUBLISHED, to_state,
            revision=row.published_revision, published_revision=None, published_at=None, public_updated_at=None,
        )


def retract(briefing, user, *, reason):
    """Withdraw a public briefing: it keeps its URL with the reason shown, and leaves lists, feeds and search."""
    now = timezone.now()
    with transaction.atomic():
        row = _lock(briefing)
        check_retract(row, user)
        reason = _require_text(reason, "A public reason for the retraction")
        event = _move(
            briefing, row, user, Action.RETRACTED, Status.RETRACTED,
            comment=reason, revision=row.published_revision, public_updated_at=now,
        )
        Correction.objects.create(
            briefing=row, kind=Correction.Kind.RETRACTION, note=reason,
            revision=row.published_revision, created_by=user, created_at=now,
        )
    return event


def correct(briefing, user, *, note):
    """Add a dated public correction to a briefing readers can see, without changing its text."""
    now = timezone.now()
    with transaction.atomic():
        row = _lock(briefing)
        check_correct(row, user)
        note = _require_text(note, "The correction's text")
        event = _move(
            briefing, row, user, Action.CORRECTED, row.status,
            comment=note, revision=row.published_revision, public_updated_at=now,
        )
        Correction.objects.create(
            briefing=row, note=note, revision=row.published_revision, created_by=user, created_at=now
        )
    return event


def withhold_difference(correction, user, *, withheld=True):
    """Keep from readers (or show again) the words a correction changed; the correction's note stays public.

    For legal or safety reasons: the changed words may be what must not be
    repeated. Only a correction has changed words; a retraction has none.
    """
    _require(user, "correct_briefing", "decide whether readers see what a correction changed")
    with transaction.atomic():
        row = Correction.objects.select_for_update().get(pk=correction.pk)
        if row.kind != Correction.Kind.CORRECTION:
            raise WorkflowError("A retraction shows no changed words, so there is nothing to withhold.")
        if row.difference_withheld != withheld:
            row.difference_withheld = withheld
            row.save(update_fields=["difference_withheld"])
    correction.difference_withheld = withheld
    return row


def record_edit(briefing, user, *, summary=""):
    """Record a save of the briefing and its citations: a new revision, a new version, and its consequences.

    Call it in the transaction that saved them, after they were saved. An
    approved briefing whose content changed goes back to review; a published
    one goes back to draft (readers keep seeing the published revision until
    the new one is approved and published). Returns the revision.
    """
    with transaction.atomic():
        row = _lock(briefing)
        check_edit(row, user)
        revision, created = revisions.snapshot(row, user, summary=summary)
        to_state = row.status
        if created and row.status == Status.APPROVED:
            to_state = Status.IN_REVIEW
        elif created and row.status == Status.PUBLISHED:
            to_state = Status.DRAFT
        if summary and created:
            _move(briefing, row, user, Action.REVERTED, to_state, comment=summary, revision=revision)
        elif to_state != row.status:
            _move(briefing, row, user, Action.EDITED, to_state, revision=revision)
        else:
            Briefing.objects.filter(pk=row.pk).update(version=F("version") + 1)
            briefing.version = row.version + 1
    return revision


def revert(briefing, user, revision):
    """Make an earlier revision the working copy again, as a new revision; history is kept."""
    if revision.briefing_id != briefing.pk:
        raise WorkflowError("That revision belongs to another briefing.")
    # The restored body and citations are rendered once, for the new revision.
    with transaction.atomic(), rendering_once():
        row = _lock(briefing)
        check_edit(row, user)
        revisions.restore(row, revision)
        row.version = briefing.version
        new = record_edit(row, user, summary=f"Reverted to revision {revision.number}.")
        for name in ("status", "version", "title", "dek", "body", "body_html", "updated_at"):
            setattr(briefing, name, getattr(row, name))
    return new


# Citing words selected on a source page -------------------------------------------


def check_cite_selection(briefing, user):
    """Selected words go into a draft its writer may edit: never into one under review, published or retracted."""
    _require(user, "add_citation", "add citations")
    check_edit(briefing, user)
    if briefing.status not in Briefing.CITABLE_STATES:
        raise WorkflowError(
            f"“{briefing.title}” is {briefing.get_status_display().lower()}: words selected on a source page "
            "go into drafts only. Cite them in the briefing's editor, or choose a draft."
        )


def cite_selection(briefing, user, selected):
    """Add one citation per passage of ``selected`` (``selection.read_selection``) to the briefing; return them.

    The citations are verified like any other and wait, not yet placed, for
    the analyst to put their markers in the body: the body is never written
    here, since its writer may have it open in the editor. Neither is the
    version, so that editor's next save goes through.
    """
    with transaction.atomic():
        row = Briefing.objects.select_for_update().get(pk=briefing.pk)
        check_cite_selection(row, user)
        citations = selection.citations_for(row, selected)
        for citation in citations:
            citation.save()
    return citations


def start_briefing_with_selection(user, title, selected):
    """A new draft by ``user`` titled ``title``, citing ``selected``; returns (briefing, citations).

    Its body is empty: the analyst writes it and places the markers.
    """
    _require(user, "add_briefing", "start briefings")
    _require(user, "add_citation", "add citations")
    title = _require_text(title, "A title for the new briefing")
    max_length = Briefing._meta.get_field("title").max_length
    if len(title) > max_length:
        raise WorkflowError(f"A title has at most {max_length} characters; this one has {len(title)}.")
    with transaction.atomic(), rendering_once():
        briefing = Briefing.objects.create(title=title, body="")
        briefing.authors.add(user)
        citations = selection.citations_for(briefing, selected)
        for citation in citations:
            citation.save()
        record_edit(briefing, user)
    return briefing, citations


# Tags on published work ---------------------------------------------------------


def briefings_showing(tags):
    """Briefings whose published revision carries one of ``tags``: readers would see a change to them."""
    return (
        Briefing.objects.filter(published_revision__tagged_items__tag__in=[tag.pk for tag in tags])
        .distinct()
        .order_by("title", "pk")
    )


def check_merge_tags(user):
    _require(user, "change_tag", "merge tags")
    _require(user, "delete_tag", "merge tags")


def check_delete_tags(user):
    _require(user, "delete_tag", "delete tags")


def _record_tag_change(briefings, user, comment):
    """An event on each briefing, under its row's lock, and a new version (a form open on the old tags is stale)."""
    for row in Briefing.objects.select_for_update().filter(pk__in=[briefing.pk for briefing in briefings]):
        Briefing.objects.filter(pk=row.pk).update(version=F("version") + 1)
        BriefingEvent.objects.create(
            briefing=row, actor=user, action=Action.TAGS_CHANGED, from_state=row.status, to_state=row.status,
            comment=comment, revision=row.published_revision,
        )


def merge_tags(kept, others, user):
    """Merge ``others`` into ``kept``: published briefings record it, and the others' addresses lead to ``kept``.

    Returns ``(number of briefings that gained the tag, briefings readers see the change on)``.
    """
    check_merge_tags(user)
    others = [tag for tag in others if tag.pk != kept.pk]
    with transaction.atomic():
        touched = list(briefings_showing(others))
        names = ", ".join(f"“{tag.name}”" for tag in others)
        moved = kept.merge(others)
        _record_tag_change(touched, user, f"Tag {names} merged into “{kept.name}”.")
    return moved, touched


def delete_tags(tags, user):
    """Delete ``tags``; each published briefing carrying one records which it lost. Returns those briefings."""
    check_delete_tags(user)
    tags = list(tags)
    with transaction.atomic():
        touched = list(briefings_showing(tags))
        for briefing in touched:
            lost = Tag.objects.filter(
                pk__in=[tag.pk for tag in tags], revision_tags__revision=briefing.published_revision_id
            ).order_by("name")
            names = ", ".join(f"“{name}”" for name in lost.values_list("name", flat=True))
            _record_tag_change([briefing], user, f"Tag {names} deleted; readers no longer see it on this briefing.")
        Tag.objects.filter(pk__in=[tag.pk for tag in tags]).delete()
    return touched


# Sources that change ------------------------------------------------------------


def check_confirm_reanchoring(citation, user, *, written=None):
    """Editors confirm where a re-import moved a citation's words, but not in a briefing they wrote.

    ``written``, when given, is the set of briefing ids ``user`` is an author of (a list page reads it once).
    """
    _require(user, "review_briefing", "confirm re-anchored citations")
    wrote = citation.briefing_id in written if written is not None else is_author(citation.briefing, user)
    if wrote:
        raise PermissionDenied("You wrote this briefing, so another editor must confirm where its words moved.")
    if citation.status != Citation.Status.REANCHORED:
        raise WorkflowError(
            f"Citation [^{citation.label}] is {citation.get_status_display().lower()}, not re-anchored: "
            "there is no new place to confirm."
        )
    if citation.briefing.is_retracted:
        raise WorkflowError("A retracted briefing's citations are no longer checked.")


def can_confirm_reanchoring(citation, user, *, written=None):
    try:
        check_confirm_reanchoring(citation, user, written=written)
    except (WorkflowError, PermissionDenied):
        return False
    return True


def confirm_reanchoring(citation, by):
    """Confirm that a re-anchored citation's words still support the briefing at their new place.

    The citation becomes ``ok``, its open entries in the "Source changes" queue
    are resolved, and the briefing's record gets an event. What readers see
    does not change: the published revision keeps its words.
    """
    from .models import SourceChange

    now = timezone.now()
    with transaction.atomic():
        # The citation's lock keeps two editors (or an editor and a new import) from acting on it at once.
        row = Citation.objects.select_for_update(of=("self",)).select_related("briefing", "passage").get(
            pk=citation.pk
        )
        check_confirm_reanchoring(row, by)
        Citation.objects.filter(pk=row.pk).update(
            status=Citation.Status.OK,
            status_reason=f"New place confirmed by {display_name(by)}.",
            checked_at=now,
        )
        SourceChange.objects.filter(citation=row, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=by, resolution=SourceChange.Resolution.CONFIRMED
        )
        briefing = row.briefing
        event = BriefingEvent.objects.create(
            briefing=briefing,
            actor=by,
            action=Action.REANCHORING_CONFIRMED,
            from_state=briefing.status,
            to_state=briefing.status,
            comment=f"[^{row.label}] now quotes “{row.quote}” in paragraph {row.passage.ordinal} of its source.",
            created_at=now,
        )
    citation.status = Citation.Status.OK
    return event


def check_manage_source_versions(user, doing):
    """Editors withhold a version's words and restore earlier versions; analysts may not."""
    if not (user.is_active and user.has_perm("sources.change_sourceversion")):
        raise PermissionDenied(f"You are not allowed to {doing}.")


def briefings_quoting(version):
    """Briefings whose working copy or published revision quotes ``version`` of its source."""
    from .models import RevisionCitation

    working = Citation.objects.filter(source_version=version).values("briefing_id")
    published = RevisionCitation.objects.filter(
        source_version=version, revision__published_as__isnull=False
    ).values("revision__briefing_id")
    return Briefing.objects.filter(Q(pk__in=working) | Q(pk__in=published)).order_by("pk")


def withhold_source_version(version, by, *, reason):
    """Withhold a source version's words for legal or safety reasons; its entry stays with a dated notice.

    Readers no longer see the version's words nor its differences, and footnotes quoting it no longer show
    the quote (the admin still does). Every briefing quoting it records the step.
    """
    from sources.models import SourceVersion

    check_manage_source_versions(by, "withhold source versions")
    reason = _require_text(reason, "A reason for withholding the version (readers see it)")
    now = timezone.now()
    with transaction.atomic():
        row = SourceVersion.objects.select_for_update().select_related("source").get(pk=version.pk)
        if row.is_withheld:
            raise WorkflowError(f"Version {row.number} of this source is already withheld.")
        row.withhold(reason, by, now=now)
        for briefing in briefings_quoting(row):
            BriefingEvent.objects.create(
                briefing=briefing,
                actor=by,
                action=Action.SOURCE_WITHHELD,
                from_state=briefing.status,
                to_state=briefing.status,
                comment=(
                    f"Version {row.number} of {row.source.display_title} was withheld: {reason} "
                    "Readers no longer see its words, nor the quotes of footnotes pinned to it."
                ),
                created_at=now,
            )
        # Saving the version renders the published footnotes quoting it again (revisions.follow_version_saved).
    for name in ("withheld_at", "withheld_reason", "withheld_by_id"):
        setattr(version, name, getattr(row, name))
    return row


def restore_source_version(version, by, *, expected_version=None):
    """Undo: make an earlier version's text the source's current text again, as a new version.

    Citations re-anchor as for any import, and the newsroom hears of it the same way. ``expected_version``
    is the current version number the user saw; a source imported since is refused. Returns the import's
    result.
    """
    from sources import importer

    check_manage_source_versions(by, "restore sources to an earlier version")
    current = version.source.current_version()
    if current is not None and current.pk == version.pk:
        raise WorkflowError(f"Version {version.number} is already the source's current text.")
    if version.is_withheld:
        raise WorkflowError(
            f"Version {version.number} is withheld, so its words cannot become the source's current text."
        )
    try:
        return importer.restore_version(version, by=by, expected_version=expected_version)
    except importer.ImportFailed as failure:
        raise WorkflowError(" ".join(problem.reason for problem in failure.problems)) from None
