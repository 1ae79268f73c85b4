from django.apps import AppConfig


class BriefingsConfig(AppConfig):
    name = "briefings"
    verbose_name = "Briefings"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import caching, search

        caching.connect_signals()
        # SQLite drops a table's triggers when a migration rebuilds it; put the search index's back.
        post_migrate.connect(search.repair_sqlite_index, sender=self, dispatch_uid="briefings-search-index")
