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
    from django.utils import timezone

    from sources import text as passage_text
    from sources.models import Passage, Source

    source = Source.objects.filter(slug=SLUG).only("pk").first()
    if source:
        return source
    line = ("The corridor carries freight between Baku and the Russian border, officials said on Tuesday. " * 40)
    per_passage = max(1, megabytes * 1_000_000 // passages)
    lines = [f"{number} {line[:per_passage]}".strip() for number in range(passages)]
    body = "\n".join(lines) + "\n"
    now = timezone.now()
    source = Source.objects.create(
        slug=SLUG, title="A twenty-megabyte source", text=body, content_hash=passage_text.sha256(body),
        imported_at=now, updated_at=now, origin="big.txt",
    )
    rows, offset = [], 0
    for ordinal, content in enumerate(lines, start=1):
        rows.append(Passage(
            source=source, ordinal=ordinal, anchor=f"p-{ordinal}", text=content, start=offset,
            end=offset + len(content), kind="paragraph", content_hash=passage_text.sha256(content),
        ))
        offset += len(content) + 1
    Passage.objects.bulk_create(rows, batch_size=2000)
    return source


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
    print(f"database: {connection.vendor}; source ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
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
    print("| --- | --- | --- | --- |")
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
        print(f"| {name} | {statistics.median(times) * 1000:.0f} ms | {len(queries)} | {size / 1000:.0f} kB |")


if __name__ == "__main__":
    main()
