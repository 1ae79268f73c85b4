"""Indexes for the public full-text search (briefings.search_index, queried by public.search).

PostgreSQL: GIN indexes on exactly the expressions the search queries use
(the weighted vector of a revision's title, dek and body; the vector of a
passage's text), so a search reads the index instead of every row.
SQLite: FTS5 tables kept in step by triggers. Nothing here is part of the
model state, so ``makemigrations`` never sees it.
"""
from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

REVISION_INDEX = "briefings_revision_search"
PASSAGE_INDEX = "briefings_passage_search"


def indexes():
    from briefings import search_index as search

    return [
        ("briefings", "Revision", GinIndex(search._briefing_vector(prefix=""), name=REVISION_INDEX)),
        ("sources", "Passage", GinIndex(search._passage_vector(), name=PASSAGE_INDEX)),
    ]


def create(apps, schema_editor):
    from briefings import search_index as search

    if schema_editor.connection.vendor == "postgresql":
        for app_label, model_name, index in indexes():
            schema_editor.add_index(apps.get_model(app_label, model_name), index)
    else:
        search.install_sqlite_index(schema_editor.connection)


def drop(apps, schema_editor):
    from briefings import search_index as search

    if schema_editor.connection.vendor == "postgresql":
        for app_label, model_name, index in indexes():
            schema_editor.remove_index(apps.get_model(app_label, model_name), index)
    else:
        search.uninstall_sqlite_index(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("briefings", "0003_editorial_groups"),
        ("sources", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
