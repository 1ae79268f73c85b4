"""Anywhere without full-text search (or SQLite without FTS5): case-insensitive containment of every word.

Rows are ranked by where the words occur, with the fields' weights, and
snippets are cut in Python from the whole text.
"""
import functools

from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Substr

from .base import SearchBackend
from .results import mark_terms


def contains_any(term, fields):
    return functools.reduce(lambda a, b: a | b, (Q(**{f"{name}__icontains": term}) for name in fields))


def contains_all(groups, fields):
    """Q: any group whose every required term occurs in one of ``fields`` and no excluded term in any."""
    combined = Q(pk__in=[])
    for group in groups:
        condition = Q()
        for term in group.required:
            condition &= contains_any(term, fields)
        for term in group.excluded:
            condition &= ~contains_any(term, fields)
        combined |= condition
    return combined


def weighted_rank(terms, weighted_fields):
    rank = Value(0.0, output_field=FloatField())
    for term in terms:
        for name, weight in weighted_fields.items():
            rank = rank + Case(
                When(**{f"{name}__icontains": term}, then=Value(weight)),
                default=Value(0.0),
                output_field=FloatField(),
            )
    return rank


class PlainBackend(SearchBackend):
    def filter(self, queryset, corpus, query):
        return queryset.filter(contains_all(query.groups, list(corpus.fields)))

    def rank(self, candidates, corpus, query):
        snippet_source = F(corpus.snippet_field)
        if corpus.snippet_source_length:
            snippet_source = Substr(snippet_source, 1, corpus.snippet_source_length)
        return candidates.annotate(
            search_rank=weighted_rank(query.required_terms, corpus.fields), search_snippet=snippet_source
        )

    def finish_snippets(self, rows, query):
        for row in rows:
            row.search_snippet = mark_terms(row.search_snippet or "", query)
        return rows
