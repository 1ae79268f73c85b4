"""HTTP caching of the public site.

Every public page depends on one thing: the *public state* of the site, what
readers are allowed to see. Its *version* combines

- the number of committed changes that may touch public content, kept in one
  database row (``PublicChange``) bumped after every such commit, and bumped
  at once in the process that made the change (so its own next request
  already sees a new version, before the commit is even visible);
- the latest publication time already reached, read from an index, because
  a scheduled briefing goes live without any write.

Each process keeps the state it read for at most ``PUBLIC_STATE_MEMO_SECONDS``
(one second by default, never past the next scheduled publication), so a
busy site answers conditional GETs and cached pages without a query; a
change made by another process shows within that second, one made by this
process at once.

The version is part of every page's ETag and of every page-cache key, so
publishing, correcting, retracting, re-importing a source, renaming a tag or
merely reaching a scheduled publication time yields new ETags and new cache
keys: nothing has to be purged, old entries expire on their own, and
processes that share no memory agree because they read the same row. Reading
the state is one query whose cost does not grow with the archive.

Why the row is bumped *after* commit and not inside the transaction: a bump
inside would hold that row's lock until the end of every editing transaction
(a whole import, say), serialising all editors behind it and risking
deadlocks with the rows they lock. After commit is still safe: a request that
read the old number either rendered the old content (its key is retired by
the bump) or already the new one (harmless under the old key).
"""
import datetime
import hashlib
import itertools
import logging
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, quote_etag

logger = logging.getLogger(__name__)

PAGE_KEY_PREFIX = "public-page"
# Changes this process made that the shared row does not count yet (their transaction is still open).
_uncounted_changes = itertools.count(1)
_uncounted = 0


def page_cache_seconds():
    return getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 600)


@dataclass(frozen=True)
class PublicState:
    version: str
    last_modified: datetime.datetime | None
    next_scheduled: datetime.datetime | None


def _as_datetime(value):
    """Datetimes read through a raw cursor come back naive, or as text from an aggregate, on SQLite."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime.datetime) else parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def _state_row(now):
    """(generation, changed_at, latest publication reached, next scheduled publication): one cheap query."""
    from .models import Briefing, PublicChange

    quote = connection.ops.quote_name
    briefing = quote(Briefing._meta.db_table)
    change = quote(PublicChange._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    # Both times come from the end of the partial index on published_at (briefing_public_state): one probe each.
    sql = (
        f"SELECT (SELECT generation FROM {change} WHERE id = 1), (SELECT changed_at FROM {change} WHERE id = 1), "
        f"(SELECT MAX(published_at) FROM {briefing} WHERE published_revision_id IS NOT NULL AND published_at <= %s), "
        f"(SELECT MIN(published_at) FROM {briefing} WHERE published_revision_id IS NOT NULL AND published_at > %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [at, at])
        generation, changed_at, latest_live, next_scheduled = cursor.fetchone()
    return generation or 0, _as_datetime(changed_at), _as_datetime(latest_live), _as_datetime(next_scheduled)


def memo_seconds():
    return getattr(settings, "PUBLIC_STATE_MEMO_SECONDS", 1.0)


_memo = {"state": None, "until": None, "uncounted": None}


def forget_public_state():
    _memo["state"] = None


def public_state(now=None):
    """The current public state, as read at most ``PUBLIC_STATE_MEMO_SECONDS`` ago by this process."""
    now = now or timezone.now()
    if _memo["state"] is not None and _memo["uncounted"] == _uncounted and now < _memo["until"]:
        return _memo["state"]
    state = read_public_state(now)
    if memo_seconds() > 0:
        until = now + datetime.timedelta(seconds=memo_seconds())
        if state.next_scheduled:
            until = min(until, state.next_scheduled)
        _memo.update(state=state, until=until, uncounted=_uncounted)
    return state


def read_public_state(now=None):
    """The current public state: a version string, a Last-Modified time and the next scheduled publication."""
    now = now or timezone.now()
    generation, changed_at, latest_live, next_scheduled = _state_row(now)
    summary = f"{generation}|{_uncounted}|{latest_live.isoformat() if latest_live else ''}"
    stamps = [stamp for stamp in (changed_at, latest_live) if stamp and stamp <= now]
    return PublicState(
        version=hashlib.sha256(summary.encode()).hexdigest()[:20],
        last_modified=max(stamps) if stamps else None,
        next_scheduled=next_scheduled,
    )


def _note_uncounted():
    global _uncounted
    _uncounted = next(_uncounted_changes)


def _record_change(visible):
    """Count committed changes in the shared row (its own short transaction); every process sees it."""
    global _uncounted
    from .models import PublicChange

    now = timezone.now()
    fields = {"generation": F("generation") + 1}
    if visible:
        fields["changed_at"] = now
    if not PublicChange.objects.filter(pk=1).update(**fields):
        try:
            with transaction.atomic():
                PublicChange.objects.create(pk=1, generation=1, changed_at=now)
        except IntegrityError:
            # Another process created the row a moment ago; count this change on top of it.
            PublicChange.objects.filter(pk=1).update(**fields)
    _uncounted = 0
    forget_public_state()


class _PendingChange:
    """The after-commit bump of one transaction; one per transaction however many rows it wrote."""

    def __init__(self):
        self.visible = False

    def __call__(self):
        _record_change(self.visible)


def public_content_changed(*, visible=True):
    """Say that what readers see may have changed in the current transaction (or just now, outside one).

    ``visible`` is False for edits that can only matter once published (a
    draft's text, say): they retire cached pages, to be safe, but do not move
    the site's Last-Modified time.
    """
    _note_uncounted()
    if not connection.in_atomic_block:
        _record_change(visible)
        return
    pending = next(
        (func for _ids, func, _robust in connection.run_on_commit if isinstance(func, _PendingChange)), None
    )
    if pending is None:
        pending = _PendingChange()
        transaction.on_commit(pending)
    pending.visible = pending.visible or visible


def _cache_call(method, *args):
    """The page cache is an optimisation: when it fails, readers still get their page."""
    try:
        return method(*args)
    except Exception:
        logger.warning("Page cache unavailable; serving uncached pages.", exc_info=True)
        return None


def _page_key(request, version):
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"{PAGE_KEY_PREFIX}:{version}:{hashlib.sha256(address.encode()).hexdigest()}"


def _finish(response, etag, state):
    response["ETag"] = etag
    if state.last_modified:
        response["Last-Modified"] = http_date(state.last_modified.timestamp())
    # Readers' browsers may keep a copy but must ask again; the answer is usually a cheap 304.
    patch_cache_control(response, public=True, no_cache=True)
    return response


def public_page(view):
    """Serve a public GET view with ETag/Last-Modified, 304s and a page cache keyed by the public state."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        state = public_state()
        etag = quote_etag(f"{state.version}-{hashlib.sha256(request.get_full_path().encode()).hexdigest()[:12]}")
        last_modified = int(state.last_modified.timestamp()) if state.last_modified else None
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            return _finish(not_modified, etag, state)

        key = _page_key(request, state.version)
        cached = _cache_call(cache.get, key)
        if cached is not None:
            content, content_type = cached
            return _finish(HttpResponse(content, content_type=content_type), etag, state)

        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response.render()
        if response.status_code == 200 and not response.streaming:
            _cache_call(cache.set, key, (response.content, response["Content-Type"]), page_cache_seconds())
            return _finish(response, etag, state)
        return response

    return wrapper


def _changed_on_save(sender, instance=None, update_fields=None, **kwargs):
    if sender is get_user_model() and update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # Logging in changes nothing readers see.
    public_content_changed(visible=sender not in _working_copy_models())


def _changed(sender, **kwargs):
    public_content_changed(visible=sender not in _working_copy_models())


def _working_copy_models():
    """Rows an editor changes before anything is published; the workflow says when readers see them.

    A draft's citations, and revisions with their citations and tags, are not
    listed: they reach readers only through a workflow step, which says so.
    """
    from .models import Briefing, TaggedBriefing

    return (Briefing, TaggedBriefing)


def connect_signals():
    """Retire every cached page after any save or delete of a row public pages read.

    Writes that send no signal (``update()``, bulk operations) call
    ``public_content_changed`` themselves: the workflow, the importer, the
    re-anchoring of published revisions and the corpus generator.
    """
    from sources.models import Passage, Source

    from .models import Briefing, Correction, Tag

    for model in (*_working_copy_models(), Correction, Tag, Source, Passage, get_user_model()):
        label = model._meta.label
        post_save.connect(_changed_on_save, sender=model, dispatch_uid=f"public-cache-save-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"public-cache-delete-{label}")
    m2m_changed.connect(_changed, sender=Briefing.authors.through, dispatch_uid="public-cache-bylines")
