"""Parts of public pages rendered once and kept across publications: a page-cache miss assembles them.

The page cache (``public.caching``) keys whole pages by the site-wide public
version, which every publication, correction or re-import moves: after one,
every page is rendered again. Most of what a page shows did not change, so
the costly parts are kept on their own, keyed by what they show instead:

- a briefing's whole page: its article (body with its footnotes, byline,
  tags, corrections, retraction notice, the formatted citation), its
  metadata for the ``<head>`` (Open Graph, ``citation_*`` tags, JSON-LD) and
  the site's chrome around them: ``briefing_page``, read with the
  briefing's stamps alone (``queries.briefing_page_stamps``);
- a list entry (the briefing's summary on the home page, tag and author
  pages, and in search results, where each search's snippet goes into it):
  ``briefing_entries``, and a page of them with its pagination: ``briefing_list``;
  how many briefings a list has, per public version: ``list_count``;
- a feed entry, as XML (``public.feeds``): ``feed_entry_key``; and the whole feed document,
  under the stamps of every entry it lists and its own title and links: ``feed_key``;
- a source's whole page, read with the source's stamps alone
  (``queries.source_page_stamps``: its row, its current version and what
  cites it, ``briefings.models.CitingStamp``): ``source_page``; inside it, and
  on the pages of its earlier versions, the passages with "cited by" under
  each and their pagination: ``passage_list``; the header (title, metadata,
  version): ``source_header``, keyed by the values of the source's and the
  version's rows themselves.

Each key holds the briefing's row stamps (its published revision, ``version``,
which every workflow step moves, status and publication times, slug) or the
source's version and page, and the counts of committed changes of the kinds
of rows the part shows, read with the public state (``PublicState.topics``:
sources, tags, bylines, corrections). A part is as fresh as a cached page: a
change readers could see moves a count or a row stamp, and every process reads
the counts again within ``PUBLIC_STATE_MEMO_SECONDS``. What cites a source
changes with other briefings' steps: each such step writes the source's
citing stamp in its own transaction, and a source page is keyed by it (and by
the public version while a citing briefing's scheduled time is still to come).
The passages of a source's earlier versions compare "cited by" by content,
read on every miss in one query. A retracted briefing's byline depends on
other briefings (who still has an author page), so its parts are keyed by the
public version too.

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
import operator

from django.conf import settings
from django.core.cache import cache
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from briefings.models import Briefing

from . import caching, citations, metadata, queries, search
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
    summary = repr((caching.release(), get_script_prefix(), stamps, parts))
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
    """Characters of a part: its text, the texts of a part in pieces (a dict of them), a list's rows or a number."""
    if isinstance(part, dict):
        return sum(map(len, part.values()))
    return len(repr(part)) if isinstance(part, list | int) else len(part)


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


# What keys a briefing's parts on its own row (a new revision, a workflow step, a new slug or time): a model
# row or a row of its stamps alone (``queries.BRIEFING_STAMPS``), which key a page without reading the rows it shows.
briefing_stamps = operator.attrgetter(*queries.BRIEFING_STAMPS)


def briefing_page(request, stamps, render):
    """A briefing's whole page as HTML, kept; ``stamps`` is its row of ``queries.briefing_page_stamps``.

    The page around the article shows only the published revision's title and dek, the address and the
    site's chrome, so it is kept as one piece under the key its parts would have: a page-cache miss after a
    publication elsewhere reads one row of stamps and one kept text. ``render()`` makes the page when it is
    not kept (it reads the briefing in full).
    """
    state = state_of(request)
    site_root = request.build_absolute_uri("/").rstrip("/")
    retracted = stamps.status == Briefing.Status.RETRACTED
    # A retraction's byline names whoever still has an author page: that moves with other briefings.
    elsewhere = state.version if retracted else None
    # A correction's creation moves its briefing's row stamps; only an edit of one already there needs the count.
    topics = caching.TOPICS if stamps.has_corrections else (caching.SOURCES, caching.TAGS, caching.BYLINES)
    key = make_key("briefing-page", state, topics, briefing_stamps(stamps), site_root, elsewhere)
    return mark_safe(kept(key, render))


def briefing_parts(request, briefing):
    """``{"head": html, "article": html}`` of a briefing page (a row of ``queries.briefing_page_headers``)."""
    site_root = request.build_absolute_uri("/").rstrip("/")
    return {name: mark_safe(html) for name, html in _render_briefing(request, briefing, site_root).items()}


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


def briefing_list(request, page, *, querystring="", heading=2):
    """A page of briefings' entries and its pagination as safe HTML, or "" for an empty page.

    ``page`` is a page of ``queries.briefings(prefetch=False)``: only the stamps of its rows are read (one narrow
    query), and the whole block is kept under them, the list's count, the page's number and the query string
    its pagination links carry. Publishing, retracting or changing any briefing on the page changes its stamps;
    one elsewhere changes the count or the page's rows. Not kept, it is assembled from kept entries
    (``briefing_entries``).
    """
    stamps = list(page.object_list.values_list(*queries.BRIEFING_STAMPS))
    if not stamps:
        return ""
    key = make_key(
        "briefing-list", state_of(request), (caching.TAGS, caching.BYLINES), stamps, heading, page.number,
        page.paginator.count, querystring,
    )
    found = kept_parts([key])
    if key in found:
        return mark_safe(found[key])
    entries, as_stamped = briefing_entries(request, stamps, heading=heading)
    html = render_to_string(
        "public/includes/briefing_list.html", {"entries": entries, "page": page, "querystring": querystring}
    )
    if as_stamped:
        keep({key: html})
    return mark_safe(html)


# Where a search result's entry takes its snippet: the entry is kept without it, since the snippet depends on the
# words searched. Text of the entry is escaped, so only the template itself can write this paragraph.
SNIPPET_SLOT = '<p class="snippet">search-snippet-slot</p>'


def briefing_entries(request, briefings, *, heading=2, snippets=None):
    """``(entries, as_stamped)``: each briefing's list entry as safe HTML, in order.

    ``briefings`` are rows of ``queries.briefings(prefetch=False)`` or their ``queries.BRIEFING_STAMPS`` alone
    (tuples): the rows of stamps, and the authors and tags of any row, are read only for the entries not kept.
    A row changed since its stamps were read (a write in between) is shown as it is now but not kept under
    stamps it no longer has, and one unpublished since is not shown: ``as_stamped`` is False then.
    ``snippets`` (search results: one per briefing, marked as ``public.search`` marks them) go into the entries
    after they are read: the kept entry is the same for every search.
    """
    state = state_of(request)
    with_snippet = snippets is not None
    given = {}
    for row in briefings:
        stamps = row if isinstance(row, tuple) else briefing_stamps(row)
        key = make_key("entry", state, (caching.TAGS, caching.BYLINES), stamps, heading, with_snippet)
        given[key] = (stamps, row)
    changed = {}

    def render(missing):
        to_read = [given[key][0][0] for key in missing if isinstance(given[key][1], tuple)]
        read = queries.briefings(prefetch=False).in_bulk(to_read) if to_read else {}
        rows = {}
        for key in missing:
            stamps, row = given[key]
            rows[key] = read.get(stamps[0]) if isinstance(row, tuple) else row
        prefetch_related_objects([row for row in rows.values() if row is not None], *queries.byline_and_tags())
        context = {"heading": heading, "snippet_slot": mark_safe(SNIPPET_SLOT) if with_snippet else ""}
        made = {}
        for key, row in rows.items():
            if row is not None:
                html = render_to_string("public/includes/briefing_summary.html", {**context, "briefing": row})
                (made if briefing_stamps(row) == given[key][0] else changed)[key] = html
        return made

    found = {**kept_many(list(given), render), **changed}
    texts = snippets if with_snippet else [None] * len(given)
    entries = [
        with_search_snippet(found[key], text) if with_snippet else found[key]
        for key, text in zip(given, texts, strict=True) if key in found
    ]
    return [mark_safe(entry) for entry in entries], not changed and len(entries) == len(given)


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


def carried_tags(request, slugs):
    """``queries.carried_tags``, read once per public version and chosen slugs, as the form's offers are.

    Which tags are carried changes only with what is published or renamed, which moves the public version. A
    list filtered by a tag then validates its choice without a query; the first miss after a publication
    reads it again.
    """
    state = state_of(request)
    key = make_key("carried-tags", state, (), state.version, tuple(slugs))
    return kept(key, lambda: queries.carried_tags(slugs))


def list_count(request, count):
    """How many briefings the list at this address has (any page of it): ``count()``, read once per public version.

    Which briefings a list shows (by tag, author, source, words or dates) changes only with what is published,
    retracted, corrected or renamed, and with a scheduled publication reached: each moves the public version.
    Every page of the list, and every miss of the page after its first, then counts nothing.
    """
    state = state_of(request)
    query = request.GET.copy()
    query.pop("page", None)
    key = make_key("list-count", state, (), state.version, request.path, query.urlencode())
    return kept(key, count)


def passages_cited_in(request, passages):
    """``search.cited_in`` for a page of search results, who cites the passages read once per public version.

    Which published briefings quote a passage, and their titles and addresses, change only with what is
    published, corrected, retracted or edited after publication, and with a scheduled publication reached: each
    moves the public version. Another search showing the same passages then reads nothing for them.
    """
    state = state_of(request)

    def read(passage_ids, now):
        key = make_key("cited-in", state, (), state.version, tuple(passage_ids))
        return kept(key, lambda: search.citing_briefings(passage_ids, now))

    return search.cited_in(passages, read=read)


def popular_tags(request, limit):
    """``[(slug, name)]`` of ``queries.popular_tags``, counted once per public version rather than per list page.

    Every list page offers them (home, filtered lists, their many query strings); they change only with what
    is published, which moves the public version.
    """
    state = state_of(request)
    key = make_key("popular-tags", state, (), state.version, limit)
    return kept(key, lambda: [(tag.slug, tag.name) for tag in queries.popular_tags(limit)])


# Feed entries -----------------------------------------------------------------


# A feed entry's body has footnotes naming sources; its authors and categories are bylines and tags.
FEED_TOPICS = (caching.SOURCES, caching.TAGS, caching.BYLINES)


def feed_entry_key(request, briefing, feed_kind, site_root):
    """A feed entry's XML (``briefing`` is a row or its ``queries.BRIEFING_STAMPS``)."""
    return make_key(f"feed-{feed_kind}", state_of(request), FEED_TOPICS, briefing_stamps(briefing), site_root)


def feed_key(request, briefings, feed_kind, site_root, attributes):
    """A whole feed document: what the key of each of its entries holds, in order, and the feed's own elements.

    ``attributes`` are the feed's title, links, description and the like (the generator's ``feed``, read on every
    request: a tag or author renamed in a feed's title shows at once). Its date is its entries' latest, and their
    dates are among their stamps.
    """
    return make_key(
        f"feed-document-{feed_kind}", state_of(request), FEED_TOPICS,
        [briefing_stamps(briefing) for briefing in briefings], site_root, sorted(attributes.items()),
    )


# Source pages -----------------------------------------------------------------


def row_values(row):
    """Every value ``row`` was read with (deferred fields left out): any change to the row changes them."""
    deferred = row.get_deferred_fields()
    return tuple(
        getattr(row, field.attname) for field in row._meta.concrete_fields if field.attname not in deferred
    )


def source_header(source, version):
    """A source page's header (its title, metadata and which version readers see, the current one), as safe HTML.

    Keyed by the values of the source's and the version's rows as this request read them, not by a count of
    changes: an edit, a re-import or a withheld version is in the key itself.
    """
    key = make_key("source-header", None, (), row_values(source), version and row_values(version))
    return mark_safe(kept(key, lambda: render_to_string(
        "public/includes/source_header.html", {"source": source, "version": version}
    )))


def source_page(request, stamps, number, render):
    """A source's whole page (its current version, page ``number``) as HTML, kept under the source's stamps.

    ``stamps`` is its row of ``queries.source_page_stamps``: the source's columns, its current version and
    what cites it, which every step of a citing briefing readers see changes. Until the latest scheduled
    publication of a citing briefing comes, the page changes without a write, so it is keyed by the public
    version then. ``render()`` makes the page when it is not kept (a page asked for with ``?cite=`` is not kept).
    """
    state = state_of(request)
    site_root = request.build_absolute_uri("/").rstrip("/")
    pending = stamps.citing_pending_until
    scheduled = state.version if pending is not None and timezone.now() < pending else None
    key = make_key("source-page", state, (caching.SOURCES,), tuple(stamps), site_root, str(number), scheduled)
    return mark_safe(kept(key, render))


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
