"""The shape every backend answers in: ``Results`` for a ``Paginator``, and snippets marked alike."""
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q, QuerySet, Subquery, Window

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

    Given ``rank_page`` as well, ``read_page`` (which ``ResultsPaginator``
    calls) ranks the newest matches, counts them and reads one page of them
    in a single statement: the keys are not read first. Only when exactly
    ``limit`` are ranked does a second, short statement ask whether an older
    match is left.
    """

    matching: QuerySet  # every match, in no particular order
    rank_every_match: Callable  # () -> every match, best first, with ``search_rank`` and ``search_snippet``
    rank_newest: Callable  # () -> the ``limit`` most recent matches ranked, as above; (keys) -> given ``recency``
    limit: int
    recency: tuple = ()  # newest first, when the newest matches are ranked by key
    rank_page: Callable | None = None  # () -> the ``limit`` most recent matches ranked, in one statement
    page_read: tuple = ()  # (bottom, top, rows) of the page ``read_page`` read

    def read_page(self, bottom, top):
        """Read the rows ``bottom`` to ``top`` and the count in one statement, when ``rank_page`` is given.

        A page past the last one reads nothing; it is then counted as without ``rank_page``.
        """
        if self.rank_page is None or "found" in self.__dict__ or bottom >= self.limit:
            return  # nothing to read, or already read; no page begins past the ranked matches
        edge_column = self.recency[0].lstrip("-")  # the newest have the highest values
        rows = list(
            self.rank_page().annotate(search_found=Window(Count("pk")), search_edge=Window(Min(edge_column)))[
                bottom:top
            ]
        )
        if rows:
            found = rows[0].search_found
            if found == self.limit:
                older = self.matching.prefetch_related(None).filter(**{f"{edge_column}__lt": rows[0].search_edge})
                if older.order_by().exists():
                    found += 1
        elif bottom == 0:
            found = 0
        else:
            return
        self.__dict__["found"] = found  # what the ``found`` property would have counted
        self.page_read = (bottom, top, rows)

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
        return self.rank_newest() if self.more else self.rank_every_match()

    def __getitem__(self, index):
        if not isinstance(index, int | slice):
            # As a list would: a template's ``results.more`` tries ``results["more"]`` first.
            raise TypeError(f"Results indices must be integers or slices, not {type(index).__name__}")
        if self.page_read and isinstance(index, slice) and index.step is None:
            bottom, top, rows = self.page_read
            if index.start == bottom and index.stop is not None and bottom <= index.stop <= top:
                return rows[: index.stop - bottom]
        return self.ranked[index]

    def __iter__(self):
        return iter(self.ranked)


class ResultsPaginator(Paginator):
    """A ``Paginator`` that has ``Results`` read the page asked for together with their count, where they can.

    A plain ``Paginator`` counts first and then reads the page: for ``Results``
    with ``rank_page`` that is one statement more than needed.
    """

    def page(self, number):
        read_page = getattr(self.object_list, "read_page", None)
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 0  # not a page number: the paginator says so
        if read_page and wanted >= 1:
            read_page((wanted - 1) * self.per_page, wanted * self.per_page)
        return super().page(number)


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
