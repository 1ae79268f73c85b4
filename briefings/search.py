"""Full-text search over published briefings and over source passages.

Readers type what they would type into any search box: words, "quoted
phrases", ``or`` between alternatives and ``-word`` to exclude. Each database
answers with the same shape: a queryset of briefings (or passages) annotated
with ``search_rank`` (higher is better) and ``search_snippet`` (text with the
matched words between ``MARK_START`` and ``MARK_END``).

- PostgreSQL: a weighted ``SearchVector`` (title A, dek B, body C) of the
  published revision, ``websearch_to_tsquery``, ``SearchRank`` and
  ``SearchHeadline``; GIN expression indexes (migration 0004) serve it.
- SQLite: FTS5 tables kept in step with revisions and passages by triggers
  (see ``install_sqlite_index``), ``bm25()`` with the same weights, and
  ``snippet()``.
- Anywhere else, or SQLite without FTS5: case-insensitive containment of every
  word, ranked by where the words occur, with snippets cut in Python.

``SEARCH_BACKEND`` ("auto", "postgresql", "fts5" or "plain") overrides the
choice; ``SEARCH_CONFIG`` names the PostgreSQL text search configuration.
"""
import functools
import re
import sqlite3
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr

from sources.models import Passage

MARK_START, MARK_END = "\x02", "\x03"
ELLIPSIS = "…"
REVISION_FTS = "briefings_revision_fts"
PASSAGE_FTS = "briefings_passage_fts"
# Title weighs most, then the dek, then the body: the same order on every backend.
WEIGHTS = {"title": 1.0, "dek": 0.4, "body": 0.2}


def search_config():
    return getattr(settings, "SEARCH_CONFIG", "english")


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


def backend():
    configured = getattr(settings, "SEARCH_BACKEND", "auto")
    if configured != "auto":
        return configured
    if connection.vendor == "postgresql":
        return "postgresql"
    if connection.vendor == "sqlite" and fts5_available():
        return "fts5"
    return "plain"


# Parsing what readers type ----------------------------------------------------

TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD = re.compile(r"\w", re.UNICODE)


@dataclass
class Group:
    """Terms that must all occur (``required``) and none of ``excluded``."""

    required: list = field(default_factory=list)
    excluded: list = field(default_factory=list)


def parse(text):
    """Groups of terms joined by ``or``, in the web-search syntax of websearch_to_tsquery."""
    groups, current = [], Group()
    for negated, phrase, word in TOKEN.findall(text or ""):
        if word and word.lower() == "or":
            if current.required:
                groups.append(current)
            current = Group()
            continue
        if word.startswith("-") and len(word) > 1:
            negated, word = "-", word[1:]
        term = (phrase if phrase else word).strip()
        if not WORD.search(term):
            continue
        (current.excluded if negated else current.required).append(term)
    if current.required:
        groups.append(current)
    return groups


def fts5_expression(groups):
    """An FTS5 MATCH expression; every term is quoted so its punctuation is never syntax."""

    def quoted(term):
        return '"' + term.replace('"', '""') + '"'

    parts = []
    for group in groups:
        expression = " AND ".join(quoted(term) for term in group.required)
        expression += "".join(f" NOT {quoted(term)}" for term in group.excluded)
        parts.append(f"({expression})")
    return " OR ".join(parts)


def _contains_all(groups, fields):
    """Q: any group whose every required term occurs in one of ``fields`` and no excluded term in any."""
    combined = Q(pk__in=[])
    for group in groups:
        condition = Q()
        for term in group.required:
            condition &= functools.reduce(lambda a, b: a | b, (Q(**{f"{name}__icontains": term}) for name in fields))
        for term in group.excluded:
            condition &= ~functools.reduce(lambda a, b: a | b, (Q(**{f"{name}__icontains": term}) for name in fields))
        combined |= condition
    return combined


def _plain_rank(groups, weighted_fields):
    terms = [term for group in groups for term in group.required]
    rank = Value(0.0, output_field=FloatField())
    for term in terms:
        for name, weight in weighted_fields:
            rank = rank + Case(
                When(**{f"{name}__icontains": term}, then=Value(weight)),
                default=Value(0.0),
                output_field=FloatField(),
            )
    return rank


# Briefings --------------------------------------------------------------------


def _briefing_vector(prefix="published_revision__"):
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


def _query(text):
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(text, search_type="websearch", config=search_config())


def _headline(field_name, text):
    from django.contrib.postgres.search import SearchHeadline

    return SearchHeadline(
        field_name,
        _query(text),
        config=search_config(),
        start_sel=MARK_START,
        stop_sel=MARK_END,
        max_words=30,
        min_words=12,
        max_fragments=2,
        fragment_delimiter=f" {ELLIPSIS} ",
    )


def filter_briefings(queryset, text):
    """Only the briefings of ``queryset`` whose published revision matches ``text``; order unchanged."""
    from .models import Revision

    engine = backend()
    groups = parse(text)
    if not groups:
        # Nothing to look for (only exclusions or punctuation): every backend finds nothing.
        return queryset.none()
    if engine == "postgresql":
        matching = Revision.objects.annotate(search=_briefing_vector(prefix="")).filter(search=_query(text))
        return queryset.filter(published_revision__in=matching.values("pk"))
    if engine == "fts5":
        return queryset.filter(
            published_revision_id__in=RawSQL(
                f"SELECT rowid FROM {REVISION_FTS} WHERE {REVISION_FTS} MATCH %s", [fts5_expression(groups)]
            )
        )
    fields = [f"published_revision__{name}" for name in WEIGHTS]
    return queryset.filter(_contains_all(groups, fields))


def rank_briefings(queryset, text):
    """Matching briefings, best first, with ``search_rank`` and ``search_snippet``."""
    engine = backend()
    groups = parse(text)
    if not groups:
        return queryset.none()
    if engine == "postgresql":
        from django.contrib.postgres.search import SearchRank

        return (
            filter_briefings(queryset, text)
            .annotate(
                search_rank=SearchRank(_briefing_vector(), _query(text)),
                search_snippet=_headline("published_revision__body", text),
            )
            .order_by("-search_rank", "-published_at", "-pk")
        )
    if engine == "fts5":
        expression = fts5_expression(groups)
        briefing_table = queryset.model._meta.db_table
        correlated = (
            f"FROM {REVISION_FTS} WHERE {REVISION_FTS} MATCH %s "
            f'AND {REVISION_FTS}.rowid = "{briefing_table}"."published_revision_id"'
        )
        weights = ", ".join(str(WEIGHTS[name] * 10) for name in ("title", "dek", "body"))
        return (
            filter_briefings(queryset, text)
            .annotate(
                # bm25() is lower for better matches; negate it so every backend sorts the same way.
                search_rank=RawSQL(f"(SELECT -bm25({REVISION_FTS}, {weights}) {correlated})", [expression],
                                   output_field=FloatField()),
                search_snippet=RawSQL(
                    f"(SELECT snippet({REVISION_FTS}, 2, char(2), char(3), '{ELLIPSIS}', 30) {correlated})",
                    [expression],
                ),
            )
            .order_by("-search_rank", "-published_at", "-pk")
        )
    weighted = [(f"published_revision__{name}", weight) for name, weight in WEIGHTS.items()]
    return (
        filter_briefings(queryset, text)
        .annotate(
            search_rank=_plain_rank(groups, weighted),
            search_snippet=Substr(F("published_revision__body"), 1, 4000),
        )
        .order_by("-search_rank", "-published_at", "-pk")
    )


# Passages ---------------------------------------------------------------------


def searchable_passages():
    """Current passages of the articles themselves: site chrome is not worth finding."""
    return Passage.objects.current().exclude(kind=Passage.Kind.BOILERPLATE)


def rank_passages(text, queryset=None):
    """Matching source passages, best first, with ``search_rank`` and ``search_snippet``."""
    queryset = searchable_passages() if queryset is None else queryset
    queryset = queryset.select_related("source").only(
        "id", "anchor", "ordinal", "text", "source__slug", "source__title", "source__text"
    )
    engine = backend()
    groups = parse(text)
    if not groups:
        return queryset.none()
    if engine == "postgresql":
        from django.contrib.postgres.search import SearchRank

        return (
            queryset.annotate(search=_passage_vector())
            .filter(search=_query(text))
            .annotate(search_rank=SearchRank(_passage_vector(), _query(text)), search_snippet=_headline("text", text))
            .order_by("-search_rank", "source__title", "ordinal")
        )
    if engine == "fts5":
        expression = fts5_expression(groups)
        table = Passage._meta.db_table
        correlated = f'FROM {PASSAGE_FTS} WHERE {PASSAGE_FTS} MATCH %s AND {PASSAGE_FTS}.rowid = "{table}"."id"'
        return (
            queryset.filter(
                pk__in=RawSQL(f"SELECT rowid FROM {PASSAGE_FTS} WHERE {PASSAGE_FTS} MATCH %s", [expression])
            )
            .annotate(
                search_rank=RawSQL(f"(SELECT -bm25({PASSAGE_FTS}) {correlated})", [expression],
                                   output_field=FloatField()),
                search_snippet=RawSQL(
                    f"(SELECT snippet({PASSAGE_FTS}, 0, char(2), char(3), '{ELLIPSIS}', 30) {correlated})",
                    [expression],
                ),
            )
            .order_by("-search_rank", "source__title", "ordinal")
        )
    return (
        queryset.filter(_contains_all(groups, ["text"]))
        .annotate(search_rank=_plain_rank(groups, [("text", 1.0)]), search_snippet=F("text"))
        .order_by("-search_rank", "source__title", "ordinal")
    )


# Snippets ---------------------------------------------------------------------


def mark_terms(text, query, width=240):
    """Cut a snippet around the first matched word and mark the words, as the databases do."""
    terms = sorted({term for group in parse(query) for term in group.required}, key=len, reverse=True)
    if not terms or not text:
        return text[:width]
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    excerpt = pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_END}", text[start:end])
    return (ELLIPSIS if start else "") + excerpt + (ELLIPSIS if end < len(text) else "")


def finish_snippets(results, query):
    """The plain backend returns whole texts; cut them to snippets like the others do."""
    if backend() in ("postgresql", "fts5"):
        return results
    for result in results:
        result.search_snippet = mark_terms(result.search_snippet or "", query)
    return results


# SQLite FTS5 tables -------------------------------------------------------------

SQLITE_INDEX = [
    # (virtual table, content table, columns)
    (REVISION_FTS, "briefings_revision", ("title", "dek", "body")),
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
            complete = {fts, f"{fts}_insert", f"{fts}_delete", f"{fts}_update"} <= existing
            for statement in _sqlite_statements(fts, content, columns):
                cursor.execute(statement)
            if not complete:
                cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
                rebuilt.append(fts)
    return rebuilt


def uninstall_sqlite_index(db_connection):
    if db_connection.vendor != "sqlite":
        return
    with db_connection.cursor() as cursor:
        for fts, _content, _columns in SQLITE_INDEX:
            for suffix in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            cursor.execute(f"DROP TABLE IF EXISTS {fts}")


def repair_sqlite_index(sender, using="default", **kwargs):
    """post_migrate receiver: see ``install_sqlite_index``."""
    from django.db import connections

    install_sqlite_index(connections[using])
