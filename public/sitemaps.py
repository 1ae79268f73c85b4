"""sitemap.xml: published briefings, the tags they carry, the sources and the list pages, with lastmod."""
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.urls import reverse

from briefings.models import Briefing
from sources.models import Source

from . import queries


class BriefingSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        published = Briefing.objects.published()
        return published.only("slug", "published_at", "public_updated_at").order_by("-published_at", "-pk")

    def lastmod(self, briefing):
        return briefing.last_public_change


class TagSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        published = Briefing.objects.published()
        return queries.tags_in_use().annotate(
            last_change=Max(
                "revision_tags__revision__published_as__public_updated_at",
                filter=Q(revision_tags__revision__published_as__in=published),
            )
        )

    def location(self, tag):
        return reverse("public:tag_detail", kwargs={"slug": tag.slug})

    def lastmod(self, tag):
        return tag.last_change


class SourceSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return Source.objects.only("slug", "updated_at").order_by("slug")

    def lastmod(self, source):
        return source.updated_at


class PageSitemap(Sitemap):
    """The list pages."""

    changefreq = "daily"
    priority = 0.6

    def items(self):
        return ["public:list", "public:tag_list", "public:source_list", "public:corrections"]

    def location(self, name):
        return reverse(name)


sitemaps = {
    "pages": PageSitemap,
    "briefings": BriefingSitemap,
    "tags": TagSitemap,
    "sources": SourceSitemap,
}
