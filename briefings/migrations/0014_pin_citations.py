"""Existing citations are pinned to the version of their source they were verified against.

Before versions, every citation into a current passage was verified against the source's current text,
which became the source's version 1. A citation whose passage had already retired quoted a text that was
not kept; it stays unpinned and its footnote opens the current source page, as before.
"""
from django.db import migrations


def forwards(apps, schema_editor):
    SourceVersion = apps.get_model("sources", "SourceVersion")
    first_versions = SourceVersion.objects.filter(number=1).values_list("source_id", "pk")
    for name in ("Citation", "RevisionCitation"):
        model = apps.get_model("briefings", name)
        cited = set(model.objects.values_list("passage__source_id", flat=True).distinct())
        for source_id, version_id in first_versions:
            if source_id in cited:
                # A queryset update, not save(): the words and their places stay exactly as they are.
                model.objects.filter(
                    passage__source_id=source_id, passage__retired=False, source_version__isnull=True
                ).update(source_version_id=version_id)


class Migration(migrations.Migration):
    dependencies = [
        ("briefings", "0013_citation_source_version"),
        ("sources", "0005_stable_anchors"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
