"""Stored text vectors for the public full-text search (briefings.search_index, queried by public.search), PostgreSQL only.

A revision's weighted vector (title A, dek B, body C) and a passage's vector
are ``GENERATED ALWAYS AS (...) STORED`` columns: the database computes them on
every insert and update, whatever code writes the row, so searching and
ranking read them instead of recomputing ``to_tsvector`` for every match. GIN
indexes on them replace the expression indexes of migration 0004.

The text search configuration (``SEARCH_CONFIG``, "english" by default) is
written into the column definitions; changing the setting later means
migrating back to 0008 and forward again. SQLite has no tsvector: its FTS5
tables (migration 0004) already hold their own index, so nothing happens there.
Nothing here is part of the model state, so ``makemigrations`` never sees it.
"""
import importlib

from django.conf import settings
from django.db import migrations

VECTOR = "search_vector"
REVISION_VECTOR_INDEX = "briefings_revision_search_vector"
PASSAGE_VECTOR_INDEX = "briefings_passage_search_vector"
# The expression indexes of migration 0004, which the stored columns replace.
PUBLIC_SEARCH = importlib.import_module("briefings.migrations.0004_public_search")
REVISION_EXPRESSION_INDEX = PUBLIC_SEARCH.REVISION_INDEX
PASSAGE_EXPRESSION_INDEX = PUBLIC_SEARCH.PASSAGE_INDEX


def vector(config, column, weight=None):
    sql = f"to_tsvector('{config}'::regconfig, coalesce({column}, ''))"
    return f"setweight({sql}, '{weight}')" if weight else sql


def statements(config):
    weighted = (("title", "A"), ("dek", "B"), ("body", "C"))
    revision = " || ".join(vector(config, column, weight) for column, weight in weighted)
    passage = vector(config, "text")
    return [
        (
            f"ALTER TABLE briefings_revision ADD COLUMN {VECTOR} tsvector GENERATED ALWAYS AS ({revision}) STORED",
            f"ALTER TABLE briefings_revision DROP COLUMN {VECTOR}",
        ),
        (
            f"CREATE INDEX {REVISION_VECTOR_INDEX} ON briefings_revision USING gin ({VECTOR})",
            f"DROP INDEX {REVISION_VECTOR_INDEX}",
        ),
        (f"DROP INDEX IF EXISTS {REVISION_EXPRESSION_INDEX}", None),
        (
            f"ALTER TABLE sources_passage ADD COLUMN {VECTOR} tsvector GENERATED ALWAYS AS ({passage}) STORED",
            f"ALTER TABLE sources_passage DROP COLUMN {VECTOR}",
        ),
        (
            f"CREATE INDEX {PASSAGE_VECTOR_INDEX} ON sources_passage USING gin ({VECTOR})",
            f"DROP INDEX {PASSAGE_VECTOR_INDEX}",
        ),
        (f"DROP INDEX IF EXISTS {PASSAGE_EXPRESSION_INDEX}", None),
        ("ANALYZE briefings_revision", None),
        ("ANALYZE sources_passage", None),
    ]


def config():
    name = getattr(settings, "SEARCH_CONFIG", "english")
    if not name.replace("_", "").isalnum():
        raise ValueError(f"SEARCH_CONFIG must name a text search configuration, not {name!r}")
    return name


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for forward, _backward in statements(config()):
        schema_editor.execute(forward)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Put back the expression indexes first, so search keeps an index while the columns go.
    for app_label, model_name, index in PUBLIC_SEARCH.indexes():
        schema_editor.add_index(apps.get_model(app_label, model_name), index)
    for _forward, backward in reversed(statements(config())):
        if backward:
            schema_editor.execute(backward)


class Migration(migrations.Migration):

    dependencies = [
        ("briefings", "0008_public_change"),
        ("sources", "0002_source_updated_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
