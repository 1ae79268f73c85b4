import argparse
import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.dateparse import parse_datetime

from demo import corpus


def as_of(value):
    moment = parse_datetime(value)
    if moment is None:
        try:
            moment = datetime.datetime.combine(datetime.date.fromisoformat(value), datetime.time())
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a date or time: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


class Command(BaseCommand):
    help = (
        "Generate a deterministic synthetic corpus (sources, passages, tags, accounts and briefings in every "
        "workflow state with verified citations) for benchmarks. Same arguments, same data. All-or-nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sources", type=int, default=2000, help="Number of sources (default 2000).")
        parser.add_argument("--briefings", type=int, default=10000, help="Number of briefings (default 10000).")
        parser.add_argument(
            "--tags", type=int, default=500, help=f"Number of tags (default 500, at most {corpus.MAX_TAGS})."
        )
        parser.add_argument(
            "--passages-per-source", type=int, default=corpus.PASSAGES_PER_SOURCE,
            help=f"Passages in each source (default {corpus.PASSAGES_PER_SOURCE}).",
        )
        parser.add_argument(
            "--citations-per-briefing", type=int, default=10, help="Average citations per briefing (default 10)."
        )
        parser.add_argument("--analysts", type=int, default=12, help="Number of analysts (default 12).")
        parser.add_argument("--editors", type=int, default=4, help="Number of editors (default 4).")
        parser.add_argument("--seed", type=int, default=7, help="Seed of the random generator (default 7).")
        parser.add_argument(
            "--as-of", type=as_of, default=None,
            help="Where the timeline ends: everything before is history, scheduled briefings come after "
                 "(ISO date or time, UTC unless given; default: the start of today, UTC).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Delete a previously generated corpus first."
        )

    def handle(self, *args, **options):
        plan = corpus.Plan(
            sources=options["sources"],
            briefings=options["briefings"],
            tags=options["tags"],
            passages_per_source=options["passages_per_source"],
            citations_per_briefing=options["citations_per_briefing"],
            analysts=options["analysts"],
            editors=options["editors"],
            seed=options["seed"],
            as_of=options["as_of"],
        )
        started = time.perf_counter()
        try:
            summary = corpus.generate(plan, stream=self.stderr, replace=options["replace"])
        except corpus.CorpusError as error:
            raise CommandError(f"{error} Nothing was written.") from None
        if not connection.in_atomic_block:
            corpus.refresh_statistics()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Generated {summary.describe()} in {elapsed:.1f}s.")
