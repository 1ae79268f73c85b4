"""Signed preview links: show the revision under review to someone without an account.

A link names one revision and is signed with the site's secret, so it cannot
be forged or pointed at another briefing. It stops working when it expires
(the ``PREVIEW_LINK_MAX_AGE`` setting, in seconds) or as soon as the
briefing has a newer revision, so nobody reads text that has since changed.
"""
from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Revision

SALT = "briefings.preview"


class PreviewUnavailable(Exception):
    """The link cannot show anything; ``reason`` is "invalid", "expired" or "superseded"."""

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


def read_token(token):
    """The revision a token shows, or ``PreviewUnavailable`` saying why not."""
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
    if Revision.objects.filter(briefing_id=revision.briefing_id, number__gt=revision.number).exists():
        raise PreviewUnavailable("superseded")
    return revision
