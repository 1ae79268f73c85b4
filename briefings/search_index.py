"""The full-text index of published revisions and passages: the schema the search queries read.

It belongs to the data, not to the pages that search it: migrations 0004 and
0009 build it, and SQLite needs its triggers put back after every migration
(``repair_sqlite_index``, connected in ``BriefingsConfig.ready``). The reader
site's ``public.search`` queries it.

- PostgreSQL: stored ``tsvector`` columns (``VECTOR_COLUMN``) that the
  database generates itself, GIN-indexed (migration 0009; migration 0014 adds
  a revision's ``quotes`` with the lowest weight, D).
- SQLite: FTS5 tables kept in step with their content tables by triggers;
  unmanaged models (``RevisionSearchEntry``, ``PassageSearchEntry``) let
  queries join them.

``SEARCH_CONFIG`` names the PostgreSQL text search configuration (the stored
columns are generated with the one set when migration 0009 ran).
"""
import functools
import sqlite3

from django.conf import settings

REVISION_FTS = "briefings_revision_fts"
PASSAGE_FTS = "briefings_passage_fts"
# PostgreSQL: the generated tsvector column of revisions and passages (migration 0009).
VECTOR_COLUMN = "search_vector"


def search_config():
    return getattr(settings, "SEARCH_CONFIG", "english")


# PostgreSQL: the text search configuration a passage's words are indexed with, by its source's language
# (the first part of a code like "ru" or "ru-RU"): the stemming configurations PostgreSQL ships. Other
# languages (Azerbaijani, Georgian, Armenian, ...) are indexed word for word ("simple"); a source without
# a language uses ``SEARCH_CONFIG``. Migration 0025 writes this table into the database function
# ``briefings_search_config``; changing it means a new migration.
LANGUAGE_CONFIGS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "it": "italian", "lt": "lithuanian", "ne": "nepali",
    "nb": "norwegian", "nn": "norwegian", "no": "norwegian", "nl": "dutch", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}
CONFIG_FUNCTION = "briefings_search_config"


def language_config(language, default=None):
    """The PostgreSQL text search configuration for a source's language code."""
    primary = (language or "").strip().lower().replace("_", "-").split("-")[0]
    if not primary:
        return default or search_config()
    return LANGUAGE_CONFIGS.get(primary, "simple")



@functools.cache
def fts5_available():
    """Whether this Python's SQLite library was built with FTS5 (checked once, on a private database)."""
    try:
        probe = sqlite3.connect(":memory:")
        try:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
        finally:
            probe.close()
    except sqlite3.Error:
        return False
    return True


def _briefing_vector(prefix="published_revision__"):
    """The weighted vector as an expression: what migration 0004 indexed before the stored column existed."""
    from django.contrib.postgres.search import SearchVector

    config = search_config()
    return (
        SearchVector(f"{prefix}title", weight="A", config=config)
        + SearchVector(f"{prefix}dek", weight="B", config=config)
        + SearchVector(f"{prefix}body", weight="C", config=config)
    )


def _passage_vector():
    from django.contrib.postgres.search import SearchVector

    return SearchVector("text", config=search_config())


# SQLite FTS5 tables -------------------------------------------------------------

# The models that let queries join the FTS5 tables (``briefings.models``), by model name.
SQLITE_INDEX_MODELS = {"revisionsearchentry", "passagesearchentry"}


class SearchIndexRouter:
    """Keeps the FTS5 tables' models out of migrate, dumpdata and loaddata.

    The index is rebuilt from the revisions and passages, never backed up: a
    dump would copy its rows on SQLite and fail on PostgreSQL, which has no
    such tables.
    """

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "briefings" and model_name in SQLITE_INDEX_MODELS:
            return False
        return None


SQLITE_INDEX = [
    # (virtual table, content table, columns)
    # A revision's quotes (its citations' words) come last, weighed least (migration 0014).
    (REVISION_FTS, "briefings_revision", ("title", "dek", "body", "quotes")),
    (PASSAGE_FTS, "sources_passage", ("text",)),
]


def _sqlite_statements(fts, content, columns):
    names = ", ".join(columns)
    new = ", ".join(f"new.{name}" for name in columns)
    old = ", ".join(f"old.{name}" for name in columns)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({names}, content='{content}', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {content} BEGIN "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {content} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE ON {content} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
    ]


def install_sqlite_index(db_connection):
    """Create the FTS5 tables and triggers if missing, and rebuild an index whose triggers were missing.

    SQLite drops a table's triggers when a migration rebuilds the table, so
    this also runs after every ``migrate`` (and test database flush) to put
    them back. Returns the names of the indexes it rebuilt.
    """
    if db_connection.vendor != "sqlite" or not fts5_available():
        return []
    rebuilt = []
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        existing = {row[0] for row in cursor.fetchall()}
        for fts, content, columns in SQLITE_INDEX:
            if content not in existing:
                continue
            # Migrations older than a column build the index without it; the migration adding it rebuilds it.
            cursor.execute(f"SELECT name FROM pragma_table_info('{content}')")
            present = {row[0] for row in cursor.fetchall()}
            columns = tuple(column for column in columns if column in present)
            complete = {fts, f"{fts}_insert", f"{fts}_delete", f"{fts}_update"} <= existing
            for statement in _sqlite_statements(fts, content, columns):
                cursor.execute(statement)
            if not complete:
                cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
                rebuilt.append(fts)
    return rebuilt


def uninstall_sqlite_index(db_connection, only=None):
    """Drop the FTS5 tables and their triggers (only the table named ``only``, if given)."""
    if db_connection.vendor != "sqlite":
        return
    with db_connection.cursor() as cursor:
        for fts, _content, _columns in SQLITE_INDEX:
            if only is not None and fts != only:
                continue
            for suffix in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            cursor.execute(f"DROP TABLE IF EXISTS {fts}")


def repair_sqlite_index(sender, using="default", **kwargs):
    """post_migrate receiver: see ``install_sqlite_index``."""
    from django.db import connections

    install_sqlite_index(connections[using])
