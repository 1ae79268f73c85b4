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

from .models import Briefing, BriefingEvent, Revision, RevisionTag
from .times import desk_time

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


# What a preview page shows ------------------------------------------------------------

# The state of the text a preview shows, as its banner says it. A draft is never "under review".
STATE_WORDS = {
    Briefing.Status.DRAFT: "This text is a draft: it is not published.",
    Briefing.Status.CHANGES_REQUESTED: "This text is a draft sent back for changes: it is not published.",
    Briefing.Status.IN_REVIEW: "This text is in review: it is not published.",
    Briefing.Status.APPROVED: "This text is approved and not yet published.",
    Briefing.Status.PUBLISHED: "This text is published.",
    Briefing.Status.RETRACTED: "This briefing is retracted.",
}


def state_words(briefing, scheduled_for=None):
    """The true state of the text a preview shows, in a sentence: scheduled (with the time), or its status."""
    if scheduled_for is not None:
        return f"Scheduled for {desk_time(scheduled_for)}: readers see it from then on."
    words = STATE_WORDS[briefing.status]
    if briefing.status != Briefing.Status.PUBLISHED and briefing.is_public():
        words += f" Readers see revision {briefing.published_revision.number} of this briefing."
    return words


def tags_with_pages(tags, now=None):
    """Of ``tags``, the primary keys of those with a public page: a published briefing's published revision has them."""
    published = Briefing.objects.published(now).values("published_revision")
    return set(
        RevisionTag.objects.filter(tag__in=[tag.pk for tag in tags], revision__in=published)
        .values_list("tag", flat=True)
    )


def _page(briefing, *, title, dek, body_html, tags, revision_number, saved_at, scheduled_for):
    return {
        "briefing": briefing,
        "page": {
            "title": title,
            "dek": dek,
            "body_html": body_html,  # sanitised when rendered on save
            "revision_number": revision_number,
            "saved_at": saved_at,
            "state": state_words(briefing, scheduled_for),
            "scheduled_for": scheduled_for,
        },
        "tags": tags,
        "tags_with_pages": tags_with_pages(tags) if tags else set(),
        "authors": list(briefing.authors.select_related("author_profile")),
    }


def revision_page(found):
    """The template context of a preview link's page (``found`` is what ``open_link`` gave)."""
    revision = found.revision
    return _page(
        revision.briefing,
        title=revision.title,
        dek=revision.dek,
        body_html=revision.body_html,
        tags=list(revision.tags.all()),
        revision_number=revision.number,
        saved_at=revision.created_at,
        scheduled_for=found.scheduled_for,
    )


def working_copy_page(briefing):
    """The template context of the staff preview: the briefing's current text, saved or not as a revision."""
    latest = briefing.revisions.order_by("-number").first()
    scheduled = briefing.status == Briefing.Status.PUBLISHED and briefing.is_scheduled()
    return {
        **_page(
            briefing,
            title=briefing.title,
            dek=briefing.dek,
            body_html=briefing.body_html,
            tags=list(briefing.tags.order_by("name")),  # as a revision's tags are ordered
            revision_number=latest.number if latest else None,
            saved_at=briefing.updated_at,
            scheduled_for=briefing.published_at if scheduled else None,
        ),
        "is_draft_preview": True,
    }
