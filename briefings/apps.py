from django.apps import AppConfig


class BriefingsConfig(AppConfig):
    name = "briefings"
    verbose_name = "Briefings"

    def ready(self):
        from django.db.models.signals import post_migrate, post_save

        from sources.models import Source, SourceVersion
        from sources.signals import source_replacement_previewed, source_text_changed

        from . import reanchor, revisions, search_index, staff_hint

        # Citations follow their words when a source is imported again.
        source_text_changed.connect(reanchor.reanchor_on_reimport, sender=Source, dispatch_uid="briefings-reanchor")
        # The admin's preview of a replaced text lists the citations it would move.
        source_replacement_previewed.connect(
            reanchor.citations_of_retiring_passages, sender=Source, dispatch_uid="briefings-replacement-preview"
        )
        post_save.connect(reanchor.refresh_on_source_saved, sender=Source, dispatch_uid="briefings-source-saved")
        # Published revisions stay pinned to the versions they quoted; their footnotes are rendered again.
        post_save.connect(revisions.follow_source_saved, sender=Source, dispatch_uid="briefings-published-source-saved")
        post_save.connect(
            revisions.follow_version_saved, sender=SourceVersion, dispatch_uid="briefings-published-version-saved"
        )
        # Public pages' script asks the admin for staff controls only when this hint says someone signed in.
        staff_hint.connect_signals()
        # SQLite drops a table's triggers when a migration rebuilds it; put the search index's back.
        post_migrate.connect(search_index.repair_sqlite_index, sender=self, dispatch_uid="briefings-search-index")
