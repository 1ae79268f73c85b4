"""Signed preview links: show the revision under review to someone without an account.

A link names one revision and is signed with the site's secret, so it cannot
be forged or pointed at another briefing. It stops working when it expires
(the ``PREVIEW_LINK_MAX_AGE`` setting, in seconds) or as soon as the
briefing has a newer revision, so nobody reads text that has since changed.

A link also tells the truth about what became of the revision: once readers
can see it, it leads to the public page; while it waits for its scheduled time
it says when it goes live; after a retraction it leads to the retraction
notice if readers ever saw it, and is gone otherwise.
"""
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from .models import BriefingEvent, Revision

SALT = "briefings.preview"


class PreviewUnavailable(Exception):
    """The link cannot show anything; ``reason`` is "invalid", "expired", "superseded" or "retracted"."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(reason)


def max_age():
    return settings.PREVIEW_LINK_MAX_AGE


def make_token(revision):
    return signing.TimestampSigner(salt=SALT).sign_object({"b": revision.briefing_id, "r": revision.pk})


def preview_url(revision):
    """The path of a fresh preview link for ``revision``."""
    return reverse("public:preview", kwargs={"token": make_token(revision)})


def _signed_revision(token):
    """The revision a genuine, unexpired token names, or ``PreviewUnavailable`` ("invalid" or "expired")."""
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age())
    except signing.SignatureExpired:
        raise PreviewUnavailable("expired") from None
    except signing.BadSignature:
        raise PreviewUnavailable("invalid") from None
    revision = (
        Revision.objects.select_related("briefing")
        .filter(pk=payload.get("r"), briefing_id=payload.get("b"))
        .first()
    )
    if revision is None:
        raise PreviewUnavailable("invalid")
    return revision


def _is_superseded(revision):
    return Revision.objects.filter(briefing_id=revision.briefing_id, number__gt=revision.number).exists()


def read_token(token):
    """The revision a token shows, or ``PreviewUnavailable`` saying why not."""
    revision = _signed_revision(token)
    if _is_superseded(revision):
        raise PreviewUnavailable("superseded")
    return revision


@dataclass(frozen=True)
class Preview:
    """What a preview link leads to: the revision to show (with its scheduled time, if any) or an address."""

    revision: Revision = None
    scheduled_for: object = None
    redirect_to: str = ""


def was_public(revision):
    """Readers saw ``revision`` at some time: it is the one a public (or retracted) page shows, or one before it."""
    briefing = revision.briefing
    if revision.pk == briefing.published_revision_id:
        return briefing.is_public()
    Action = BriefingEvent.Action
    return revision.events.filter(action__in=[Action.PUBLISHED, Action.CORRECTED, Action.RETRACTED]).exists()


def open_link(token, now=None):
    """What the link ``token`` leads to now: a ``Preview``, or ``PreviewUnavailable`` saying why nothing.

    The revision's fate is looked at before its age: a live or retracted
    revision leads readers to what the site says of it, whatever came after.
    """
    now = now or timezone.now()
    revision = _signed_revision(token)
    briefing = revision.briefing
    if briefing.is_retracted:
        if was_public(revision):
            return Preview(redirect_to=briefing.get_absolute_url())
        raise PreviewUnavailable("retracted")
    if revision.pk == briefing.published_revision_id:
        if briefing.is_public(now):
            return Preview(redirect_to=briefing.get_absolute_url())
        return Preview(revision=revision, scheduled_for=briefing.published_at)
    if _is_superseded(revision):
        raise PreviewUnavailable("superseded")
    return Preview(revision=revision)
