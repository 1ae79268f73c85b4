"""Email about the review workflow.

Authors hear when changes are requested, when their briefing is approved and
when it is published or scheduled; editors hear of new submissions. Messages
are sent after the transaction that made the change commits, so a step that
failed never sends mail. The backend comes from settings: the console locally,
SMTP when EMAIL_HOST is set.
"""
import threading
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import timezone

from .models import display_name

EDITOR_GROUP = "Editor"

_state = threading.local()


@contextmanager
def muted():
    """Schedule no mail for workflow steps taken inside the block (loading demo data is not news)."""
    previous = getattr(_state, "muted", False)
    _state.muted = True
    try:
        yield
    finally:
        _state.muted = previous


def is_muted():
    return getattr(_state, "muted", False)


def admin_link(briefing):
    """The briefing's admin page, absolute through the SITE_URL setting."""
    return settings.SITE_URL.rstrip("/") + reverse("admin:briefings_briefing_change", args=[briefing.pk])


def _addresses(users, actor):
    return sorted({user.email for user in users if user.email and user.is_active and user.pk != actor.pk})


def _authors(briefing):
    return list(briefing.authors.all())


def _editors(briefing):
    User = get_user_model()
    authors = briefing.authors.values("pk")
    return list(User.objects.filter(groups__name=EDITOR_GROUP, is_active=True).exclude(pk__in=authors).distinct())


def _send(subject, body, recipients):
    if not recipients:
        return 0
    prefix = settings.SITE_NAME
    # One message per recipient so nobody sees the other addresses.
    messages = [(f"[{prefix}] {subject}", body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
    return send_mass_mail(messages, fail_silently=False)


def submitted(briefing, actor):
    """Tell editors (other than the briefing's authors) that a briefing waits for review."""
    body = (
        f"{display_name(actor)} submitted \"{briefing.title}\" for review.\n\n"
        f"Review it here: {admin_link(briefing)}\n"
    )
    return _send(f"Review requested: {briefing.title}", body, _addresses(_editors(briefing), actor))


def changes_requested(briefing, actor, comment):
    """Tell the authors what the reviewer wants changed."""
    body = (
        f"{display_name(actor)} asked for changes to \"{briefing.title}\":\n\n{comment}\n\n"
        f"Edit it here: {admin_link(briefing)}\n"
    )
    return _send(f"Changes requested: {briefing.title}", body, _addresses(_authors(briefing), actor))


def approved(briefing, actor):
    """Tell the authors their briefing passed review."""
    body = f"{display_name(actor)} approved \"{briefing.title}\".\n\n{admin_link(briefing)}\n"
    return _send(f"Approved: {briefing.title}", body, _addresses(_authors(briefing), actor))


def published(briefing, actor):
    """Tell the authors their briefing is public, or when it will be."""
    when = timezone.localtime(briefing.published_at)
    if briefing.published_at > timezone.now():
        subject = f"Scheduled: {briefing.title}"
        first = f"{display_name(actor)} scheduled \"{briefing.title}\" to be published on {when:%Y-%m-%d at %H:%M %Z}."
    else:
        subject = f"Published: {briefing.title}"
        first = f"{display_name(actor)} published \"{briefing.title}\"."
    body = f"{first}\n\n{admin_link(briefing)}\n"
    return _send(subject, body, _addresses(_authors(briefing), actor))
