from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("public.urls")),
]

# A database outage answers 503 with Retry-After, not 500 (config.health).
handler500 = "config.health.server_error"
