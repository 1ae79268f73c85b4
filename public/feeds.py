"""RSS 2.0 and Atom feeds of published briefings and of corrections.

``/feed/`` and ``/feed/atom/`` accept the filter parameters of the home page,
so any filtered list is also a feed. Entries carry the full, already
sanitised body of the published revision with absolute links, a guid that
survives a change of slug, first publication and last public change (a
correction moves it), the authors and the tags as categories.
"""
import copy
import io
import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, rfc3339_date
from django.utils.html import escape
from django.utils.xmlutils import SimplerXMLGenerator

from briefings.models import byline_name

from . import fragments, queries
from .filters import BriefingFilter

ITEMS_PER_FEED = 50
RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")(/(?!/)|#)')


def absolute_html(html, site_root, page_url):
    """Make every link of a body absolute: feed readers show it away from the site."""

    def replace(match):
        prefix, start = match.groups()
        return prefix + (page_url + "#" if start == "#" else site_root + "/")

    return RELATIVE_LINK.sub(replace, html)


class BufferedWrite:
    """Write the whole document at once: the XML writer's many small writes are slow on a response."""

    def write(self, outfile, encoding):
        buffer = io.StringIO()
        super().write(buffer, encoding)
        outfile.write(buffer.getvalue())


class KeptEntries:
    """A feed assembled from entries written as XML once and kept (``public.fragments``), or kept whole.

    ``BriefingFeed.get_feed`` gives the generator the dates of every entry (``entry_dates``), the key of the
    whole document (``document_key``) and, when it is kept, the document itself (``kept_document``): then
    nothing else is written. Otherwise it gives every entry's key in order (``entry_keys``) and the kept XML
    (``kept_entries``); its ``items`` are only the entries to write, which are then kept, as is the document.
    """

    entry_element = "item"
    entry_keys = None
    kept_entries = {}
    entry_dates = ()
    document_key = None
    kept_document = None

    def write(self, outfile, encoding):
        if self.kept_document is None:
            buffer = io.StringIO()
            super().write(buffer, encoding)
            # Kept encoded: a cache reads bytes back as one copy, where text is decoded character by character.
            self.kept_document = buffer.getvalue().encode(encoding)
            if self.document_key is not None:
                fragments.keep({self.document_key: self.kept_document})
        outfile.write(self.kept_document)

    def write_items(self, handler):
        if self.entry_keys is None:
            return super().write_items(handler)
        written = {item["fragment_key"]: self.entry_xml(item) for item in self.items}
        fragments.keep(written)
        for key in self.entry_keys:
            if key not in self.kept_entries and key not in written:
                # Gone between reading the stamps and the rows: left out, and the document is not kept.
                self.document_key = None
                continue
            # Already XML: written as it is.
            handler.ignorableWhitespace(self.kept_entries[key] if key in self.kept_entries else written[key])

    def latest_post_date(self):
        """The latest date of every entry, kept or written (the feed's own date and its Last-Modified)."""
        return max(self.entry_dates) if self.entry_dates else super().latest_post_date()

    def write_entry(self, handler, item):
        handler.startElement(self.entry_element, self.item_attributes(item))
        self.add_item_elements(handler, item)
        handler.endElement(self.entry_element)

    def entry_xml(self, item):
        buffer = io.StringIO()
        self.write_entry(SimplerXMLGenerator(buffer, "utf-8", short_empty_elements=True), item)
        return buffer.getvalue()


def content_html(item):
    """An entry's full body with absolute links, worked out only when the entry is written (not when kept)."""
    body = item.get("body")
    return absolute_html(*body) if body else ""


def entry_rows():
    """Published briefings, newest first: a feed reads their stamps alone (``queries.BRIEFING_STAMPS``).

    Full rows, with bodies, bylines and tags, are read in ``get_feed`` for the entries not kept (``rows_to_write``).
    """
    return queries.briefings(prefetch=False)


def rows_to_write(pks):
    """The published briefings ``pks`` with their bodies, bylines and tags, newest first: entries to write."""
    if not pks:
        return []
    rows = list(queries.briefings(with_body=True, prefetch=False).filter(pk__in=pks))
    prefetch_related_objects(rows, *queries.byline_and_tags())
    return rows


def for_request(feed, request):
    """A copy of the (shared, module-level) feed that knows its request: entries need the host."""
    feed = copy.copy(feed)
    feed.request = request
    return feed


class RssWithUpdates(BufferedWrite, Rss201rev2Feed):
    """RSS 2.0 has no "updated" date; ``atom:updated`` carries it (corrections move it)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("updateddate"):
            handler.addQuickElement("atom:updated", rfc3339_date(item["updateddate"]))


class FullContentRssFeed(KeptEntries, RssWithUpdates):
    """RSS 2.0 with the whole body in ``content:encoded``; ``description`` keeps the summary."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:content": "http://purl.org/rss/1.0/modules/content/"}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if content := content_html(item):
            handler.addQuickElement("content:encoded", content)


class AtomFeed(BufferedWrite, Atom1Feed):
    pass


class FullContentAtomFeed(KeptEntries, AtomFeed):
    """Atom with the whole body in ``content``; ``summary`` keeps the dek."""

    entry_element = "entry"

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if content := content_html(item):
            handler.addQuickElement("content", content, {"type": "html"})


class BriefingFeed(Feed):
    """The latest published briefings, narrowed by the home page's filter parameters."""

    feed_type = FullContentRssFeed

    def __call__(self, request, *args, **kwargs):
        return Feed.__call__(for_request(self, request), request, *args, **kwargs)

    # What ``items`` gives the generator: none while the document's key is worked out, then the entries to write.
    entries_to_write = ()

    def items(self, obj):
        return self.entries_to_write

    def entries(self, filterset):
        """The feed's briefings, unsliced (``entry_rows`` narrowed): ``get_feed`` reads the first of them."""
        return filterset.qs if filterset is not None else entry_rows()

    def get_feed(self, obj, request):
        """A kept document costs the entries' stamps; otherwise entries not kept alone are read in full and written.

        This copy of the feed serves one request (``for_request``), so it may remember what to write.
        """
        stamps = list(self.entries(obj).values_list(*queries.BRIEFING_STAMPS, named=True)[:ITEMS_PER_FEED])
        site_root = request.build_absolute_uri("/").rstrip("/")
        kind = self.feed_type.__name__
        # The feed's own elements first, without entries: they are part of the document's key.
        feed = super().get_feed(obj, request)
        # An empty feed's date is the time of the request: it is not kept.
        document_key = fragments.feed_key(request, stamps, kind, site_root, feed.feed) if stamps else None
        kept_document = fragments.kept_parts([document_key] if document_key else []).get(document_key)
        if kept_document is None:
            keys = [fragments.feed_entry_key(request, row, kind, site_root) for row in stamps]
            kept = fragments.kept_parts(keys)
            self.entry_key_of = {row.pk: key for row, key in zip(stamps, keys, strict=True)}
            self.entries_to_write = rows_to_write([pk for pk, key in self.entry_key_of.items() if key not in kept])
            feed = super().get_feed(obj, request)
            feed.entry_keys, feed.kept_entries = keys, kept
        feed.document_key, feed.kept_document = document_key, kept_document
        feed.entry_dates = [date for row in stamps for date in (row.published_at, row.public_updated_at) if date]
        return feed

    def get_object(self, request, *args, **kwargs):
        if not request.GET:
            return None  # The whole list: no filter set to build, which costs more than the rest of a kept feed.
        filterset = BriefingFilter(request.GET, queryset=entry_rows(), request=request)
        if not filterset.is_valid():
            raise Http404("These filters do not describe a list of briefings.")
        return filterset

    def title(self, filterset):
        description = filterset.describe() if filterset is not None else []
        return f"{settings.SITE_NAME}: briefings {', '.join(description)}" if description else settings.SITE_NAME

    def link(self, filterset):
        query = filterset.data.urlencode() if filterset is not None else ""
        return reverse("public:list") + (f"?{query}" if query else "")

    def description(self, filterset):
        return "Sourced briefings: every claim is linked to the exact words of the article it rests on."

    subtitle = description

    # Each entry ------------------------------------------------------------

    def item_title(self, briefing):
        return briefing.published_revision.title

    def item_description(self, briefing):
        return escape(briefing.published_revision.dek or briefing.published_revision.title)

    def item_link(self, briefing):
        return briefing.get_absolute_url()

    def item_guid(self, briefing):
        # Survives a change of slug or title: the site's host, the first publication date and the row.
        host = self.request.get_host().split(":")[0]
        return f"tag:{host},{briefing.published_at:%Y-%m-%d}:briefing-{briefing.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, briefing):
        return briefing.published_at

    def item_updateddate(self, briefing):
        return briefing.last_public_change

    def item_author_name(self, briefing):
        names = [byline_name(user) for user in briefing.authors.all()]
        return ", ".join(names) or None

    def item_categories(self, briefing):
        return [tag.name for tag in briefing.published_revision.tags.all()]

    def item_extra_kwargs(self, briefing):
        site_root = self.request.build_absolute_uri("/").rstrip("/")
        page_url = site_root + briefing.get_absolute_url()
        return {
            "body": (briefing.published_revision.body_html, site_root, page_url),
            # Under the stamps read first: a row changed since is written again once its new stamps are read.
            "fragment_key": self.entry_key_of[briefing.pk],
        }


class BriefingAtomFeed(BriefingFeed):
    feed_type = FullContentAtomFeed


class TagFeed(BriefingFeed):
    """Published briefings with one tag."""

    def get_object(self, request, slug):
        return get_object_or_404(queries.tags_carried(), slug=slug)

    def title(self, tag):
        return f"{settings.SITE_NAME}: briefings tagged {tag.name}"

    def link(self, tag):
        return reverse("public:tag_detail", kwargs={"slug": tag.slug})

    def entries(self, tag):
        return entry_rows().filter(queries.tagged_with([tag]))


class TagAtomFeed(TagFeed):
    feed_type = FullContentAtomFeed


class SourceFeed(BriefingFeed):
    """Published briefings that quote one source."""

    def get_object(self, request, slug):
        from sources.models import Source

        return get_object_or_404(Source, slug=slug)

    def title(self, source):
        return f"{settings.SITE_NAME}: briefings citing {source.display_title}"

    def link(self, source):
        return source.get_absolute_url()

    def entries(self, source):
        return BriefingFilter().filter_source(entry_rows(), "source", source)


class SourceAtomFeed(SourceFeed):
    feed_type = FullContentAtomFeed


class CorrectionFeed(Feed):
    """Corrections and retraction notices, newest first."""

    feed_type = RssWithUpdates

    def __call__(self, request, *args, **kwargs):
        return Feed.__call__(for_request(self, request), request, *args, **kwargs)

    def title(self):
        return f"{settings.SITE_NAME}: corrections and retractions"

    def link(self):
        return reverse("public:corrections")

    def description(self):
        return "Every correction and retraction of a published briefing."

    subtitle = description

    def items(self):
        return queries.public_corrections()[:ITEMS_PER_FEED]

    def item_title(self, correction):
        verb = "Retracted" if correction.kind == correction.Kind.RETRACTION else "Correction"
        return f"{verb}: {correction.briefing.published_revision.title}"

    def item_description(self, correction):
        return escape(correction.note)

    def item_link(self, correction):
        return correction.get_absolute_url()

    def item_guid(self, correction):
        host = self.request.get_host().split(":")[0]
        return f"tag:{host},{correction.created_at:%Y-%m-%d}:correction-{correction.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, correction):
        return correction.created_at

    def item_updateddate(self, correction):
        return correction.created_at


class CorrectionAtomFeed(CorrectionFeed):
    feed_type = AtomFeed


class AuthorFeed(BriefingFeed):
    """One author's published briefings; no feed for someone with none published."""

    def get_object(self, request, slug):
        return get_object_or_404(queries.public_authors(), slug=slug)

    def title(self, profile):
        return f"{settings.SITE_NAME}: briefings by {profile.name}"

    def link(self, profile):
        return profile.get_absolute_url()

    def entries(self, profile):
        return entry_rows().filter(queries.by_author(profile.user_id))


class AuthorAtomFeed(AuthorFeed):
    feed_type = FullContentAtomFeed
