"""SQLite: the FTS5 tables that triggers keep in step with revisions and passages (``briefings.search_index``).

Each searched row joins its entry in the index (``RevisionSearchEntry``,
``PassageSearchEntry``): the ``match`` lookup finds the rows, ``bm25()`` ranks
them with the same weights as the other backends and ``snippet()`` cuts the
snippets, all in the page's one query.
"""
from django.db.models import F, FloatField, Func, TextField, Value

from .base import SearchBackend
from .results import ELLIPSIS, MARK_END, MARK_START, at_or_after_newest


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


class Bm25Rank(Func):
    """The row's ``bm25()``, negated so that higher is better, as on every backend."""

    function = "bm25"
    template = "-%(function)s(%(expressions)s)"
    output_field = FloatField()


class Snippet(Func):
    function = "snippet"
    output_field = TextField()


def rank(corpus):
    return Bm25Rank(F(corpus.index_document), *(Value(weight) for weight in corpus.index_weights))


def snippet(corpus):
    return Snippet(
        F(corpus.index_document),
        Value(corpus.snippet_column),
        Value(MARK_START),
        Value(MARK_END),
        Value(ELLIPSIS),
        Value(30),
    )


class Fts5Backend(SearchBackend):
    def filter(self, queryset, corpus, query):
        return queryset.filter(**{f"{corpus.index_document}__match": fts5_expression(query.groups)})

    def rank(self, candidates, corpus, query):
        # bm25() and snippet() read the match of the candidates' own join, which ``filter`` added.
        return candidates.annotate(search_rank=rank(corpus), search_snippet=snippet(corpus))

    def newest(self, queryset, matching, corpus, limit):
        # A range on the recency column: next to the FTS5 condition, ``pk IN (...)`` is probed once per match.
        return matching.filter(at_or_after_newest(matching, corpus.index_recency, limit))
