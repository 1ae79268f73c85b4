"""SQLite: the FTS5 tables that triggers keep in step with revisions and passages (``briefings.search_index``).

``bm25()`` ranks with the same weights as the other backends and
``snippet()`` cuts the snippets, both inside the page's one query.
"""
from django.db.models import Expression, FloatField, Subquery, TextField
from django.db.models.expressions import RawSQL

from .base import SearchBackend
from .results import ELLIPSIS, at_or_after_newest


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


def index_key(queryset, corpus):
    return f'"{queryset.model._meta.db_table}"."{queryset.model._meta.get_field(corpus.index_key).column}"'


def matching_rowids(corpus, query):
    fts = corpus.index_table
    return RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [fts5_expression(query.groups)])


class Bm25Rank(Expression):
    """The row's ``bm25()``, negated so that higher is better, as on every backend.

    bm25() counts each term's matches across the whole index before it scores a
    row; in a subquery run once per row it would count again for every row. So
    the candidates are scored in one pass (``LIMIT -1`` keeps SQLite from folding
    that select into the per-row one; ``+rowid`` keeps the candidates a check on
    each match, not a new search per candidate) and each row looks its score up.
    """

    output_field = FloatField()

    def __init__(self, candidate_keys, key, index_table, weights, match):
        super().__init__()
        self.candidate_keys, self.key = candidate_keys, key
        self.index_table, self.weights, self.match = index_table, weights, match

    @classmethod
    def of(cls, candidates, corpus, query):
        candidate_keys = Subquery(candidates.order_by().values(corpus.index_key))
        return cls(
            candidate_keys,
            index_key(candidates, corpus),
            corpus.index_table,
            corpus.index_weights,
            fts5_expression(query.groups),
        )

    def get_source_expressions(self):
        return [self.candidate_keys]

    def set_source_expressions(self, expressions):
        (self.candidate_keys,) = expressions

    def as_sql(self, compiler, db_connection):
        candidates_sql, candidates_params = compiler.compile(self.candidate_keys)
        fts = self.index_table
        weights = "".join(f", {weight}" for weight in self.weights)
        sql = (
            f"(SELECT scored.score FROM (SELECT rowid AS id, -bm25({fts}{weights}) AS score FROM {fts} "
            f"WHERE {fts} MATCH %s AND +rowid IN {candidates_sql} LIMIT -1) AS scored WHERE scored.id = {self.key})"
        )
        return sql, [self.match, *candidates_params]


def snippet(queryset, corpus, query):
    """The row's ``snippet()``: needs no statistics of the index, so a subquery per row costs little."""
    fts = corpus.index_table
    return RawSQL(
        f"(SELECT snippet({fts}, {corpus.snippet_column}, char(2), char(3), '{ELLIPSIS}', 30) FROM {fts} "
        f"WHERE {fts} MATCH %s AND rowid = {index_key(queryset, corpus)})",
        [fts5_expression(query.groups)],
        output_field=TextField(),
    )


class Fts5Backend(SearchBackend):
    def filter(self, queryset, corpus, query):
        return queryset.filter(**{f"{corpus.index_key}__in": matching_rowids(corpus, query)})

    def rank(self, candidates, corpus, query):
        return candidates.annotate(
            search_rank=Bm25Rank.of(candidates, corpus, query), search_snippet=snippet(candidates, corpus, query)
        )

    def newest(self, queryset, matching, corpus, limit):
        # A range on the recency column: next to the FTS5 condition, ``pk IN (...)`` is probed once per match.
        return matching.filter(at_or_after_newest(matching, corpus.recency, limit))
