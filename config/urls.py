from django.contrib import admin
from django.urls import include, path

from briefings.preview import preview_view
from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The public site first: it serves /sources/<slug>/ with "cited by" and highlighted quotes.
    path("", include("briefings.urls")),
    path("sources/", include("sources.urls")),
    path("preview/<str:token>/", preview_view, name="briefing_preview"),
]
