"""The passages' search query is written in each search's statement, so its database function goes (PostgreSQL only).

Migration 0025's ``briefings_passage_tsquery`` turned the words into a query in
every configuration the sources use, called in a statement of its own before
each search. The search now writes one immutable ``websearch_to_tsquery`` per
configuration into its own statements (``public.search.postgresql.ts_query``),
with the configurations read from ``briefings_search_config`` and kept while
no source changes. Going back recreates the function as migration 0029 left it.
"""
import importlib

from django.db import migrations

LANGUAGE = importlib.import_module("briefings.migrations.0025_passage_search_language")
EACH_LANGUAGE_ONCE = importlib.import_module("briefings.migrations.0029_passage_tsquery_reads_each_language_once")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {LANGUAGE.QUERY_FUNCTION}(text)")


def backwards(apps, schema_editor):
    EACH_LANGUAGE_ONCE.forwards(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("briefings", "0030_citing_stamps"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
