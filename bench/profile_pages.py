"""Where a public page's time goes on a page-cache miss: queries, template rendering, and the rest.

Runs in one process against the database in ``DATABASE_URL`` (a generated corpus: ``generate_corpus``), with
the page cache off, through the whole middleware stack (Django's test client). For each page it prints the
mean milliseconds per request of

- **queries**: time inside the database driver (SQL sent and rows fetched);
- **templates**: time inside template rendering (``Template.render``), queries issued from templates excluded;
- **other**: everything else: middleware, the view, building model objects from rows, feeds' XML;

for a *warm* miss (fragments of the page kept from an earlier request, as after a publication elsewhere) and a
*cold* one (every cache empty). ``--profile PAGE`` prints cProfile's top functions for one page instead.

    DATABASE_URL=sqlite:///bench/results/bench.sqlite3 .venv/bin/python bench/profile_pages.py
    DATABASE_URL=... .venv/bin/python bench/profile_pages.py --profile "briefing detail"
"""
import argparse
import cProfile
import os
import pstats
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "profile-pages-only")
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
os.environ["PUBLIC_PAGE_CACHE_SECONDS"] = "0"

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.template import base as template_base  # noqa: E402
from django.test import Client  # noqa: E402

from briefings.models import Briefing, RevisionCitation  # noqa: E402
from public import caching  # noqa: E402
from sources.models import Source  # noqa: E402

BENCHMARK_SLUG = "benchmark-briefing-30-citations"


def pages():
    """The issue's pages: the 30-citation briefing, the home list, a tag-filtered list, the feed, a source page."""
    tag = Briefing.objects.published().get(slug=BENCHMARK_SLUG).published_revision.tags.order_by("pk").first()
    quoted = (
        RevisionCitation.objects.filter(revision__published_as__in=Briefing.objects.published())
        .values("passage__source").annotate(cited=Count("pk")).order_by("-cited").values("passage__source")[:1]
    )
    source = Source.objects.filter(pk__in=quoted).only("slug").first()
    return {
        "briefing detail": f"/briefings/{BENCHMARK_SLUG}/",
        "home list": "/",
        "tag-filtered list": f"/?tag={tag.slug}",
        "tag page": f"/tags/{tag.slug}/",
        "RSS feed": "/feed/",
        "source page": f"/sources/{source.slug}/",
    }


class Clock:
    """Time spent in SQL and in templates, nested calls counted once."""

    def __init__(self):
        self.sql = self.templates = 0.0
        self.depth = 0
        self.sql_in_templates = 0.0

    def execute(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.sql += spent
            if self.depth:
                self.sql_in_templates += spent

    @contextmanager
    def templates_timed(self):
        original = template_base.Template.render
        clock = self

        def render(template, context):
            clock.depth += 1
            started = time.perf_counter()
            try:
                return original(template, context)
            finally:
                clock.depth -= 1
                if not clock.depth:
                    clock.templates += time.perf_counter() - started

        template_base.Template.render = render
        try:
            yield
        finally:
            template_base.Template.render = original


def empty_caches():
    cache.clear()
    caching.forget_public_state()


def measure(client, url, repeat, *, cold):
    clock = Clock()
    total = 0.0
    with connection.execute_wrapper(clock.execute), clock.templates_timed():
        for _ in range(repeat):
            if cold:
                empty_caches()
            else:
                caching.forget_public_state()
            started = time.perf_counter()
            response = client.get(url)
            total += time.perf_counter() - started
            assert response.status_code == 200, f"{url} answered {response.status_code}"
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
    templates = clock.templates - clock.sql_in_templates
    return {
        "total": 1000 * total / repeat,
        "queries": 1000 * clock.sql / repeat,
        "templates": 1000 * templates / repeat,
        "other": 1000 * (total - clock.sql - templates) / repeat,
    }


def breakdown(repeat):
    client = Client()
    found = pages()
    print(f"Database: {connection.vendor}; mean of {repeat} requests; page cache off; milliseconds per request.\n")
    print("| page | miss | total | queries | templates | other |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, url in found.items():
        client.get(url)  # warm-up: URL resolver, template loader, fragments
        for cold in (False, True):
            row = measure(client, url, repeat, cold=cold)
            print(
                f"| {name} | {'cold' if cold else 'warm'} | {row['total']:.1f} | {row['queries']:.1f} | "
                f"{row['templates']:.1f} | {row['other']:.1f} |"
            )


def profile(name, repeat, cold):
    client = Client()
    url = pages()[name]
    client.get(url)
    profiler = cProfile.Profile()
    for _ in range(repeat):
        if cold:
            empty_caches()
        caching.forget_public_state()
        profiler.enable()
        client.get(url)
        profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", metavar="PAGE", help="cProfile one page instead (its name in the table).")
    parser.add_argument("--cold", action="store_true", help="With --profile: empty every cache before each request.")
    args = parser.parse_args()
    call_command("collectstatic", interactive=False, verbosity=0)  # production settings serve hashed names
    if args.profile:
        profile(args.profile, args.repeat, args.cold)
    else:
        breakdown(args.repeat)


if __name__ == "__main__":
    main()
