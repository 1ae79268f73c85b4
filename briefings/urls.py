"""The public site. Every route answers conditional GETs and is served from the page cache (``caching``)."""
from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import api, feeds, views
from .caching import public_page
from .sitemaps import sitemaps

app_name = "briefings"

urlpatterns = [
    path("", public_page(views.BriefingListView.as_view()), name="list"),
    path("briefings/<slug:slug>/", public_page(views.BriefingDetailView.as_view()), name="detail"),
    # Served here rather than by the sources app, which must not know about briefings: "cited by" and highlights.
    path("sources/<slug:slug>/", public_page(views.PublicSourceDetailView.as_view()), name="source_detail"),
    path("sources/<slug:slug>/feed/", public_page(feeds.SourceFeed()), name="source_feed"),
    path("sources/<slug:slug>/feed/atom/", public_page(feeds.SourceAtomFeed()), name="source_feed_atom"),
    path("tags/", public_page(views.TagListView.as_view()), name="tag_list"),
    path("tags/<slug:slug>/", public_page(views.TagDetailView.as_view()), name="tag_detail"),
    path("tags/<slug:slug>/feed/", public_page(feeds.TagFeed()), name="tag_feed"),
    path("tags/<slug:slug>/feed/atom/", public_page(feeds.TagAtomFeed()), name="tag_feed_atom"),
    path("search/", public_page(views.SearchView.as_view()), name="search"),
    path("corrections/", public_page(views.CorrectionListView.as_view()), name="corrections"),
    path("corrections/feed/", public_page(feeds.CorrectionFeed()), name="corrections_feed"),
    path("corrections/feed/atom/", public_page(feeds.CorrectionAtomFeed()), name="corrections_feed_atom"),
    path("feed/", public_page(feeds.BriefingFeed()), name="feed"),
    path("feed/atom/", public_page(feeds.BriefingAtomFeed()), name="feed_atom"),
    path("api/briefings/", public_page(api.briefing_list), name="api_list"),
    path("api/briefings/<slug:slug>/", public_page(api.briefing_detail), name="api_detail"),
    path("api/briefings/<slug:slug>/annotations/", public_page(api.briefing_annotations), name="api_annotations"),
    path("sitemap.xml", public_page(sitemap), {"sitemaps": sitemaps}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
]
