"""SQLite: the FTS5 tables that triggers keep in step with revisions and passages (``briefings.search_index``).

``bm25()`` ranks with the same weights as the other backends and
``snippet()`` cuts the snippets, both inside the page's one query.
"""
from django.db.models import FloatField, TextField
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


def bm25_rank(queryset, corpus, query):
    """The row's ``bm25()``, negated so that higher is better, as on every backend.

    bm25() counts each term's matches across the whole index before it scores a
    row; in a subquery run once per row it would count again for every row. So
    the scores of all matches are computed once (``LIMIT -1`` keeps SQLite from
    folding that select into the per-row one) and each row looks its own up.
    """
    fts = corpus.index_table
    weights = "".join(f", {weight}" for weight in corpus.index_weights)
    return RawSQL(
        f"(SELECT scored.score FROM (SELECT rowid AS id, -bm25({fts}{weights}) AS score FROM {fts} "
        f"WHERE {fts} MATCH %s LIMIT -1) AS scored WHERE scored.id = {index_key(queryset, corpus)})",
        [fts5_expression(query.groups)],
        output_field=FloatField(),
    )


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
            search_rank=bm25_rank(candidates, corpus, query), search_snippet=snippet(candidates, corpus, query)
        )

    def newest(self, queryset, matching, corpus, limit):
        # A range on the recency column: next to the FTS5 condition, ``pk IN (...)`` is probed once per match.
        return matching.filter(at_or_after_newest(matching, corpus.recency, limit))
