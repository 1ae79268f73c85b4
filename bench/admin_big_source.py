"""Timings of the sources admin with one very large source.

Builds (once) a source of about 20 MB in about 60,000 passages in the database
``DATABASE_URL`` names, then times the pages staff open on it: the source list,
a source search, the passage list, a passage search, the passage list filtered
to the source, and the source's change page. Each page is requested a few times
through Django's test client as a logged-in superuser; the table shows the
median time, the number of queries and the size of the response.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/briefings_bench .venv/bin/python bench/admin_big_source.py
    .venv/bin/python bench/admin_big_source.py --database-url sqlite:///bench/results/admin.sqlite3

Use a database of its own: the script migrates it and adds the source, a
superuser ``bench-admin`` and nothing else.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "benchmark-twenty-megabyte-source"


def build_source(megabytes, passages):
    """The big source, imported once through ``import_sources`` like any article file."""
    import tempfile

    from sources.importer import import_sources
    from sources.models import Source

    source = Source.objects.filter(slug=SLUG).only("pk").first()
    if source:
        return source
    sentence = "The corridor carries freight between Baku and the Russian border, officials said on Tuesday. "
    per_passage = max(1, megabytes * 1_000_000 // passages)
    body = "".join(
        f"Passage {number}: {(sentence * (per_passage // len(sentence) + 1))[:per_passage]}".rstrip() + "\n"
        for number in range(passages)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.txt"
        path.write_text("A Twenty Megabyte Source\n" + body)
        (Path(folder) / "sources.toml").write_text(f'[sources."big.txt"]\nslug = "{SLUG}"\n')
        import_sources([folder])
    return Source.objects.only("pk").get(slug=SLUG)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--passages", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    source = build_source(args.megabytes, args.passages)
    print(f"database: {connection.vendor}; source ready in {time.perf_counter() - started:.1f} s", file=sys.stderr,
          flush=True)
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    pages = [
        ("source list", "/admin/sources/source/"),
        ("source search (passage words)", "/admin/sources/source/?q=freight"),
        ("passage list", "/admin/sources/passage/"),
        ("passage search", "/admin/sources/passage/?q=corridor"),
        ("passages of the source", f"/admin/sources/passage/?source={source.pk}"),
        ("source change page", f"/admin/sources/source/{source.pk}/change/"),
    ]
    print(f"| page ({connection.vendor}) | median | queries | response |")
    print("| --- | --- | --- | --- |", flush=True)
    for name, url in pages:
        times = []
        for _ in range(args.repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        size = len(response.content)
        print(f"| {name} | {statistics.median(times) * 1000:.0f} ms | {len(queries)} | {size / 1000:.0f} kB |",
              flush=True)


if __name__ == "__main__":
    main()
