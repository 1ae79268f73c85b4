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
    """A feed assembled from entries written as XML once and kept (``public.fragments``).

    A feed's entries change only with their briefing's published revision and
    what its key counts. ``BriefingFeed.get_feed`` gives the generator every
    entry's key in order (``entry_keys``), the kept XML (``kept_entries``) and
    the kept entries' dates (``kept_dates``); its ``items`` are only the
    entries to write, which are then kept.
    """

    entry_element = "item"
    entry_keys = None
    kept_entries = {}
    kept_dates = ()

    def write_items(self, handler):
        if self.entry_keys is None:
            return super().write_items(handler)
        written = {item["fragment_key"]: self.entry_xml(item) for item in self.items}
        fragments.keep(written)
        for key in self.entry_keys:
            # Already XML: written as it is.
            handler.ignorableWhitespace(self.kept_entries[key] if key in self.kept_entries else written[key])

    def latest_post_date(self):
        """The latest date of every entry, kept or written (the feed's own date and its Last-Modified)."""
        if not self.kept_dates:
            return super().latest_post_date()
        latest = max(self.kept_dates)
        return max(super().latest_post_date(), latest) if self.items else latest

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
    """Published briefings with their bodies; bylines and tags are read in ``get_feed`` for entries not kept."""
    return queries.briefings(with_body=True, prefetch=False)


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

    entries_to_write = None

    def _get_dynamic_attr(self, attname, obj, default=None):
        if attname == "items" and self.entries_to_write is not None:
            return self.entries_to_write
        return super()._get_dynamic_attr(attname, obj, default)

    def get_feed(self, obj, request):
        """Entries kept as XML cost their key only: the others alone are read in full (byline, tags) and written."""
        briefings = list(self._get_dynamic_attr("items", obj))
        site_root = request.build_absolute_uri("/").rstrip("/")
        keys = [fragments.feed_entry_key(request, row, self.feed_type.__name__, site_root) for row in briefings]
        kept = fragments.kept_parts(keys)
        missing = [row for row, key in zip(briefings, keys, strict=True) if key not in kept]
        prefetch_related_objects(missing, *queries.byline_and_tags())
        # This copy of the feed serves one request (``for_request``): its entries to write are the missing ones.
        self.entries_to_write = missing
        feed = super().get_feed(obj, request)
        feed.entry_keys, feed.kept_entries = keys, kept
        feed.kept_dates = [
            date for row, key in zip(briefings, keys, strict=True) if key in kept
            for date in (row.published_at, row.last_public_change) if date
        ]
        return feed

    def get_object(self, request, *args, **kwargs):
        filterset = BriefingFilter(
            request.GET or None, queryset=entry_rows(), request=request
        )
        if filterset.is_bound and not filterset.is_valid():
            raise Http404("These filters do not describe a list of briefings.")
        return filterset

    def title(self, filterset):
        description = filterset.describe()
        return f"{settings.SITE_NAME}: briefings {', '.join(description)}" if description else settings.SITE_NAME

    def link(self, filterset):
        query = filterset.data.urlencode() if filterset.is_bound else ""
        return reverse("public:list") + (f"?{query}" if query else "")

    def description(self, filterset):
        return "Sourced briefings: every claim is linked to the exact words of the article it rests on."

    subtitle = description

    def items(self, filterset):
        return filterset.qs[:ITEMS_PER_FEED]

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
            "fragment_key": fragments.feed_entry_key(self.request, briefing, self.feed_type.__name__, site_root),
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

    def items(self, tag):
        return entry_rows().filter(queries.tagged_with([tag]))[:ITEMS_PER_FEED]


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

    def items(self, source):
        return BriefingFilter().filter_source(entry_rows(), "source", source)[:ITEMS_PER_FEED]


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

    def items(self, profile):
        return entry_rows().filter(queries.by_author(profile.user_id))[:ITEMS_PER_FEED]


class AuthorAtomFeed(AuthorFeed):
    feed_type = FullContentAtomFeed
