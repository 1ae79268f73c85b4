"""Search finds a briefing by the words its citations quote: ``Revision.quotes``, indexed with the lowest weight.

The column holds the quotes of a revision's citations, one a line; existing
revisions are filled from their citations. PostgreSQL: the stored vector of
migration 0009 is generated again with the quotes as weight D (title A, dek B,
body C). SQLite: the revisions' FTS5 table gets a fourth column and is rebuilt
(``briefings.search_index``). The text search configuration is the one
``SEARCH_CONFIG`` names, as in migration 0009.
"""
import importlib

from django.db import migrations, models

STORED = importlib.import_module("briefings.migrations.0009_stored_search_vectors")
VECTOR = STORED.VECTOR
INDEX = STORED.REVISION_VECTOR_INDEX


def revision_vector(config, with_quotes):
    weighted = [("title", "A"), ("dek", "B"), ("body", "C")] + ([("quotes", "D")] if with_quotes else [])
    return " || ".join(STORED.vector(config, column, weight) for column, weight in weighted)


def fill_quotes(apps, schema_editor):
    Revision = apps.get_model("briefings", "Revision")
    RevisionCitation = apps.get_model("briefings", "RevisionCitation")
    quotes = {}
    rows = RevisionCitation.objects.order_by("revision_id", "order", "label").values_list("revision_id", "quote")
    for revision_id, quote in rows.iterator(chunk_size=2000):
        quotes.setdefault(revision_id, []).append(quote)
    changed = [Revision(pk=pk, quotes="\n".join(words)) for pk, words in quotes.items()]
    Revision.objects.bulk_update(changed, ["quotes"], batch_size=500)


def index(with_quotes):
    def run(apps, schema_editor):
        from briefings import search_index

        connection = schema_editor.connection
        if connection.vendor == "postgresql":
            vector = revision_vector(STORED.config(), with_quotes)
            for statement in (
                f"DROP INDEX IF EXISTS {INDEX}",
                f"ALTER TABLE briefings_revision DROP COLUMN IF EXISTS {VECTOR}",
                f"ALTER TABLE briefings_revision ADD COLUMN {VECTOR} tsvector GENERATED ALWAYS AS ({vector}) STORED",
                f"CREATE INDEX {INDEX} ON briefings_revision USING gin ({VECTOR})",
                "ANALYZE briefings_revision",
            ):
                schema_editor.execute(statement)
        elif connection.vendor == "sqlite":
            search_index.uninstall_sqlite_index(connection, only=search_index.REVISION_FTS)
            if with_quotes:
                search_index.install_sqlite_index(connection)
            # Backwards, the table is built without ``quotes`` once the column is gone (``repair_sqlite_index``).

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("briefings", "0020_correction_difference_withheld"),
    ]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="quotes",
            field=models.TextField(
                blank=True, editable=False,
                help_text="The words its citations quote, one quote a line: searched with it.",
            ),
        ),
        migrations.RunPython(fill_quotes, migrations.RunPython.noop),
        # Backwards, the index is rebuilt before the column goes (the operations run in reverse).
        migrations.RunPython(index(with_quotes=True), index(with_quotes=False)),
    ]
