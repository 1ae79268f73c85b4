"""The reader site. Every route but previews answers conditional GETs and comes from the page cache."""
from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import api, feeds, views
from .caching import public_page
from .filters import BriefingFilter
from .sitemaps import sitemaps

app_name = "public"

# The query parameters each kind of page reads; any other (utm_source, fbclid…) is dropped before the view.
FILTERED_LIST = (*BriefingFilter.base_filters, "page")
PAGED = ("page",)

urlpatterns = [
    path("", public_page(views.BriefingListView.as_view(), FILTERED_LIST), name="list"),
    path("briefings/<slug:slug>/", public_page(views.BriefingDetailView.as_view()), name="detail"),
    path("sources/", public_page(views.SourceListView.as_view(), PAGED), name="source_list"),
    path(
        "sources/<slug:slug>/", public_page(views.SourceDetailView.as_view(), ("cite", "page")), name="source_detail"
    ),
    # A redirect, never cached: it costs two queries and its target is cached.
    path("sources/<slug:slug>/p/<int:anchor_number>/", views.source_passage, name="passage"),
    path("sources/<slug:slug>/versions/", public_page(views.SourceVersionListView.as_view()), name="source_versions"),
    path(
        "sources/<slug:slug>/versions/<int:number>/",
        public_page(views.SourceVersionView.as_view(), ("cite", "page")),
        name="source_version",
    ),
    path("sources/<slug:slug>/diff/<int:old>/<int:new>/", public_page(views.source_diff), name="source_diff"),
    path("sources/<slug:slug>/feed/", public_page(feeds.SourceFeed()), name="source_feed"),
    path("sources/<slug:slug>/feed/atom/", public_page(feeds.SourceAtomFeed()), name="source_feed_atom"),
    path("tags/", public_page(views.TagListView.as_view(), PAGED), name="tag_list"),
    path("tags/<slug:slug>/", public_page(views.TagDetailView.as_view(), PAGED), name="tag_detail"),
    path("tags/<slug:slug>/feed/", public_page(feeds.TagFeed()), name="tag_feed"),
    path("tags/<slug:slug>/feed/atom/", public_page(feeds.TagAtomFeed()), name="tag_feed_atom"),
    path("search/", public_page(views.SearchView.as_view(), ("q", "page", "passages_page")), name="search"),
    path("corrections/", public_page(views.CorrectionListView.as_view(), PAGED), name="corrections"),
    path("corrections/feed/", public_page(feeds.CorrectionFeed()), name="corrections_feed"),
    path("corrections/feed/atom/", public_page(feeds.CorrectionAtomFeed()), name="corrections_feed_atom"),
    path("feed/", public_page(feeds.BriefingFeed(), FILTERED_LIST), name="feed"),
    path("feed/atom/", public_page(feeds.BriefingAtomFeed(), FILTERED_LIST), name="feed_atom"),
    path("api/briefings/", public_page(api.briefing_list, FILTERED_LIST), name="api_list"),
    path("api/briefings/<slug:slug>/", public_page(api.briefing_detail), name="api_detail"),
    path("api/briefings/<slug:slug>/annotations/", public_page(api.briefing_annotations), name="api_annotations"),
    path("sitemap.xml", public_page(sitemap, ("p",)), {"sitemaps": sitemaps}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    # Never cached: a preview is for whoever holds the link (see briefings.preview).
    path("preview/<str:token>/", views.preview, name="preview"),
]
