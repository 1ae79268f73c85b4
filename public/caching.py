"""HTTP caching of the reader site.

Every public page depends on one thing: the *public state* of the site, what
readers are allowed to see. Its *version* combines

- the number of committed changes that may touch public content, kept in one
  database row (``briefings.models.PublicChange``) and bumped after every such
  commit by the receivers below: they listen to the models' own signals
  (workflow events, corrections, tags, bylines and authors' names, sources, passages, re-imports),
  so no part of the domain has to remember to say that something changed;
- the latest publication time already reached (``Briefing.objects.public_pages``),
  because a scheduled briefing goes live without any write;
- changes this thread made in a transaction that has not committed yet, so
  its own next request already sees a new version.

The same row counts, apart, the changes to sources (metadata, passages,
versions, re-imports), tags, bylines and corrections: the state's ``topics``.
Parts of pages kept across publications (``public.fragments``) are keyed by
those counts and by the rows they show, so a publication retires every page
but none of the other briefings' parts, while a tag rename retires every part
that shows tags.

Each thread keeps the state it read for at most ``PUBLIC_STATE_MEMO_SECONDS``
(one second by default, never past the next scheduled publication), so a
busy site answers conditional GETs and cached pages without a query; a change
made elsewhere shows within that second, one made by this thread at once.

The version is part of every page's ETag and of every page-cache key, so
publishing, correcting, retracting, re-importing a source, renaming a tag or
merely reaching a scheduled publication time yields new ETags and new cache
keys: nothing has to be purged, old entries expire on their own, and
processes that share no memory agree because they read the same row.

Why the row is bumped *after* commit and not inside the transaction: a bump
inside would hold that row's lock until the end of every editing transaction
(a whole import, say), serialising all editors behind it and risking
deadlocks with the rows they lock. After commit is still safe: a request that
read the old number either rendered the old content (its key is retired by
the bump) or already the new one (harmless under the old key).

Before a public view runs, its query string is cut down to the parameters its
route reads (``public_page(view, params=...)``): tracking parameters such as
``utm_source`` and unknown ones share one cache entry and one ETag, and never
reach a link in the cached HTML.
"""
import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from functools import cache as once_per_process
from functools import wraps
from pathlib import Path

from asgiref.local import Local
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Max, Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.http import HttpResponse, QueryDict
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition

from briefings.models import (
    AuthorProfile,
    Briefing,
    BriefingEvent,
    CitingStamp,
    Correction,
    PublicChange,
    RevisionCitation,
    Tag,
    TaggedBriefing,
)
from briefings.signals import rows_written_in_bulk
from sources.models import Passage, Source, SourceVersion
from sources.signals import source_text_changed

from .search.parsing import readable

logger = logging.getLogger(__name__)

PAGE_KEY_PREFIX = "public-page"
# Per thread (and per async context), like Django's database connections: what one thread memoises or has
# not committed yet is never seen, half-written or otherwise, by another.
_local = Local()
# The last public state any thread of this process read: while the database is down, pages still in the
# cache are served under it rather than answered with an error.
_last_known_state = None


# What a page's HTML is made from, besides the data: a deployment that changes any of it renders pages anew.
RELEASE_SOURCES = ("templates", "public", "briefings", "sources", "config")
RELEASE_SUFFIXES = frozenset({".py", ".html", ".txt", ".xml"})


@once_per_process
def release():
    """A short digest of the code, templates and static files' names this process renders pages with.

    Kept pages, kept parts and ETags carry it, so a deployment never serves HTML rendered by the previous
    one from a shared cache (Redis outlives a restart), nor answers a 304 to a browser holding such HTML.
    ``PUBLIC_RELEASE`` (a build's commit, say) replaces the digest, which is read once per process.
    """
    configured = getattr(settings, "PUBLIC_RELEASE", "")
    if configured:
        return configured
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for folder in RELEASE_SOURCES:
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in RELEASE_SUFFIXES and "tests" not in path.parts and path.is_file():
                digest.update(path.relative_to(base).as_posix().encode())
                digest.update(path.read_bytes())
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.is_file():  # hashed static file names, when static files are collected (production)
        digest.update(manifest.read_bytes())
    return digest.hexdigest()[:12]


@receiver(setting_changed)
def _forget_release(setting, **kwargs):
    if setting in ("PUBLIC_RELEASE", "STATIC_ROOT"):
        release.cache_clear()


def page_cache_seconds():
    return getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 600)


def pages_forgotten_at_once():
    """For the benchmark only: each page is stored and then forgotten, so every request is a page-cache miss.

    Unlike a page cache turned off, the miss pays what a real one does (looking
    up, pickling and storing the page), and whatever else the cache keeps for
    pages stays as warm as in production.
    """
    return getattr(settings, "PUBLIC_PAGE_CACHE_BENCHMARK_MISSES", False)


def largest_cached_page():
    return getattr(settings, "PUBLIC_PAGE_MAX_CACHED_BYTES", 1024 * 1024)


def memo_seconds():
    return getattr(settings, "PUBLIC_STATE_MEMO_SECONDS", 1.0)


# What changed, counted apart in ``PublicChange`` (its ``<topic>_generation`` columns).
SOURCES, TAGS, BYLINES, CORRECTIONS = TOPICS = ("sources", "tags", "bylines", "corrections")


@dataclass(frozen=True)
class PublicState:
    version: str
    last_modified: datetime.datetime | None
    next_scheduled: datetime.datetime | None
    # {topic: count of committed changes of that kind}
    topics: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class _Memo:
    state: PublicState
    until: datetime.datetime
    uncommitted: int


def _uncommitted():
    """How many changes this thread made that the shared counter does not count yet."""
    return getattr(_local, "uncommitted", 0)


def has_uncommitted_changes():
    """Whether this thread changed public content in a transaction that has not committed yet."""
    return _uncommitted() > 0


def forget_public_state():
    _local.memo = None


def public_state(now=None):
    """The current public state, as read at most ``PUBLIC_STATE_MEMO_SECONDS`` ago by this thread."""
    now = now or timezone.now()
    memo = getattr(_local, "memo", None)
    if memo is not None and memo.uncommitted == _uncommitted() and now < memo.until:
        return memo.state
    global _last_known_state
    try:
        state = read_public_state(now)
    except DatabaseError:
        if _last_known_state is None:
            raise
        logger.warning("Database unavailable; serving cached pages under the last public state read.")
        return _last_known_state
    _last_known_state = state
    if memo_seconds() > 0:
        until = now + datetime.timedelta(seconds=memo_seconds())
        if state.next_scheduled:
            until = min(until, state.next_scheduled)
        _local.memo = _Memo(state, until, _uncommitted())
    return state


def serving_state():
    """The public state the page this thread is serving was read under, or the current one outside a page.

    What a page keeps or reads from kept parts is keyed by one state, even where the request is not at hand.
    """
    return getattr(_local, "serving", None) or public_state()


TOPIC_COLUMNS = tuple(f"{topic}_generation" for topic in TOPICS)


def _state_row(now):
    """(generation, changed_at, latest publication reached, next scheduled publication, *topics) in one query."""
    latest_live = Briefing.objects.public_pages(now).order_by("-published_at").values("published_at")[:1]
    next_scheduled = Briefing.objects.scheduled(now).order_by("published_at").values("published_at")[:1]
    row = (
        PublicChange.objects.filter(pk=PublicChange.ROW)
        .annotate(latest_live=Subquery(latest_live), next_scheduled=Subquery(next_scheduled))
        .values_list("generation", "changed_at", "latest_live", "next_scheduled", *TOPIC_COLUMNS)
        .first()
    )
    if row is None:
        # The counter's row is made by a migration; a flushed database lacks it until the next change.
        PublicChange.objects.get_or_create(pk=PublicChange.ROW)
        return _state_row(now)
    return row


def read_public_state(now=None):
    """The current public state: a version string, a Last-Modified time and the next scheduled publication."""
    now = now or timezone.now()
    generation, changed_at, latest_live, next_scheduled, *topics = _state_row(now)
    summary = f"{generation}|{_uncommitted()}|{latest_live.isoformat() if latest_live else ''}"
    stamps = [stamp for stamp in (changed_at, latest_live) if stamp and stamp <= now]
    return PublicState(
        version=hashlib.sha256(summary.encode()).hexdigest()[:20],
        last_modified=max(stamps) if stamps else None,
        next_scheduled=next_scheduled,
        topics=dict(zip(TOPICS, topics, strict=True)),
    )


# Recording changes ------------------------------------------------------------


def _count_committed_changes():
    """on_commit callback: one bump of the shared row for everything this thread changed, however many rows."""
    if not getattr(_local, "dirty", False):
        return  # an earlier callback of the same commit counted it
    fields = {"generation": F("generation") + 1}
    if getattr(_local, "dirty_visible", False):
        fields["changed_at"] = timezone.now()
    for topic in getattr(_local, "dirty_topics", ()):
        fields[f"{topic}_generation"] = F(f"{topic}_generation") + 1
    _local.dirty = _local.dirty_visible = False
    _local.dirty_topics = set()
    if not PublicChange.objects.filter(pk=PublicChange.ROW).update(**fields):
        try:
            with transaction.atomic():
                PublicChange.objects.create(
                    pk=PublicChange.ROW, generation=1, changed_at=fields.get("changed_at"),
                    **{column: 1 for column in fields if column.endswith("_generation")},
                )
        except IntegrityError:
            # Another process created the row a moment ago; count this change on top of it.
            PublicChange.objects.filter(pk=PublicChange.ROW).update(**fields)
    _local.uncommitted = 0
    forget_public_state()


def public_content_changed(*, visible=True, topics=TOPICS):
    """Say that what readers see may have changed in the current transaction (or just now, outside one).

    ``visible`` is False for edits that can only matter once published (a
    draft's text, say): they retire cached pages, to be safe, but do not move
    the site's Last-Modified time. ``topics`` says what kind of rows changed
    (every kind unless told): kept parts of pages that show them are retired
    too. A rolled-back transaction leaves the mark behind, so the next commit
    counts one change more than it made: a cache miss, never a stale page.
    """
    _local.uncommitted = _uncommitted() + 1
    _local.dirty = True
    _local.dirty_visible = getattr(_local, "dirty_visible", False) or visible
    _local.dirty_topics = getattr(_local, "dirty_topics", set()) | set(topics)
    transaction.on_commit(_count_committed_changes)


def _topics_of(sender):
    """What kind of rows a model's rows are. A working copy's rows belong to none: readers see its briefing's
    published revision and the row's ``version``, which every workflow step moves, and kept parts are keyed by
    those."""
    if sender in (Source, Passage, SourceVersion):
        return (SOURCES,)
    if sender is Tag:
        return (TAGS,)
    if sender in (get_user_model(), AuthorProfile, Briefing.authors.through):
        return (BYLINES,)
    if sender is Correction:
        return (CORRECTIONS,)
    return ()


def _saved(sender, instance=None, created=False, update_fields=None, **kwargs):
    if sender is get_user_model() and update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # Logging in changes nothing readers see.
    # A new tag or account is shown nowhere yet: kept parts that show tags or bylines stay.
    new_and_unshown = created and sender in (Tag, get_user_model())
    public_content_changed(
        visible=sender not in WORKING_COPY_MODELS, topics=() if new_and_unshown else _topics_of(sender)
    )


def _deleted(sender, **kwargs):
    public_content_changed(visible=sender not in WORKING_COPY_MODELS, topics=_topics_of(sender))


def _byline_changed(sender, instance, reverse, **kwargs):
    # Pages show a briefing's byline as it is now, not as published: a public briefing's byline change retires
    # kept parts with bylines. A draft's byline (every new briefing gets one) is shown nowhere yet.
    shown = reverse or instance.published_revision_id is not None
    public_content_changed(topics=(BYLINES,) if shown else ())


def _workflow_step(sender, instance, created, **kwargs):
    # Every status change writes an event; the briefing's own row is changed with update(), which sends no signal.
    # It also moves the briefing's ``version``, which keys the briefing's kept parts: no topic is retired.
    concerns_readers = instance.concerns_readers()
    public_content_changed(visible=concerns_readers, topics=())
    if concerns_readers:
        restamp_cited_sources(instance.briefing_id)


def _briefing_deleted(sender, instance, **kwargs):
    # Before the revisions go with it: what they cited is read now.
    restamp_cited_sources(instance.pk)


def restamp_cited_sources(briefing_id, now=None):
    """A new ``CitingStamp`` for every source any revision of the briefing cites, in the current transaction.

    Written with the step rather than after commit, as the shared counter is: a source page read after the
    commit sees the new stamp with the new "cited by", one read before sees both old. Rows are written in the
    order of their sources, so two steps citing the same sources wait for each other instead of deadlocking.
    The stamp row is apart from the source's, which an import holds locked while it runs.
    """
    now = now or timezone.now()
    citations = RevisionCitation.objects.filter(revision__briefing_id=briefing_id)
    cited = sorted(set(citations.values_list("passage__source_id", flat=True)))
    if not cited:
        return
    source = "published_revision__citations__passage__source"
    pending = dict(
        Briefing.objects.scheduled(now).filter(**{f"{source}__in": cited})
        .order_by().values_list(source).annotate(latest=Max("published_at"))
    )
    token = secrets.randbits(63)
    CitingStamp.objects.bulk_create(
        [CitingStamp(source_id=pk, token=token, pending_until=pending.get(pk)) for pk in cited],
        update_conflicts=True, unique_fields=["source"], update_fields=["token", "pending_until"],
    )


def _source_changed(sender, **kwargs):
    # Re-anchoring rewrites citations and published revisions with bulk updates, which send no signal.
    public_content_changed(topics=(SOURCES,))


def _written_in_bulk(sender, **kwargs):
    public_content_changed()


# Rows an editor changes before anything is published: the workflow says when readers see them. A draft's
# citations, and revisions with their citations and tags, are not listed: they reach readers only through a
# workflow step, whose event is.
WORKING_COPY_MODELS = (Briefing, TaggedBriefing)


def connect_signals():
    """Connected in ``PublicConfig.ready``: a save or delete of any row public pages read retires cached pages."""
    watched = (*WORKING_COPY_MODELS, Correction, Tag, Source, Passage, SourceVersion, get_user_model(), AuthorProfile)
    for model in watched:
        label = model._meta.label
        post_save.connect(_saved, sender=model, dispatch_uid=f"public-cache-save-{label}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"public-cache-delete-{label}")
    post_save.connect(_workflow_step, sender=BriefingEvent, dispatch_uid="public-cache-workflow")
    pre_delete.connect(_briefing_deleted, sender=Briefing, dispatch_uid="public-cache-citing-briefing-deleted")
    m2m_changed.connect(_byline_changed, sender=Briefing.authors.through, dispatch_uid="public-cache-bylines")
    source_text_changed.connect(_source_changed, sender=Source, dispatch_uid="public-cache-reimport")
    rows_written_in_bulk.connect(_written_in_bulk, dispatch_uid="public-cache-bulk-writes")


# Serving pages ----------------------------------------------------------------


def _cache_call(method, *args):
    """The page cache is an optimisation: when it fails, readers still get their page."""
    try:
        return method(*args)
    except Exception as error:
        # The backend logs the outage itself once; one line per page says what it cost.
        logger.warning("Page cache unavailable (%s: %s); serving the page without it.", type(error).__name__, error)
        return None


def keep_only(request, params):
    """Cut the request's query string down to ``params``, before the view, the cache or the ETag sees it.

    The kept parameters are written back in one spelling, so ``?q=a%20b`` and
    ``?q=a+b&`` share a cache entry and an ETag too; each value is made
    ``readable`` (NFC, no control characters) first.
    """
    if not request.META.get("QUERY_STRING"):
        return
    kept = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        if name in params:
            kept.setlist(name, [readable(value) for value in values])
    query_string = kept.urlencode()
    if query_string != request.META["QUERY_STRING"]:
        request.GET = QueryDict(query_string)
        request.META["QUERY_STRING"] = query_string


def _address(request):
    return f"{request.scheme}://{request.get_host()}{request.get_full_path()}"


def _etag(request, *args, **kwargs):
    digest = hashlib.sha256(f"{release()}|{request.get_full_path()}".encode()).hexdigest()[:12]
    return f'"{request.public_state.version}-{digest}"'


def _last_modified(request, *args, **kwargs):
    return request.public_state.last_modified


def _from_page_cache(view):
    """The view's 200 answers, kept under the public state's version and the full address.

    The view's own headers are kept with the content (a feed's or the
    sitemap's Last-Modified, the sitemap's X-Robots-Tag, every Content-Type),
    so a cached answer is the same answer.
    """

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if page_cache_seconds() <= 0:
            return view(request, *args, **kwargs)
        address = hashlib.sha256(_address(request).encode()).hexdigest()
        key = f"{PAGE_KEY_PREFIX}:{release()}:{request.public_state.version}:{address}"
        cached = _cache_call(cache.get, key)
        if cached is not None:
            content, headers = cached
            return HttpResponse(content, headers=headers)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response.render()
        # A page over the size limit is served but not kept: a few such pages would crowd out all the others.
        if response.status_code == 200 and not response.streaming and len(response.content) <= largest_cached_page():
            _cache_call(cache.set, key, (response.content, dict(response.headers)), page_cache_seconds())
            if pages_forgotten_at_once():
                _cache_call(cache.delete, key)
        return response

    return cached_view


def public_page(view, params=()):
    """Serve a public GET view with ETag/Last-Modified, 304s and a page cache keyed by the public state.

    ``params`` names the query parameters the view reads; every other one is
    dropped before anything else sees the request.
    """
    conditional_view = condition(etag_func=_etag, last_modified_func=_last_modified)(_from_page_cache(view))
    allowed = frozenset(params)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        keep_only(request, allowed)
        request.public_state = _local.serving = public_state()
        try:
            response = conditional_view(request, *args, **kwargs)
        finally:
            _local.serving = None
        if response.status_code not in (200, 304):
            # Only pages that exist are validated: a 404 must not be revalidated into a 304 once it exists.
            del response["ETag"]
            del response["Last-Modified"]
            return response
        # Readers' browsers may keep a copy but must ask again; the answer is usually a cheap 304.
        patch_cache_control(response, public=True, no_cache=True)
        return response

    wrapper.query_parameters = allowed
    return wrapper
