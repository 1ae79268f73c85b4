"""Where a public page's time goes on a page-cache miss: queries, ORM, templates, middleware, and the rest.

Runs in one process against the database in ``DATABASE_URL`` (a generated corpus: ``generate_corpus``),
through the whole middleware stack (Django's test client), with every page stored in the page cache and
forgotten at once (``PUBLIC_PAGE_CACHE_BENCHMARK_MISSES``, as ``make bench`` does). For each page it prints, in
milliseconds, the phases of the fastest of ``--repeat`` requests (the one least disturbed by whatever else
the machine runs):

- **SQL**: time inside the database driver (statements executed, rows fetched);
- **ORM**: the rest of the time inside querysets: compiling SQL, building model objects and rows;
- **templates**: time inside template rendering, queries issued from templates excluded;
- **middleware**: the request's time outside the handler's view dispatch (``BaseHandler._get_response``):
  the middleware and the handler's own work (request object, signals);
- **view, other**: the rest: the view's own Python, the page and fragment caches, feeds' XML, citations;

for a *miss* (parts of the page kept from an earlier request, as after a publication elsewhere) and a
*cold* request (every cache empty and the public state read again). ``--profile PAGE`` prints cProfile's top
functions for one page instead.

    DATABASE_URL=sqlite:///bench/results/bench.sqlite3 .venv/bin/python bench/profile_pages.py
    DATABASE_URL=... .venv/bin/python bench/profile_pages.py --profile "briefing detail"
"""
import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "profile-pages-only")
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
os.environ["DJANGO_LOG_LEVEL"] = "ERROR"
os.environ["PUBLIC_PAGE_CACHE_BENCHMARK_MISSES"] = "1"

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.handlers import base as handler_base  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends import utils as backend_utils  # noqa: E402
from django.db.models import query as queryset_module  # noqa: E402
from django.db.models.sql import compiler as compiler_module  # noqa: E402
from django.template import base as template_base  # noqa: E402
from django.test import Client  # noqa: E402

from briefings.models import Briefing  # noqa: E402
from public import caching  # noqa: E402

# The generated corpus's fixed addresses and words (demo/corpus/plan.py).
BENCHMARK_SLUG = "benchmark-briefing-30-citations"
BENCHMARK_SOURCE_SLUG = "benchmark-source-60-passages"
COMMON_WORD, SELECTIVE_WORD = "government", "quillwort"


def pages():
    """The issue's pages, searches and the trivial view."""
    tag = Briefing.objects.published().get(slug=BENCHMARK_SLUG).published_revision.tags.order_by("pk").first()
    return {
        "briefing detail": f"/briefings/{BENCHMARK_SLUG}/",
        "home list": "/",
        "tag-filtered list": f"/?tag={tag.slug}",
        "tag page": f"/tags/{tag.slug}/",
        "RSS feed": "/feed/",
        "source page": f"/sources/{BENCHMARK_SOURCE_SLUG}/",
        "search, commonest word": f"/search/?q={COMMON_WORD}",
        "search, selective word": f"/search/?q={SELECTIVE_WORD}",
        "trivial /robots.txt": "/robots.txt",
    }


class Clock:
    """Seconds of one request spent in each phase; nested calls of one phase are counted once."""

    PHASES = ("orm", "templates", "dispatch")

    def __init__(self):
        self.reset()

    def reset(self):
        self.spent = dict.fromkeys(("sql", *self.PHASES), 0.0)
        self.depth = dict.fromkeys(self.PHASES, 0)
        self.orm_in_templates = 0.0

    def execute(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.spent["sql"] += time.perf_counter() - started

    def time(self, phase, owner, name):
        """Count the time in ``owner.name`` towards ``phase``."""
        original = getattr(owner, name)
        clock = self

        def timed(*args, **kwargs):
            clock.depth[phase] += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                clock.depth[phase] -= 1
                if not clock.depth[phase]:
                    spent = time.perf_counter() - started
                    clock.spent[phase] += spent
                    if phase == "orm" and clock.depth["templates"]:
                        clock.orm_in_templates += spent

        setattr(owner, name, timed)

    def fetched(self, name):
        """Count fetching rows as SQL: SQLite computes most rows as they are fetched, not when executed."""
        clock = self

        def fetch(cursor, *args):
            started = time.perf_counter()
            try:
                return getattr(cursor.cursor, name)(*args)
            finally:
                clock.spent["sql"] += time.perf_counter() - started

        setattr(backend_utils.CursorWrapper, name, fetch)

    def install(self):
        for name in ("fetchone", "fetchmany", "fetchall"):
            self.fetched(name)
        # Before the first client: the handler keeps a bound ``_get_response`` when it builds its middleware chain.
        self.time("orm", queryset_module.QuerySet, "_fetch_all")
        self.time("orm", compiler_module.SQLCompiler, "execute_sql")
        self.time("templates", template_base.Template, "render")
        self.time("dispatch", handler_base.BaseHandler, "_get_response")


CLOCK = Clock()


def empty_caches():
    cache.clear()
    caching.forget_public_state()


def measure(client, url, repeat, *, cold):
    """The phases of the fastest of ``repeat`` requests, in milliseconds."""
    fastest = None
    with connection.execute_wrapper(CLOCK.execute):
        for _ in range(repeat):
            if cold:
                empty_caches()
            else:
                caching.forget_public_state()
            CLOCK.reset()
            started = time.perf_counter()
            response = client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            total = time.perf_counter() - started
            assert response.status_code == 200, f"{url} answered {response.status_code}"
            if fastest is None or total < fastest[0]:
                fastest = (total, dict(CLOCK.spent), CLOCK.orm_in_templates)
    total, spent, orm_in_templates = fastest
    templates = spent["templates"] - orm_in_templates
    return {
        "total": 1000 * total,
        "sql": 1000 * spent["sql"],
        "orm": 1000 * (spent["orm"] - spent["sql"]),
        "templates": 1000 * templates,
        "middleware": 1000 * (total - spent["dispatch"]),
        "other": 1000 * (spent["dispatch"] - spent["orm"] - templates),
    }


def breakdown(repeat, skip):
    CLOCK.install()
    client = Client()
    print(
        f"Database: {connection.vendor}; milliseconds, fastest of {repeat} requests; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n"
    )
    print("| page | request | total | SQL | ORM | templates | middleware | view, other |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, url in pages().items():
        if name in skip:
            continue
        client.get(url)  # warm-up: URL resolver, template loader, kept parts
        for cold in (False, True):
            row = measure(client, url, repeat, cold=cold)
            print(
                f"| {name} | {'cold' if cold else 'miss'} | {row['total']:.1f} | {row['sql']:.1f} | {row['orm']:.1f} | "
                f"{row['templates']:.1f} | {row['middleware']:.2f} | {row['other']:.1f} |",
                flush=True,
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
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--skip", action="append", default=[], metavar="PAGE", help="Leave a page out (repeatable).")
    parser.add_argument("--profile", metavar="PAGE", help="cProfile one page instead (its name in the table).")
    parser.add_argument("--cold", action="store_true", help="With --profile: empty every cache before each request.")
    args = parser.parse_args()
    call_command("collectstatic", interactive=False, verbosity=0)  # production settings serve hashed names
    if args.profile:
        profile(args.profile, args.repeat, args.cold)
    else:
        breakdown(args.repeat, set(args.skip))


if __name__ == "__main__":
    main()
