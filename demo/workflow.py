"""Put the sample briefings through the review workflow so the demo shows every stage.

``load_demo`` calls ``apply_demo_workflow(stdout)`` after loading the sample
briefings and the demo accounts. Briefings are taken in order of creation and
left, in turn: published with a correction, in review, draft, published, with
changes requested, and published for any beyond. Every step goes through
``briefings.workflow`` with the demo accounts, so the event log and revisions
are those of real use; no mail is sent for these steps. A briefing that already has a review
record is left as it is, so running the demo again changes nothing.
"""
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.db import transaction

from briefings import notifications, revisions, workflow
from briefings.models import Briefing

PLAN = ["corrected", "in_review", "draft", "published", "changes_requested"]
SAMPLE_CORRECTION = (
    "Sample correction: this dated note shows how a correction to a published briefing "
    "appears to readers, on the briefing and on the corrections page."
)
SAMPLE_REQUEST = "Please add a second source for the figure in the first paragraph before this goes out."
SECOND_EDITOR = "editor2"


def _account(username):
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"the demo account {username!r} is missing; create the demo accounts first.") from None


def _second_editor(stdout):
    """A second editor, so a briefing written by an editor can still be reviewed by someone else."""
    user, created = get_user_model().objects.get_or_create(
        username=SECOND_EDITOR,
        defaults={
            "is_staff": True, "email": f"{SECOND_EDITOR}@example.com", "first_name": "Nigar", "last_name": "Rzayeva",
        },
    )
    user.groups.add(Group.objects.get(name="Editor"))
    if created:
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        stdout.write(f"account   {SECOND_EDITOR:<8} password: {password}")
    return user


def _reviewer(briefing, candidates):
    """The first demo editor who had no hand in the briefing (four-eyes holds in the demo too)."""
    for user in candidates:
        if workflow.can("approve", briefing, user) or workflow.can("publish", briefing, user):
            return user
    raise CommandError(f"{briefing.slug}: no demo editor may review it; every editor is among its authors.")


def _apply(briefing, target, analyst, editors):
    if not briefing.authors.exists():
        briefing.authors.add(analyst)
    author = briefing.authors.order_by("pk").first()
    revisions.snapshot(briefing, author)
    if target == "draft":
        return
    workflow.submit(briefing, author)
    if target == "in_review":
        return
    reviewer = _reviewer(briefing, editors)
    if target == "changes_requested":
        workflow.request_changes(briefing, reviewer, comment=SAMPLE_REQUEST)
        return
    workflow.approve(briefing, reviewer)
    workflow.publish(briefing, reviewer)
    if target == "corrected":
        workflow.correct(briefing, reviewer, note=SAMPLE_CORRECTION)


def apply_demo_workflow(stdout):
    """Move each sample briefing without a review record to its demo state; print one line per briefing."""
    analyst = _account("analyst")
    editors = [_account("editor"), None, _account("admin")]
    with transaction.atomic(), notifications.muted():
        editors[1] = _second_editor(stdout)
        briefings = list(Briefing.objects.order_by("created_at", "pk"))
        for index, briefing in enumerate(briefings):
            if briefing.events.exists():
                stdout.write(f"workflow  {briefing.slug}: {briefing.get_status_display().lower()} (kept)")
                continue
            target = PLAN[index] if index < len(PLAN) else "published"
            try:
                _apply(briefing, target, analyst, editors)
            except (workflow.WorkflowError, PermissionDenied) as refusal:
                stage = target.replace("_", " ")
                raise CommandError(f"{briefing.slug}: cannot be taken to {stage}: {refusal}") from None
            label = "published, with a correction" if target == "corrected" else briefing.get_status_display().lower()
            stdout.write(f"workflow  {briefing.slug}: {label}")
        if not briefings:
            stdout.write("workflow  no briefings to take through review")
            return
        counts = {status.label.lower(): 0 for status in Briefing.Status}
        for status in Briefing.objects.values_list("status", flat=True):
            counts[Briefing.Status(status).label.lower()] += 1
        stdout.write("workflow  " + ", ".join(f"{count} {label}" for label, count in counts.items() if count))
