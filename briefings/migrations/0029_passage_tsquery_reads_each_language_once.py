"""The passages' query maps each language the sources use once, not once per source (PostgreSQL only).

Migration 0025's ``briefings_passage_tsquery`` mapped every source's language
to its configuration before dropping duplicates: with thousands of sources that
was most of a selective search's time. The distinct languages are few; mapping
them alone gives the same configurations.
"""
import importlib

from django.db import migrations

LANGUAGE = importlib.import_module("briefings.migrations.0025_passage_search_language")
STORED = LANGUAGE.STORED


def function(default, languages):
    return f"""CREATE OR REPLACE FUNCTION {LANGUAGE.QUERY_FUNCTION}(words text) RETURNS tsquery LANGUAGE plpgsql
        STABLE AS $$
            DECLARE
                result tsquery := websearch_to_tsquery('{LANGUAGE._checked(default)}'::regconfig, words);
                config regconfig;
            BEGIN
                FOR config IN SELECT DISTINCT {LANGUAGE.CONFIG_FUNCTION}(language) FROM {languages} LOOP
                    result := result || websearch_to_tsquery(config, words);
                END LOOP;
                RETURN result;
            END $$"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(function(STORED.config(), "(SELECT DISTINCT language FROM sources_source) AS languages"))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(function(STORED.config(), "sources_source"))


class Migration(migrations.Migration):

    dependencies = [
        ("briefings", "0028_tag_list_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
