"""Parts of public pages rendered once and kept across publications: a page-cache miss assembles them.

The page cache (``public.caching``) keys whole pages by the site-wide public
version, which every publication, correction or re-import moves: after one,
every page is rendered again. Most of what a page shows did not change, so
the costly parts are kept on their own, keyed by what they show instead:

- a briefing page's article (body with its footnotes, byline, tags,
  corrections, retraction notice, the formatted citation) and its metadata
  for the ``<head>`` (Open Graph, ``citation_*`` tags, JSON-LD):
  ``briefing_parts``;
- a list entry (the briefing's summary on the home page, tag and author
  pages, and in search results, where each search's snippet goes into it):
  ``briefing_entries``;
- a feed entry, as XML (``public.feeds``): ``kept_many`` with ``feed_entry_key``;
- a source page's passages with "cited by" under each, and its pagination:
  ``passage_list``.

Each key holds the briefing's row stamps (its published revision, ``version``,
which every workflow step moves, status and publication times, slug) or the
source's version and page, and the counts of committed changes of the kinds
of rows the part shows, read with the public state (``PublicState.topics``:
sources, tags, bylines, corrections). A part is as fresh as a cached page: a
change readers could see moves a count or a row stamp, and every process reads
the counts again within ``PUBLIC_STATE_MEMO_SECONDS``. "Cited by" lists are
compared by content, read on every miss in one query (publications elsewhere
change them). A retracted briefing's byline depends on other briefings (who
still has an author page), so its parts are keyed by the public version too.

Only rows that the public queries return are ever rendered, so a part of an
unpublished revision is never made: a draft has no public row, and its
revision id is never in a key. While this thread has uncommitted public
changes nothing is kept or read (a rolled-back change must not leave a part
behind). Parts larger than ``PUBLIC_PAGE_MAX_CACHED_BYTES`` are not kept, as
pages are not. ``PUBLIC_FRAGMENT_CACHE_SECONDS`` (0 turns keeping off) is
apart from the page cache's lifetime, so a process without a page cache
still assembles pages from kept parts.
"""
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from . import caching, citations, metadata, queries
from .templatetags.public_site import site_url, snippet

logger = logging.getLogger(__name__)

FRAGMENT_KEY_PREFIX = "public-fragment"


def fragment_seconds():
    return getattr(settings, "PUBLIC_FRAGMENT_CACHE_SECONDS", 3600)


def keeping():
    """Whether parts are kept and read now: on, and nothing of this thread's waits for a commit."""
    return fragment_seconds() > 0 and not caching.has_uncommitted_changes()


def state_of(request):
    return getattr(request, "public_state", None) or caching.public_state()


def make_key(kind, state, topics, *parts):
    """A cache key for one part: its kind, the counts of ``topics`` and the row stamps in ``parts``."""
    stamps = [state.topics.get(topic) for topic in topics]
    summary = repr((get_script_prefix(), stamps, parts))
    return f"{FRAGMENT_KEY_PREFIX}:{kind}:{hashlib.sha256(summary.encode()).hexdigest()}"


def kept_many(keys, render):
    """``{key: text}`` for ``keys``: kept parts in one cache round trip, the others made by ``render(missing)``.

    ``render`` gets the keys that were not kept and returns ``{key: text}`` for them; each is kept unless it
    is over the size limit. A failing cache costs a render, never a page.
    """
    found = kept_parts(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        made = render(missing)
        keep(made)
        found.update(made)
    return found


def kept_parts(keys):
    """The parts kept under ``keys`` (one cache round trip), or none while keeping is off."""
    if not keys or not keeping():
        return {}
    return _cache_call(cache.get_many, list(keys)) or {}


def keep(parts):
    """Keep ``{key: part}``, but no part over the size limit of cached pages."""
    if not keeping():
        return
    limit = caching.largest_cached_page()
    small = {key: part for key, part in parts.items() if _size(part) <= limit}
    if small:
        _cache_call(cache.set_many, small, fragment_seconds())


def _size(part):
    """Characters of a part: its text, the texts of a part in pieces (a dict of them), or a list's rows."""
    if isinstance(part, dict):
        return sum(map(len, part.values()))
    return len(repr(part)) if isinstance(part, list) else len(part)


def kept(key, render):
    """One part: kept, or made by ``render()`` and kept."""
    return kept_many([key], lambda missing: {key: render()})[key]


def _cache_call(method, *args):
    try:
        return method(*args)
    except Exception as error:
        logger.warning("Fragment cache unavailable (%s: %s); rendering without it.", type(error).__name__, error)
        return None


# Briefing pages ---------------------------------------------------------------


def briefing_stamps(briefing):
    """What keys a briefing's parts on its own row: a new revision, a workflow step, a new slug or time."""
    return (
        briefing.pk, briefing.published_revision_id, briefing.version, briefing.status, briefing.slug,
        briefing.published_at, briefing.public_updated_at,
    )


def briefing_parts(request, briefing):
    """``{"head": html, "article": html}`` of a briefing page (a row of ``queries.briefing_page_headers``)."""
    state = state_of(request)
    site_root = request.build_absolute_uri("/").rstrip("/")
    # A retraction's byline names whoever still has an author page: that moves with other briefings.
    elsewhere = state.version if briefing.is_retracted else None
    # A correction's creation moves its briefing's row stamps; only an edit of one already there needs the count.
    topics = caching.TOPICS if briefing.has_corrections else (caching.SOURCES, caching.TAGS, caching.BYLINES)
    key = make_key("briefing", state, topics, briefing_stamps(briefing), site_root, elsewhere)
    parts = kept(key, lambda: _render_briefing(request, briefing, site_root))
    return {name: mark_safe(html) for name, html in parts.items()}


def _render_briefing(request, briefing, site_root):
    prefetch_related_objects([briefing], *queries.byline_and_tags())
    corrections = queries.page_corrections(briefing) if briefing.has_corrections else []
    context = {
        "briefing": briefing,
        "briefing_url": site_url("public:detail", briefing.slug),
        "revision": briefing.published_revision,
        # Each read of a related manager builds a new one: read the prefetched rows once.
        "authors": list(briefing.authors.all()),
        "tags": list(briefing.published_revision.tags.all()),
        "citations": queries.page_citations(briefing.published_revision),
        "corrections": [c for c in corrections if c.kind == c.Kind.CORRECTION],
        "retraction": next((c for c in corrections if c.kind == c.Kind.RETRACTION), None),
        "is_retracted": briefing.is_retracted,
    }
    # A retraction's byline may name someone with no published briefing, so no author page: one query says.
    context["authors_without_page"] = (
        queries.authors_without_page(context["authors"]) if briefing.is_retracted else set()
    )
    # Cite this briefing, and the tags Zotero and Google Scholar read: from the rows already read.
    cite = citations.briefing_item(briefing, site_root)
    context.update(citation=citations.formatted(cite), citation_meta=metadata.citation_meta(cite))
    context["structured_data"] = metadata.article(
        request,
        briefing,
        authors=context["authors"],
        tags=context["tags"],
        citations=context["citations"],
        corrections=corrections,
        authors_without_page=context["authors_without_page"],
    )
    return {
        "head": render_to_string("public/includes/briefing_head.html", context, request),
        "article": render_to_string("public/includes/briefing_article.html", context, request),
    }


# List entries -----------------------------------------------------------------


# Where a search result's entry takes its snippet: the entry is kept without it, since the snippet depends on the
# words searched. Text of the entry is escaped, so only the template itself can write this paragraph.
SNIPPET_SLOT = '<p class="snippet">search-snippet-slot</p>'


def briefing_entries(request, briefings, *, heading=2, snippets=None):
    """Each briefing's list entry as safe HTML, in order; authors and tags are read only for those not kept.

    ``briefings`` are rows of ``queries.briefings(prefetch=False)`` (or with prefetching: then nothing is read).
    ``snippets`` (search results: one per briefing, marked as ``public.search`` marks them) go into the entries
    after they are read: the kept entry is the same for every search.
    """
    briefings = list(briefings)
    state = state_of(request)
    with_snippet = snippets is not None
    keys = [
        make_key("entry", state, (caching.TAGS, caching.BYLINES), briefing_stamps(briefing), heading, with_snippet)
        for briefing in briefings
    ]
    by_key = dict(zip(keys, briefings, strict=True))

    def render(missing):
        rows = [by_key[key] for key in missing]
        prefetch_related_objects(rows, *queries.byline_and_tags())
        return {
            key: render_to_string(
                "public/includes/briefing_summary.html",
                {"briefing": row, "heading": heading, "snippet_slot": mark_safe(SNIPPET_SLOT) if with_snippet else ""},
            )
            for key, row in zip(missing, rows, strict=True)
        }

    found = kept_many(keys, render)
    entries = [found[key] for key in keys]
    if with_snippet:
        entries = [with_search_snippet(entry, text) for entry, text in zip(entries, snippets, strict=True)]
    return [mark_safe(entry) for entry in entries]


def with_search_snippet(entry, text):
    """A kept entry with its search snippet in the slot (none where the search cut no snippet)."""
    paragraph = format_html('<p class="snippet">{}</p>', snippet(text)) if text else ""
    return entry.replace(SNIPPET_SLOT, paragraph, 1)


# The list's filter form -------------------------------------------------------


def filter_form(request, filterset, context):
    """The filter form of the home page as safe HTML: rendering its widgets costs more than the rest of the list.

    Kept under the reader's query and everything the form offers, so a new popular tag or a new author shows
    at once. What it offers is itself read once per public version and query (``filter_offers``): a page
    assembled from a kept form builds no form at all (its fields' querysets cost more than the rest).
    """
    offered = filter_offers(request, filterset)
    key = make_key(
        "filter-form", state_of(request), (), request.GET.urlencode(), offered,
        context["filter_description"], filterset.form.errors.get_json_data() if filterset.is_bound else None,
    )

    def render():
        filterset.offer(offered)
        return render_to_string("public/includes/filter_form.html", context, request)

    return mark_safe(kept(key, render))


def filter_offers(request, filterset):
    """What the filter form offers (``BriefingFilter.offered``), read once per public version and chosen tags.

    The tags and authors offered and the chosen source change only with what is published or renamed, and
    every such change moves the public version, as it retires the pages themselves. Every list page choosing
    the same tags and source (other pages of it, other dates, authors or words) shares them.
    """
    state = state_of(request)
    key = make_key("filter-offers", state, (), state.version, filterset.offers_depend_on())
    return kept(key, filterset.offered)


def popular_tags(request, limit):
    """``[(slug, name)]`` of ``queries.popular_tags``, counted once per public version rather than per list page.

    Every list page offers them (home, filtered lists, their many query strings); they change only with what
    is published, which moves the public version.
    """
    state = state_of(request)
    key = make_key("popular-tags", state, (), state.version, limit)
    return kept(key, lambda: [(tag.slug, tag.name) for tag in queries.popular_tags(limit)])


# Feed entries -----------------------------------------------------------------


def feed_entry_key(request, briefing, feed_kind, site_root):
    """A feed entry's XML: its body's footnotes name sources, its authors and categories bylines and tags."""
    return make_key(
        f"feed-{feed_kind}", state_of(request), (caching.SOURCES, caching.TAGS, caching.BYLINES),
        briefing_stamps(briefing), site_root,
    )


# Source pages -----------------------------------------------------------------


def passage_list(request, source, version, number, cited, render, *, label):
    """A source (version) page's passages with "cited by" and its pagination, as safe HTML.

    ``cited`` is the page's "cited by" map, read on every request (one query): publications elsewhere change
    it, and it is part of the key by content. ``render()`` reads the page's passages and renders them; ``label``
    names the pagination (a source's current version has two pages that differ only in it).
    """
    digest = hashlib.sha256(repr(sorted(cited.items())).encode()).hexdigest()
    key = make_key(
        "passages", state_of(request), (caching.SOURCES,), source.pk, version.pk if version else None,
        str(number), digest, label,
    )
    return mark_safe(kept(key, render))
