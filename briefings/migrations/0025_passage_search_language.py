"""Passages are indexed in their source's language, PostgreSQL only (briefings.search_index.LANGUAGE_CONFIGS).

Migration 0009 made a passage's vector a generated column in one configuration
(``SEARCH_CONFIG``); a generated column cannot read the source's language, so
the vector becomes a plain column that a trigger fills on every insert and on
every change of the text. ``briefings_search_config(language)`` maps a language
code to a configuration ("russian" for "ru", "simple" where PostgreSQL has no
stemmer, ``SEARCH_CONFIG`` for a source without a language); a change of a
source's language re-indexes its passages. The mapping is written as it stands
when this migration runs. SQLite's FTS5 index is not language-aware: nothing
happens there.
"""
import importlib

from django.db import migrations

from briefings.search_index import CONFIG_FUNCTION, LANGUAGE_CONFIGS

STORED = importlib.import_module("briefings.migrations.0009_stored_search_vectors")
VECTOR = STORED.VECTOR
INDEX = STORED.PASSAGE_VECTOR_INDEX
TRIGGER_FUNCTION = "briefings_passage_search_vector"
QUERY_FUNCTION = "briefings_passage_tsquery"
LANGUAGE_FUNCTION = "briefings_source_language_changed"


def _checked(name):
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a text search configuration name: {name!r}")
    return name


def forward_statements(default):
    cases = " ".join(
        f"WHEN '{_checked(code)}' THEN '{_checked(name)}'::regconfig" for code, name in sorted(LANGUAGE_CONFIGS.items())
    )
    return [
        f"""CREATE FUNCTION {CONFIG_FUNCTION}(language text) RETURNS regconfig LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE
                WHEN coalesce(btrim(language), '') = '' THEN '{_checked(default)}'::regconfig
                ELSE CASE split_part(replace(lower(btrim(language)), '_', '-'), '-', 1) {cases}
                     ELSE 'simple'::regconfig END
            END $$""",
        f"""CREATE FUNCTION {TRIGGER_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.{VECTOR} := to_tsvector(
                    {CONFIG_FUNCTION}((SELECT language FROM sources_source WHERE id = NEW.source_id)),
                    coalesce(NEW.text, '')
                );
                RETURN NEW;
            END $$""",
        # A passage search asks in every configuration the sources use, within the search's own statement.
        f"""CREATE FUNCTION {QUERY_FUNCTION}(words text) RETURNS tsquery LANGUAGE plpgsql STABLE AS $$
            DECLARE
                result tsquery := websearch_to_tsquery('{_checked(default)}'::regconfig, words);
                config regconfig;
            BEGIN
                FOR config IN SELECT DISTINCT {CONFIG_FUNCTION}(language) FROM sources_source LOOP
                    result := result || websearch_to_tsquery(config, words);
                END LOOP;
                RETURN result;
            END $$""",
        f"""CREATE FUNCTION {LANGUAGE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE sources_passage SET text = text WHERE source_id = NEW.id;
                RETURN NULL;
            END $$""",
        f"ALTER TABLE sources_passage DROP COLUMN {VECTOR}",  # and its index
        f"ALTER TABLE sources_passage ADD COLUMN {VECTOR} tsvector",
        f"""CREATE TRIGGER {TRIGGER_FUNCTION} BEFORE INSERT OR UPDATE OF text, source_id ON sources_passage
            FOR EACH ROW EXECUTE FUNCTION {TRIGGER_FUNCTION}()""",
        f"""CREATE TRIGGER {LANGUAGE_FUNCTION} AFTER UPDATE OF language ON sources_source
            FOR EACH ROW WHEN (OLD.language IS DISTINCT FROM NEW.language) EXECUTE FUNCTION {LANGUAGE_FUNCTION}()""",
        "UPDATE sources_passage SET text = text",
        f"CREATE INDEX {INDEX} ON sources_passage USING gin ({VECTOR})",
        "ANALYZE sources_passage",
    ]


def backward_statements(default):
    passage = STORED.vector(_checked(default), "text")
    return [
        f"DROP TRIGGER IF EXISTS {LANGUAGE_FUNCTION} ON sources_source",
        f"DROP TRIGGER IF EXISTS {TRIGGER_FUNCTION} ON sources_passage",
        f"ALTER TABLE sources_passage DROP COLUMN {VECTOR}",
        f"ALTER TABLE sources_passage ADD COLUMN {VECTOR} tsvector GENERATED ALWAYS AS ({passage}) STORED",
        f"CREATE INDEX {INDEX} ON sources_passage USING gin ({VECTOR})",
        f"DROP FUNCTION IF EXISTS {LANGUAGE_FUNCTION}()",
        f"DROP FUNCTION IF EXISTS {TRIGGER_FUNCTION}()",
        f"DROP FUNCTION IF EXISTS {QUERY_FUNCTION}(text)",
        f"DROP FUNCTION IF EXISTS {CONFIG_FUNCTION}(text)",
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in forward_statements(STORED.config()):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in backward_statements(STORED.config()):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("briefings", "0024_citation_translation"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
