"""Full-text search over published briefings and over source passages.

Readers type what they would type into any search box: words, "quoted
phrases", ``or`` between alternatives and ``-word`` to exclude. Each database
answers with the same shape: ``Results`` (for a ``Paginator``) whose rows are
briefings (or passages) annotated with ``search_rank`` (higher is better) and
``search_snippet`` (text with the matched words between ``MARK_START`` and
``MARK_END``). Counts stop at ``SEARCH_RANKED_LIMIT`` (1,000) and only that many
of the most recent matches are ranked, so a word found almost everywhere costs
no more than a rarer one (see ``Results``).

- PostgreSQL: ``websearch_to_tsquery`` against stored, GIN-indexed ``tsvector``
  columns that the database generates itself (migration 0009: a revision's
  title A, dek B, body C; a passage's text), ``ts_rank`` on them, and
  ``ts_headline`` for the shown rows only.
- SQLite: FTS5 tables kept in step with revisions and passages by triggers
  (see ``install_sqlite_index``), joined to the ranked rows so that ``bm25()``
  (same weights) and ``snippet()`` run inside one query.
- Anywhere else, or SQLite without FTS5: case-insensitive containment of every
  word, ranked by where the words occur, with snippets cut in Python.

``SEARCH_BACKEND`` ("auto", "postgresql", "fts5" or "plain") overrides the
choice; ``SEARCH_CONFIG`` names the PostgreSQL text search configuration (the
stored columns are generated with the one set when migration 0009 ran).
"""
import functools
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Case, Expression, F, FloatField, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr

from briefings.search_index import (
    PASSAGE_FTS,
    REVISION_FTS,
    VECTOR_COLUMN,
    fts5_available,
    search_config,
)
from sources.models import Passage

MARK_START, MARK_END = "\x02", "\x03"
ELLIPSIS = "…"
# Title weighs most, then the dek, then the body: the same order on every backend.
WEIGHTS = {"title": 1.0, "dek": 0.4, "body": 0.2}



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


# Results ----------------------------------------------------------------------


def ranked_limit():
    return getattr(settings, "SEARCH_RANKED_LIMIT", 1000)


@dataclass
class Results:
    """One group of search results, for a ``Paginator``: the best matches first, counted up to ``limit``.

    Ranking every match of a word found almost everywhere (a search for
    "government" matches nine passages in ten) would cost more than the page
    can spend, so when more than ``limit`` rows match, only the ``limit`` most
    recent matches are ranked: ``more`` is true, ``count()`` is ``limit`` and
    the page says "more than". A reader who wants older ones adds a word.
    Below the limit every match is ranked and counted exactly.
    """

    matching: QuerySet  # every match, in no particular order
    every_match_ranked: QuerySet  # both ranked querysets are best first, with ``search_rank`` and ``search_snippet``
    newest_ranked: QuerySet  # the ``limit`` most recent matches, ranked
    limit: int

    @functools.cached_property
    def found(self):
        """How many match, counting no further than one past the limit."""
        return self.matching.prefetch_related(None).order_by().values("pk")[: self.limit + 1].count()

    def count(self):
        return min(self.found, self.limit)

    @property
    def more(self):
        return self.found > self.limit

    @property
    def ranked(self):
        return self.newest_ranked if self.more else self.every_match_ranked

    def __getitem__(self, index):
        return self.ranked[index]

    def __iter__(self):
        return iter(self.ranked)


def newest_matches(matching, recency, limit):
    """The ``limit`` most recent of ``matching``: a condition on primary keys, cheap where the planner nests loops."""
    return Q(pk__in=matching.prefetch_related(None).order_by(*recency).values("pk")[:limit])


def at_or_after_newest(matching, recency, limit):
    """The matches no older than the ``limit``-th most recent one, as a range on the recency column.

    For SQLite: there ``pk IN (...)`` next to an FTS5 join is probed once per
    match, while a range is checked once per row (ties at the edge may add a row).
    """
    column = recency[0].lstrip("-")
    edge = matching.prefetch_related(None).order_by(*recency).values(column)[limit - 1 : limit]
    return Q(**{f"{column}__gte": Subquery(edge)})


def _fts5_join(queryset, fts, key, expression, rank, snippet_column):
    """Join the FTS5 table on ``key`` so bm25() and snippet() run once per row of the page, never per match."""
    return queryset.extra(
        tables=[fts],
        where=[f"{fts} MATCH %s", f"{fts}.rowid = {key}"],
        params=[expression],
        select={
            "search_rank": rank,
            "search_snippet": f"snippet({fts}, {snippet_column}, char(2), char(3), '{ELLIPSIS}', 30)",
        },
    )


# Briefings --------------------------------------------------------------------

# The newest first, as in every list of briefings: what the limit keeps when a word is everywhere.
BRIEFING_RECENCY = ("-published_at", "-pk")
BRIEFING_ORDER = ("-search_rank", "-published_at", "-pk")



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


class StoredVector(Expression):
    """The ``search_vector`` column (migration 0009) of the table that holds ``anchor``, on PostgreSQL.

    The column is generated by the database and unknown to the models, so it is
    reached through another column of the same table: whatever alias the query
    gives that table (a join, a subquery), the vector follows it.
    """

    def __init__(self, anchor):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.anchor = anchor

    def get_source_expressions(self):
        return [self.anchor]

    def set_source_expressions(self, expressions):
        (self.anchor,) = expressions

    def as_sql(self, compiler, db_connection):
        table = compiler.quote_name_unless_alias(self.anchor.alias)
        return f"{table}.{db_connection.ops.quote_name(VECTOR_COLUMN)}", []


def stored_vector(column):
    """The stored vector of the row whose ``column`` the query reads (see ``StoredVector``)."""
    return StoredVector(F(column))


def filter_briefings(queryset, text):
    """Only the briefings of ``queryset`` whose published revision matches ``text``; order unchanged."""
    engine = backend()
    groups = parse(text)
    if not groups:
        # Nothing to look for (only exclusions or punctuation): every backend finds nothing.
        return queryset.none()
    if engine == "postgresql":
        return queryset.alias(search_vector=stored_vector("published_revision__title")).filter(
            search_vector=_query(text)
        )
    if engine == "fts5":
        return queryset.filter(
            published_revision_id__in=RawSQL(
                f"SELECT rowid FROM {REVISION_FTS} WHERE {REVISION_FTS} MATCH %s", [fts5_expression(groups)]
            )
        )
    fields = [f"published_revision__{name}" for name in WEIGHTS]
    return queryset.filter(_contains_all(groups, fields))


def rank_briefings(queryset, text):
    """Matching briefings of ``queryset``, best first, with ``search_rank`` and ``search_snippet``: see ``Results``."""
    engine = backend()
    groups = parse(text)
    matching = filter_briefings(queryset, text)
    limit = ranked_limit()
    if not groups:
        return Results(matching, matching, matching, limit)
    if engine == "postgresql":
        from django.contrib.postgres.search import SearchRank

        def ranked(candidates):
            # The rank reads the stored vector; PostgreSQL cuts headlines after the sort, for the page's rows only.
            return candidates.annotate(
                search_rank=SearchRank(stored_vector("published_revision__title"), _query(text)),
                search_snippet=_headline("published_revision__body", text),
            ).order_by(*BRIEFING_ORDER)

        newest = queryset.filter(newest_matches(matching, BRIEFING_RECENCY, limit))
        return Results(matching, ranked(matching), ranked(newest), limit)
    if engine == "fts5":
        weights = ", ".join(str(WEIGHTS[name] * 10) for name in ("title", "dek", "body"))

        def ranked(candidates):
            # bm25() is lower for better matches; negate it so every backend sorts the same way.
            return _fts5_join(
                candidates,
                REVISION_FTS,
                f'"{queryset.model._meta.db_table}"."published_revision_id"',
                fts5_expression(groups),
                rank=f"-bm25({REVISION_FTS}, {weights})",
                snippet_column=2,
            ).order_by(*BRIEFING_ORDER)

        newest = queryset.filter(at_or_after_newest(matching, BRIEFING_RECENCY, limit))
        return Results(matching, ranked(queryset), ranked(newest), limit)
    weighted = [(f"published_revision__{name}", weight) for name, weight in WEIGHTS.items()]

    def ranked(candidates):
        return candidates.annotate(
            search_rank=_plain_rank(groups, weighted),
            search_snippet=Substr(F("published_revision__body"), 1, 4000),
        ).order_by(*BRIEFING_ORDER)

    newest = queryset.filter(newest_matches(matching, BRIEFING_RECENCY, limit))
    return Results(matching, ranked(matching), ranked(newest), limit)


# Passages ---------------------------------------------------------------------

# The most recently imported first: passage rows are written in import order.
PASSAGE_RECENCY = ("-pk",)
PASSAGE_ORDER = ("-search_rank", "source__title", "ordinal")


def searchable_passages():
    """Current passages of the articles themselves: site chrome is not worth finding."""
    return Passage.objects.current().exclude(kind=Passage.Kind.BOILERPLATE)


def filter_passages(queryset, text):
    """Only the passages of ``queryset`` that match ``text``."""
    engine = backend()
    groups = parse(text)
    if not groups:
        return queryset.none()
    if engine == "postgresql":
        return queryset.alias(search_vector=stored_vector("text")).filter(search_vector=_query(text))
    if engine == "fts5":
        return queryset.filter(
            pk__in=RawSQL(f"SELECT rowid FROM {PASSAGE_FTS} WHERE {PASSAGE_FTS} MATCH %s", [fts5_expression(groups)])
        )
    return queryset.filter(_contains_all(groups, ["text"]))


def rank_passages(text, queryset=None):
    """Matching source passages, best first, with ``search_rank`` and ``search_snippet``: see ``Results``."""
    queryset = searchable_passages() if queryset is None else queryset
    queryset = queryset.select_related("source").only(
        "id", "anchor", "ordinal", "text", "source__slug", "source__title", "source__opening"
    )
    engine = backend()
    groups = parse(text)
    matching = filter_passages(queryset, text)
    limit = ranked_limit()
    if not groups:
        return Results(matching, matching, matching, limit)
    if engine == "postgresql":
        from django.contrib.postgres.search import SearchRank

        def ranked(candidates):
            return candidates.annotate(
                search_rank=SearchRank(stored_vector("text"), _query(text)), search_snippet=_headline("text", text)
            ).order_by(*PASSAGE_ORDER)

        newest = queryset.filter(newest_matches(matching, PASSAGE_RECENCY, limit))
        return Results(matching, ranked(matching), ranked(newest), limit)
    if engine == "fts5":

        def ranked(candidates):
            return _fts5_join(
                candidates,
                PASSAGE_FTS,
                f'"{Passage._meta.db_table}"."id"',
                fts5_expression(groups),
                rank=f"-bm25({PASSAGE_FTS})",
                snippet_column=0,
            ).order_by(*PASSAGE_ORDER)

        newest = queryset.filter(at_or_after_newest(matching, PASSAGE_RECENCY, limit))
        return Results(matching, ranked(queryset), ranked(newest), limit)

    def ranked(candidates):
        return candidates.annotate(
            search_rank=_plain_rank(groups, [("text", 1.0)]), search_snippet=F("text")
        ).order_by(*PASSAGE_ORDER)

    newest = queryset.filter(newest_matches(matching, PASSAGE_RECENCY, limit))
    return Results(matching, ranked(matching), ranked(newest), limit)


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
