"""Full-text search over published briefings and over source passages.

Readers type what they would type into any search box: words, "quoted
phrases", ``or`` between alternatives and ``-word`` to exclude (``parsing``).
Each database answers with the same shape: ``Results`` (for a ``Paginator``)
whose rows are briefings (or passages) annotated with ``search_rank`` (higher
is better) and ``search_snippet`` (text with the matched words between
``MARK_START`` and ``MARK_END``). Counts stop at ``SEARCH_RANKED_LIMIT``
(1,000) and only that many of the most recent matches are ranked, so a word
found almost everywhere costs no more than a rarer one (see ``Results``).

One ``SearchBackend`` per database: ``postgresql`` (stored tsvector columns),
``sqlite`` (FTS5 tables) and ``plain`` (containment, anywhere else or when
SQLite lacks FTS5). ``SEARCH_BACKEND`` ("auto", "postgresql", "fts5" or
"plain") overrides the choice; ``SEARCH_CONFIG`` names the PostgreSQL text
search configuration (see ``briefings.search_index``, which owns the index).
"""
from django.conf import settings
from django.db import connection

from briefings.models import Briefing
from briefings.search_index import fts5_available
from sources.models import Passage

from .. import queries
from .base import BRIEFINGS, PASSAGES
from .parsing import Query, parse
from .plain import PlainBackend
from .postgresql import PostgresBackend
from .results import MARK_END, MARK_START, Results, ResultsPaginator, ranked_limit
from .sqlite import Fts5Backend, fts5_expression

__all__ = [
    "MARK_END", "MARK_START", "Results", "ResultsPaginator", "backend", "cited_in", "citing_briefings",
    "filter_briefings", "filter_passages", "finish_snippets", "fts5_expression", "parse", "rank_briefings",
    "rank_passages", "searchable_passages",
]

# Backends hold no state: one instance of each serves every request.
BACKENDS = {"postgresql": PostgresBackend(), "fts5": Fts5Backend(), "plain": PlainBackend()}


def backend():
    """The name of the backend that answers: the setting's, or the best the database offers."""
    configured = getattr(settings, "SEARCH_BACKEND", "auto")
    if configured != "auto":
        return configured
    if connection.vendor == "postgresql":
        return "postgresql"
    if connection.vendor == "sqlite" and fts5_available():
        return "fts5"
    return "plain"


def _filter(queryset, corpus, query):
    if not query.groups:
        # Nothing to look for (only exclusions or punctuation): every backend finds nothing.
        return queryset.none()
    return BACKENDS[backend()].filter(queryset, corpus, query)


def _rank(queryset, corpus, text):
    # One ``Query`` for the filter and the rank: a backend may prepare it once for both (see ``Query.prepared``).
    engine, query, limit = BACKENDS[backend()], Query.of(text), ranked_limit()
    matching = _filter(queryset, corpus, query)
    if not query.groups:
        return Results(matching, lambda: matching, lambda: matching, limit)

    def ranked(candidates):
        return engine.rank(candidates, corpus, query).order_by(*corpus.order)

    def rank_every_match():
        return ranked(matching)

    if engine.ranks_newest_by_key:
        return Results(
            matching, rank_every_match, lambda keys: ranked(queryset.filter(pk__in=keys)), limit, corpus.recency,
            rank_page=lambda: ranked(engine.newest_within(queryset, matching, corpus, limit)),
        )
    return Results(
        matching, rank_every_match, lambda: ranked(engine.newest(queryset, matching, corpus, limit)), limit
    )


def filter_briefings(queryset, text):
    """Only the briefings of ``queryset`` whose published revision matches ``text``; order unchanged."""
    return _filter(queryset, BRIEFINGS, Query.of(text))


def rank_briefings(queryset, text):
    """Matching briefings of ``queryset``, best first, with ``search_rank`` and ``search_snippet``: see ``Results``."""
    return _rank(queryset, BRIEFINGS, text)


def searchable_passages():
    """Current passages of the articles themselves: site chrome is not worth finding."""
    return Passage.objects.current().exclude(kind=Passage.Kind.BOILERPLATE)


def filter_passages(queryset, text):
    """Only the passages of ``queryset`` that match ``text``."""
    return _filter(queryset, PASSAGES, Query.of(text))


def rank_passages(text, queryset=None):
    """Matching source passages, best first, with ``search_rank`` and ``search_snippet``: see ``Results``."""
    queryset = searchable_passages() if queryset is None else queryset
    queryset = queryset.select_related("source").only(
        "id", "anchor", "anchor_number", "ordinal", "kind", "kind_position", "text", "source__slug", "source__title",
        "source__opening",
    )
    return _rank(queryset, PASSAGES, text)


def citing_briefings(passage_ids, now=None):
    """``[(passage id, address, title)]``: the published briefings quoting each passage, newest first; one query."""
    # From the published briefings through their revisions' citations of the shown passages (the passage index
    # first, then one row each): an IN over every published briefing would list them all first on SQLite.
    rows = (
        Briefing.objects.published(now)
        .filter(published_revision__citations__passage__in=passage_ids)
        .order_by("published_revision__citations__passage_id", "-published_at", "pk")
        .values_list("published_revision__citations__passage_id", "slug", "published_revision__title")
    ) if passage_ids else []
    detail_url = queries.briefing_url_maker()
    return [(passage_id, detail_url(slug), title) for passage_id, slug, title in rows]


def cited_in(passages, now=None, read=citing_briefings):
    """Give each shown passage ``cited_in``: the published briefings quoting it, as (address, title), newest first.

    ``read`` reads them for a list of passage ids (``citing_briefings``: one query for the whole page).
    """
    passages = list(passages)
    cited = {}
    for passage_id, address, title in read(sorted(passage.pk for passage in passages), now) if passages else []:
        entry = (address, title)
        if entry not in cited.setdefault(passage_id, []):
            cited[passage_id].append(entry)
    for passage in passages:
        passage.cited_in = cited.get(passage.pk, [])
    return passages


def finish_snippets(results, text):
    """Snippets of the shown rows as the page prints them (only the plain backend still has to cut them)."""
    return BACKENDS[backend()].finish_snippets(results, Query.of(text))
