from django.contrib import admin
from django.urls import include, path

from briefings.preview import preview_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sources/", include("sources.urls")),
    path("preview/<str:token>/", preview_view, name="briefing_preview"),
]
