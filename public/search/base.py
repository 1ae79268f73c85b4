"""The one interface every search backend implements, and the two corpora it searches."""
from dataclasses import dataclass

from .results import newest_matches

# Title weighs most, then the dek, then the body, then the words the citations quote: the same order on every
# backend (PostgreSQL's weights A to D).
WEIGHTS = {"title": 1.0, "dek": 0.4, "body": 0.2, "quotes": 0.1}


@dataclass(frozen=True)
class Corpus:
    """One group of results: the text fields searched, where their index is, how matches are ordered."""

    fields: dict  # text field (from the searched model) -> weight; the first also reaches the stored vector
    snippet_field: str
    snippet_source_length: int  # how much of it a backend without snippets reads to cut one (0: all)
    index_document: str  # path to the row's SQLite FTS5 entry's document; its columns are ``fields`` in order
    index_weights: tuple  # bm25() weights, or none for its default
    snippet_column: int  # of the FTS5 table
    recency: tuple  # newest first: what the ranked limit keeps when a word is everywhere
    index_recency: tuple  # the same order as SQLite reads it fastest: by the FTS5 rowid where that is the row's key
    order: tuple  # best first

    @property
    def anchor(self):
        return next(iter(self.fields))


BRIEFINGS = Corpus(
    fields={f"published_revision__{name}": weight for name, weight in WEIGHTS.items()},
    snippet_field="published_revision__body",
    # Enough of a body to cut a snippet around its first match, without reading all of a long one.
    snippet_source_length=4000,
    index_document="published_revision__search_entry__document",
    index_weights=tuple(weight * 10 for weight in WEIGHTS.values()),
    snippet_column=2,
    # The most recently published revisions first (a correction makes a briefing recent again). Revision keys
    # are the FTS5 rowids, so SQLite walks its index backwards and stops at the limit, instead of reading every
    # match to sort it by date: a word found in nearly every briefing costs what a rarer one does.
    recency=("-published_revision_id",),
    index_recency=("-published_revision__search_entry",),
    order=("-search_rank", "-published_at", "-pk"),
)

PASSAGES = Corpus(
    fields={"text": 1.0},
    snippet_field="text",
    snippet_source_length=0,
    index_document="search_entry__document",
    index_weights=(),
    snippet_column=0,
    # The most recently imported first: passage rows are written in import order.
    recency=("-pk",),
    # FTS5 walks its rowids (the passages' keys) backwards without sorting, and a range on them narrows its scan.
    index_recency=("-search_entry",),
    order=("-search_rank", "source__title", "ordinal"),
)


class SearchBackend:
    """How one database finds, ranks and cuts snippets; ``query`` is always a parsed ``Query``."""

    # Whether matches are ranked by their keys, read first in place of the count (``Results``): the most recent
    # ones of a word found almost everywhere, rather than through ``newest``, and every one of a rarer word.
    ranks_newest_by_key = False

    def filter(self, queryset, corpus, query):
        """Only the rows of ``queryset`` that match ``query``; order unchanged."""
        raise NotImplementedError

    def rank(self, candidates, corpus, query):
        """``candidates`` (all matches) annotated with ``search_rank`` (higher is better) and ``search_snippet``."""
        raise NotImplementedError

    def newest(self, queryset, matching, corpus, limit):
        """The rows of ``queryset`` among the ``limit`` most recent of ``matching``."""
        return queryset.filter(newest_matches(matching, corpus.recency, limit))

    def finish_snippets(self, rows, query):
        """Snippets as the page shows them; the databases cut them already."""
        return rows
