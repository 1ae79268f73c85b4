"""Email about the review workflow.

Authors hear when changes are requested, when their briefing is approved and
when it is published or scheduled; editors hear of new submissions. A review
comment goes to the other party (``briefings.comments.recipients``). When an
import changes citations of briefings in review or published, their authors
and the editors get one email per import listing them. Messages
are sent after the transaction that made the change commits, so a step that
failed never sends mail. The backend comes from settings: the console locally,
SMTP when EMAIL_HOST is set.
"""
import threading
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import display_name
from .times import desk_time

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


def reviewers(briefing):
    """Everyone who may review the briefing (by permission, not as a superuser), its authors aside."""
    User = get_user_model()
    authors = briefing.authors.values("pk")
    permitted = User.objects.with_perm(
        "briefings.review_briefing", include_superusers=False, backend="django.contrib.auth.backends.ModelBackend"
    )
    return list(permitted.exclude(pk__in=authors))


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
    if briefing.published_at > timezone.now():
        subject = f"Scheduled: {briefing.title}"
        when = desk_time(briefing.published_at)
        first = f"{display_name(actor)} scheduled \"{briefing.title}\" to be published on {when}."
    else:
        subject = f"Published: {briefing.title}"
        first = f"{display_name(actor)} published \"{briefing.title}\"."
    body = f"{first}\n\n{admin_link(briefing)}\n"
    return _send(subject, body, _addresses(_authors(briefing), actor))


def review_comment(comment, people):
    """Tell ``people`` of a new review comment or reply, with its words and where it points."""
    briefing = comment.briefing
    if comment.parent_id is not None:
        what = "replied to a review comment on"
    elif comment.citation_label:
        what = f"commented on citation [^{comment.citation_label}] of"
    else:
        what = "commented on"
    quoted = f"On the words: \"{comment.anchor_words}\"\n\n" if comment.anchor_words else ""
    body = (
        f"{display_name(comment.author)} {what} \"{briefing.title}\":\n\n{quoted}{comment.text}\n\n"
        f"Reply or resolve it here: {admin_link(briefing)}#review-comments\n"
    )
    title = " ".join(briefing.title.split())  # a header holds one line
    subject = f"{'Reply' if comment.parent_id else 'Comment'} on {title}"
    return _send(subject, body, _addresses(people, comment.author))


# Sources that change ------------------------------------------------------------


class CitationDigest:
    """What one import did to citations of watched briefings, sent as one email per person after it commits.

    An import may re-anchor citations of several sources; each adds its
    briefings here, and the digest goes out once, when the import's
    transaction commits (nothing is sent when it rolls back).
    """

    def __init__(self, actor):
        self.actor = actor
        self.sources = {}  # source title: {briefing: [lines]}
        self.sent = False

    def add(self, source, lines, version=None):
        title = f"{source.display_title} (version {version.number})" if version is not None else source.display_title
        by_briefing = self.sources.setdefault(title, {})
        for briefing, described in lines.items():
            by_briefing.setdefault(briefing, []).extend(described)

    def send(self):
        self.sent = True
        if getattr(_state, "digest", None) is self:
            _state.digest = None
        briefings = {briefing.pk: briefing for lines in self.sources.values() for briefing in lines}
        if not briefings:
            return 0
        User = get_user_model()
        editors = list(User.objects.filter(groups__name=EDITOR_GROUP, is_active=True).distinct())
        readers = {}  # user: the briefings they hear about
        for briefing in briefings.values():
            for author in briefing.authors.all():
                readers.setdefault(author, set()).add(briefing.pk)
        for editor in editors:
            readers.setdefault(editor, set()).update(briefings)
        sent = 0
        for user, their_briefings in sorted(readers.items(), key=lambda item: item[0].pk):
            if not user.email or not user.is_active or (self.actor is not None and user.pk == self.actor.pk):
                continue
            subject, body = self.message(their_briefings)
            sent += _send(subject, body, [user.email])
        return sent

    def message(self, briefing_ids):
        sections, count = [], 0
        for title, by_briefing in self.sources.items():
            for briefing, lines in by_briefing.items():
                if briefing.pk not in briefing_ids:
                    continue
                count += len(lines)
                listed = "\n".join(f"  - {line}" for line in lines)
                sections.append(f"\"{briefing.title}\" ({briefing.get_status_display().lower()}), citing {title}:\n"
                                f"{listed}\n  {admin_link(briefing)}")
        who = display_name(self.actor) if self.actor is not None else "The import command"
        titles = ", ".join(f"\"{title}\"" for title in self.sources)
        body = (
            f"{who} imported {titles} again, which changed {count} citation(s) of "
            f"{len(briefing_ids)} briefing(s) in review or published.\n\n" + "\n\n".join(sections) + "\n\n"
            "Readers keep seeing the published words. Editors confirm re-anchored citations in the admin's "
            f"\"Source changes\" queue: {source_changes_link()}\n"
        )
        subject = f"Sources changed: {count} citation(s) in {len(briefing_ids)} briefing(s)"
        return subject, body


def source_changes_link():
    return settings.SITE_URL.rstrip("/") + reverse("admin:briefings_sourcechange_changelist")


def _pending_digest(actor):
    """The digest of the transaction running now, started (and set to go out on commit) when there is none."""
    digest = getattr(_state, "digest", None)
    connection = transaction.get_connection()
    # A digest whose transaction rolled back never went out and is no longer due to: start afresh.
    waiting = digest is not None and not digest.sent and any(
        callback == digest.send for _savepoints, callback, _robust in connection.run_on_commit
    )
    if not waiting:
        digest = _state.digest = CitationDigest(actor)
        transaction.on_commit(digest.send)
    return digest


def citations_changed(source, lines, actor=None, *, version=None):
    """Add what an import of ``source`` did ({briefing: [lines]}) to the email sent when the import commits."""
    if not lines or is_muted():
        return
    if not transaction.get_connection().in_atomic_block:
        digest = CitationDigest(actor)
        digest.add(source, lines, version)
        digest.send()
        return
    _pending_digest(actor).add(source, lines, version)
