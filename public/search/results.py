"""The shape every backend answers in: ``Results`` for a ``Paginator``, and snippets marked alike."""
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet, Subquery

MARK_START, MARK_END = "\x02", "\x03"
ELLIPSIS = "…"


def ranked_limit():
    return getattr(settings, "SEARCH_RANKED_LIMIT", 1000)


@dataclass
class Results:
    """One group of search results, for a ``Paginator``: the best matches first, counted up to ``limit``.

    Ranking every match of a word found almost everywhere (a search for
    "government" matches nine passages in ten) would cost more than the page
    can spend, so when more than ``limit`` rows match, only the ``limit`` most
    recent matches are ranked (``Corpus.recency``: the latest published
    revisions, the latest imported passages): ``more`` is true, ``count()`` is
    ``limit`` and the page says "more than" and which matches were ranked. A
    reader who wants older ones adds a word.
    Below the limit every match is ranked and counted exactly.

    The newest matches are ranked only when there are more than ``limit``
    (``rank_newest``, built then). Given ``recency``, the keys of the newest
    matches are read once, in place of the count, and ``rank_newest`` gets
    them to look the rows up by key, below the limit too (every match then):
    for PostgreSQL, whose planner reads a list of keys better than the same
    subquery, and better than its guess at how often a rare word occurs.
    """

    matching: QuerySet  # every match, in no particular order
    every_match_ranked: QuerySet  # best first, with ``search_rank`` and ``search_snippet``
    rank_newest: Callable  # () -> the ``limit`` most recent matches ranked, as above; (keys) -> given ``recency``
    limit: int
    recency: tuple = ()  # newest first, when the newest matches are ranked by key

    @functools.cached_property
    def newest_keys(self):
        """The keys of the most recent matches, no further than one past the limit."""
        rows = self.matching.prefetch_related(None).order_by(*self.recency).values_list("pk", flat=True)
        return list(rows[: self.limit + 1])

    @functools.cached_property
    def found(self):
        """How many match, counting no further than one past the limit."""
        if self.recency:
            return len(self.newest_keys)
        return self.matching.prefetch_related(None).order_by().values("pk")[: self.limit + 1].count()

    def count(self):
        return min(self.found, self.limit)

    @property
    def more(self):
        return self.found > self.limit

    @functools.cached_property
    def ranked(self):
        if self.recency and self.newest_keys:
            # By key even when every match is ranked: the planner then knows how few rows there are.
            return self.rank_newest(self.newest_keys[: self.limit])
        return self.rank_newest() if self.more else self.every_match_ranked

    def __getitem__(self, index):
        return self.ranked[index]

    def __iter__(self):
        return iter(self.ranked)


def newest_matches(matching, recency, limit):
    """The ``limit`` most recent of ``matching``: a condition on primary keys, cheap where the planner nests loops."""
    return Q(pk__in=matching.prefetch_related(None).order_by(*recency).values("pk")[:limit])


def at_or_after_newest(matching, recency, limit):
    """The matches no older than the ``limit``-th most recent one, as a range on the recency column.

    For SQLite: there ``pk IN (...)`` next to an FTS5 condition is probed once
    per match, while a range is checked once per row (ties at the edge may add a row).
    """
    column = recency[0].lstrip("-")
    edge = matching.prefetch_related(None).order_by(*recency).values(column)[limit - 1 : limit]
    return Q(**{f"{column}__gte": Subquery(edge)})


def mark_terms(text, query, width=240):
    """Cut a snippet around the first word of ``query`` (a ``Query``) found, and mark the words as the databases do."""
    terms = sorted(set(query.required_terms), key=len, reverse=True)
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
