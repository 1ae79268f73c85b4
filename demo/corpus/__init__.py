"""A deterministic synthetic corpus at newsroom scale, for benchmarks and query-budget tests.

``generate(Plan(sources=2000, briefings=10000))`` writes sources split into
passages exactly as the importer would, a few analysts and editors, tags, and
briefings in every workflow state with the rows the review workflow would have
left (``briefings`` module). One seeded random generator per part makes the
same arguments give the same data. Rows are written with ``bulk_create`` in
batches, all in one transaction, which then sends
``briefings.signals.rows_written_in_bulk``: no per-row signal told anyone.
``delete_generated`` removes a previous corpus (``deletion`` module).

Modules: ``plan`` (sizes, shares, marks), ``text`` (made-up words and
articles), ``sources``, ``newsroom`` (accounts and tags), ``briefings``,
``deletion``, ``statistics``, ``progress``.
"""
import random

from django.db import transaction
from django.utils import timezone

from briefings.models import Briefing
from briefings.signals import rows_written_in_bulk

from .briefings import BriefingWriter
from .deletion import delete_generated, generated_briefings, generated_sources, has_generated_corpus
from .newsroom import write_people, write_tags
from .plan import (
    BENCHMARK_CITATIONS,
    BENCHMARK_SLUG,
    BENCHMARK_SOURCE_PASSAGES,
    BENCHMARK_SOURCE_SLUG,
    COMMON_WORD,
    MAX_TAGS,
    ORIGIN_PREFIX,
    PASSAGES_PER_SOURCE,
    SELECTIVE_WORD,
    STATE_SHARES,
    USERNAME_PREFIX,
    CorpusError,
    Plan,
    Summary,
)
from .progress import NullStream, Progress
from .sources import write_sources
from .statistics import refresh_statistics
from .text import Words

__all__ = [
    "BENCHMARK_CITATIONS", "BENCHMARK_SLUG", "BENCHMARK_SOURCE_PASSAGES", "BENCHMARK_SOURCE_SLUG", "COMMON_WORD",
    "MAX_TAGS", "ORIGIN_PREFIX", "PASSAGES_PER_SOURCE",
    "SELECTIVE_WORD", "STATE_SHARES", "USERNAME_PREFIX", "CorpusError", "Plan", "Summary", "delete_generated",
    "generate", "generated_briefings", "generated_sources", "has_generated_corpus", "refresh_statistics",
]


def generate(plan=None, *, stream=None, replace=False):
    """Write the corpus described by ``plan`` in one transaction; returns a Summary. Raises CorpusError."""
    plan = plan or Plan()
    plan.check()
    stream = stream or NullStream()
    as_of = plan.as_of or timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        if has_generated_corpus():
            if not replace:
                raise CorpusError(
                    "A generated corpus is already in the database; run again with --replace to rebuild it."
                )
            delete_generated()
        summary = Summary()
        words = Words(random.Random(f"{plan.seed}-words"))
        citable = write_sources(plan, as_of, words, summary, Progress(stream, "sources", plan.sources))
        analysts, editors = write_people(plan, as_of, summary)
        tags = write_tags(plan, summary)
        BriefingWriter(plan, as_of, words, citable, tags, analysts, editors, summary).write(
            Progress(stream, "briefings", plan.briefings)
        )
        rows_written_in_bulk.send(sender=Briefing)
    return summary
