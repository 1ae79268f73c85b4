from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The reader site: what readers see of the newsroom's published work. It has no models."""

    name = "public"
    verbose_name = "Reader site"

    def ready(self):
        from . import caching

        caching.connect_signals()
