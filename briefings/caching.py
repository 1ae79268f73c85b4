"""HTTP caching of the public site.

Every public page depends on one thing: the *public state* of the site, what
readers are allowed to see. It is summarised by one cheap query (counts and
latest timestamps of public briefings, their published revisions, corrections,
sources, taggings and bylines, and the time the last scheduled briefing went
live) plus a generation number kept in the cache and bumped after any commit
that touches those tables, for edits that leave no timestamp (a renamed tag, a
changed name in a byline).

The summary's hash is the *version*. It is part of every page's ETag and of
every page-cache key, so publishing, correcting, retracting, re-importing a
source, or merely reaching a scheduled publication time (the query compares
with now) yields new ETags and new cache keys: nothing has to be purged, and
processes that share no memory still agree because the query reads the
database. Old entries expire on their own.
"""
import datetime
import hashlib
import logging
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, quote_etag

logger = logging.getLogger(__name__)

GENERATION_KEY = "public-state-generation"
PAGE_KEY_PREFIX = "public-page"


def page_cache_seconds():
    return getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 600)


@dataclass(frozen=True)
class PublicState:
    version: str
    last_modified: datetime.datetime | None
    next_scheduled: datetime.datetime | None


def _as_datetime(value):
    """MAX() over a datetime column comes back as text on SQLite."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    parsed = parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def _state_rows(now):
    """One round trip: (label, number, timestamp) rows that change whenever public content does."""
    from sources.models import Source

    from .models import Briefing, Correction, TaggedBriefing

    quote = connection.ops.quote_name
    briefing = quote(Briefing._meta.db_table)
    authors = quote(Briefing.authors.through._meta.db_table)
    correction = quote(Correction._meta.db_table)
    source = quote(Source._meta.db_table)
    tagged = quote(TaggedBriefing._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    has_page = "published_revision_id IS NOT NULL AND published_at <= %s"
    parts = [
        # Publication, republication, correction and retraction all move public_updated_at.
        (f"SELECT 'public', COUNT(*), MAX(public_updated_at) FROM {briefing} WHERE {has_page}", [at]),
        # Which revisions readers see, and which briefings are retracted: also caught without a timestamp.
        (f"SELECT 'revisions', SUM(published_revision_id), NULL FROM {briefing} WHERE {has_page}", [at]),
        (f"SELECT 'retracted', COUNT(*), NULL FROM {briefing} WHERE status = %s AND {has_page}",
         [Briefing.Status.RETRACTED, at]),
        # The latest publication time already reached changes the moment a scheduled briefing goes live.
        (f"SELECT 'live', COUNT(*), MAX(published_at) FROM {briefing} WHERE {has_page}", [at]),
        (f"SELECT 'scheduled', COUNT(*), MIN(published_at) FROM {briefing} "
         "WHERE published_revision_id IS NOT NULL AND published_at > %s", [at]),
        (f"SELECT 'corrections', COUNT(*), MAX(created_at) FROM {correction}", []),
        (f"SELECT 'sources', COUNT(*), MAX(updated_at) FROM {source}", []),
        (f"SELECT 'taggings', COUNT(*), NULL FROM {tagged}", []),
        (f"SELECT 'latest-tagging', MAX(id), NULL FROM {tagged}", []),
        (f"SELECT 'bylines', COUNT(*), NULL FROM {authors}", []),
        (f"SELECT 'latest-byline', MAX(id), NULL FROM {authors}", []),
    ]
    sql = " UNION ALL ".join(part for part, _ in parts)
    params = [param for _, group in parts for param in group]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {label: (number, _as_datetime(stamp)) for label, number, stamp in cursor.fetchall()}


def public_state(now=None):
    """The current public state: a version string, a Last-Modified time and the next scheduled publication."""
    now = now or timezone.now()
    rows = _state_rows(now)
    try:
        generation = cache.get(GENERATION_KEY, 0)
    except Exception:
        # Without the cache nothing can be cached, and no ETag may outlive an unseen edit.
        logger.warning("Page cache unavailable; serving uncached pages.", exc_info=True)
        generation = f"unavailable-{now.timestamp()}"
    summary = repr(sorted(rows.items())) + f"|{generation}"
    stamps = [rows[label][1] for label in ("public", "live", "corrections", "sources") if rows[label][1]]
    stamps = [stamp for stamp in stamps if stamp <= now]
    return PublicState(
        version=hashlib.sha256(summary.encode()).hexdigest()[:20],
        last_modified=max(stamps) if stamps else None,
        next_scheduled=rows["scheduled"][1],
    )


def bump_generation():
    """Mark every cached page stale, now and again once the current transaction commits.

    The second bump matters: a page rendered by another request between the
    first bump and the commit still shows the old content under the new key.
    """

    def bump():
        try:
            try:
                cache.incr(GENERATION_KEY)
            except ValueError:
                cache.set(GENERATION_KEY, 1, timeout=None)
        except Exception:
            logger.warning("Page cache unavailable; could not mark cached pages stale.", exc_info=True)

    bump()
    transaction.on_commit(bump)


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


def _bump_on_save(sender, instance=None, update_fields=None, **kwargs):
    if sender is get_user_model() and update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # Logging in changes nothing readers see.
    bump_generation()


def _bump(sender, **kwargs):
    bump_generation()


def connect_signals():
    """Stale every cached page after edits that leave no trace in the public-state query."""
    from sources.models import Passage, Source

    from .models import Briefing, Correction, Tag, TaggedBriefing

    for model in (Briefing, Correction, Tag, TaggedBriefing, Source, Passage, get_user_model()):
        post_save.connect(_bump_on_save, sender=model, dispatch_uid=f"public-cache-save-{model._meta.label}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"public-cache-delete-{model._meta.label}")
    m2m_changed.connect(_bump, sender=Briefing.authors.through, dispatch_uid="public-cache-bylines")
