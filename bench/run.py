"""Load benchmark: the site under gunicorn (2 workers, production settings, DEBUG off) driven by wrk.

For each database (SQLite, PostgreSQL) it makes sure the generated corpus is
there (``generate_corpus``, skipped when the database already holds it),
starts gunicorn, measures each scenario for a fixed time after a short
warm-up, and prints a Markdown table of requests per second, latency
percentiles and errors, followed by the targets and whether they were met.
The table is also written to ``bench/results/latest.md``. Run it with
``make bench``; ``python bench/run.py --help`` lists the knobs.
"""
import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "report.lua"
WORK = ROOT / "bench" / "results"
DATABASES = {
    "sqlite": f"sqlite:///{WORK / 'bench.sqlite3'}",
    "postgres": os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/briefings_bench"),
}
TRIVIAL = "trivial view /robots.txt"
DETAIL = "briefing detail, 30 citations, uncached"
CACHED = "briefing detail, cached"
NOT_MODIFIED = "briefing detail, 304 conditional GET"
SELECTIVE = "search, selective word"
COMMON = "search, commonest word"


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url, redis_url, *, page_cache=True):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_LOG_LEVEL="WARNING",
        REDIS_URL=redis_url or "",
    )
    if not page_cache:
        # Every request renders its page. A unique query string no longer does this: public views drop the
        # parameters their route does not read, so such requests share one cache entry, as tracking links do.
        env["PUBLIC_PAGE_CACHE_SECONDS"] = "0"
    return env


def manage(env, *args, capture=False):
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )
    return result.stdout


CORPUS_PROBE = """
import json
from demo import corpus
from briefings.models import Briefing
print(json.dumps({
    "sources": corpus.generated_sources().count(),
    "briefings": corpus.generated_briefings().distinct().count(),
    "benchmark": Briefing.objects.published().filter(slug=corpus.BENCHMARK_SLUG).exists(),
    "selective": corpus.SELECTIVE_WORD,
    "common": corpus.COMMON_WORD,
}))
"""


def corpus_state(env):
    return json.loads(manage(env, "shell", "-c", CORPUS_PROBE, capture=True).strip().splitlines()[-1])


def prepare_database(name, env, args):
    """Migrate and generate the corpus unless the database already holds one of the wanted size."""
    if name == "postgres":
        database = env["DATABASE_URL"].rsplit("/", 1)[1]
        subprocess.run(
            ["psql", env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", "-q", "-c", f'CREATE DATABASE "{database}"'],
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
    manage(env, "migrate", "--noinput")
    state = corpus_state(env)
    if state["sources"] == args.sources and state["briefings"] == args.briefings and state["benchmark"]:
        log(f"[{name}] corpus already generated ({args.sources} sources, {args.briefings} briefings)")
        return state, None
    log(f"[{name}] generating the corpus ({args.sources} sources, {args.briefings} briefings)")
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "python"), "manage.py", "generate_corpus", "--sources", str(args.sources),
         "--briefings", str(args.briefings), "--replace"],
        cwd=ROOT, env=env, check=True, stdout=sys.stderr,
    )
    generation = time.perf_counter() - started
    if name == "postgres":
        # Write the bulk load out now rather than in a checkpoint halfway through the measurements.
        subprocess.run(["psql", env["DATABASE_URL"], "-q", "-c", "CHECKPOINT"], check=False, stdout=subprocess.DEVNULL)
    return corpus_state(env), generation


def wait_until_up(base_url, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited before answering")
        try:
            with urllib.request.urlopen(base_url + "/robots.txt", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def drain(base_url, timeout=60):
    """Wait until the server answers the trivial view quickly again.

    When wrk stops, gunicorn still works through the requests it accepted; a
    slow scenario would otherwise eat into the next scenario's time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            fetch(base_url + "/robots.txt")
        except OSError:
            pass
        if time.monotonic() - started < 0.2:
            return
        time.sleep(0.5)
    log("the server stayed busy; measuring anyway")


def wrk(url, seconds, connections, *, header=None):
    env = dict(os.environ)
    if header:
        env["BENCH_HEADER_NAME"], env["BENCH_HEADER_VALUE"] = header
    # One wrk thread keeps 32 connections busy on this scale and leaves the cores to the server.
    result = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "-s", str(LUA), url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    summary["connections"] = connections
    return summary


def scenarios(base_url, state):
    """The URLs to measure, found on the running site, and whether each is measured with the page cache on."""
    status, _, body = fetch(base_url + "/api/briefings/")
    assert status == 200 and json.loads(body)["count"] > 0, "the corpus has no published briefing"
    detail = json.loads(fetch(base_url + "/api/briefings/benchmark-briefing-30-citations/")[2])
    assert len(detail["citations"]) == 30, "the benchmark briefing does not have 30 citations"
    tag = detail["tags"][0]["slug"]
    detail_url = base_url + f"/briefings/{detail['slug']}/"
    _, headers, _ = fetch(detail_url)
    return [
        (TRIVIAL, base_url + "/robots.txt", {}),
        (DETAIL, detail_url, {}),
        (CACHED, detail_url, {"page_cache": True}),
        (NOT_MODIFIED, detail_url, {"header": ("If-None-Match", headers["ETag"])}),
        ("home list, uncached", base_url + "/", {}),
        ("filtered list (tag), uncached", base_url + f"/?tag={tag}", {}),
        (SELECTIVE, base_url + f"/search/?q={state['selective']}", {}),
        (COMMON, base_url + f"/search/?q={state['common']}", {}),
        ("RSS feed (50 full entries), uncached", base_url + "/feed/", {}),
    ]


@contextlib.contextmanager
def gunicorn(env):
    """The site under gunicorn with 2 sync workers; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_up(base_url, server)
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def measure(name, base_url, label, url, options, args):
    wrk(url, args.warmup, args.connections, header=options.get("header"))
    drain(base_url)
    summary = wrk(url, args.seconds, args.connections, header=options.get("header"))
    drain(base_url)
    log(f"[{name}] {label}: {summary['rps']:.0f} req/s, p99 {summary['p99_us'] / 1000:.1f} ms")
    return summary


def run_database(name, args):
    env = environment(DATABASES[name], args.redis_url)
    state, generation = prepare_database(name, env, args)
    manage(env, "collectstatic", "--noinput")
    measured, latency, soak = {}, {}, None
    # Pages measured "uncached" are served by a process without a page cache, so every request renders;
    # the cached scenario gets a process of its own with the cache on, as in production.
    with gunicorn(environment(DATABASES[name], args.redis_url, page_cache=False)) as base_url:
        found = scenarios(base_url, state)
        for label, url, options in found:
            if not options.get("page_cache"):
                measured[label] = measure(name, base_url, label, url, options, args)
        # Search latency on its own: one reader at a time, so the figure is the query, not the queue.
        for label, url, _ in found:
            if label in (SELECTIVE, COMMON):
                latency[label] = wrk(url, args.seconds, 1)
                drain(base_url)
                log(f"[{name}] {label}, 1 connection: p95 {latency[label]['p95_us'] / 1000:.1f} ms")
        if args.soak:
            log(f"[{name}] 32 connections for {args.soak}s on the uncached briefing page")
            soak = wrk(found[1][1], args.soak, 32)
    with gunicorn(env) as base_url:
        for label, url, options in scenarios(base_url, state):
            if options.get("page_cache"):
                measured[label] = measure(name, base_url, label, url, options, args)
    rows = [(label, measured[label]) for label, _, _ in found]
    return {"name": name, "rows": rows, "latency": latency, "generation": generation, "soak": soak}


def ms(microseconds):
    return f"{microseconds / 1000:.1f}"


def within(summary, percentile, limit_us):
    """A latency target; a scenario in which no request completed meets none."""
    return summary["requests"] > 0 and summary[percentile] <= limit_us


def checks(result):
    rows = dict(result["rows"])
    trivial = rows[TRIVIAL]["rps"]
    detail = rows[DETAIL]
    found = [
        ("briefing detail uncached ≥ 20% of trivial", detail["rps"] >= 0.2 * trivial),
        ("briefing detail cached ≥ 75% of trivial", rows[CACHED]["rps"] >= 0.75 * trivial),
        ("304 ≥ 90% of trivial", rows[NOT_MODIFIED]["rps"] >= 0.9 * trivial),
        (f"briefing detail uncached p99 ≤ 25 ms at {detail['connections']} connections",
         within(detail, "p99_us", 25_000)),
    ]
    if result["name"] == "postgres" and result["latency"]:
        found += [
            ("search p95 ≤ 50 ms, selective word (1 connection)",
             within(result["latency"][SELECTIVE], "p95_us", 50_000)),
            ("search p95 ≤ 250 ms, commonest word (1 connection)",
             within(result["latency"][COMMON], "p95_us", 250_000)),
        ]
    if result["soak"]:
        soak = result["soak"]
        found.append(("no errors at 32 connections", soak["requests"] > 0 and soak["errors"] == 0))
    return found


def report(results, args):
    lines = []
    for result in results:
        trivial = dict(result["rows"])[TRIVIAL]["rps"]
        lines.append(f"\n### {result['name']} ({args.connections} connections, {args.seconds} s per scenario)\n")
        lines.append("| scenario | req/s | % of trivial | p50 ms | p95 ms | p99 ms | errors |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, summary in result["rows"]:
            lines.append(
                f"| {label} | {summary['rps']:.0f} | {100 * summary['rps'] / trivial:.0f}% | "
                f"{ms(summary['p50_us'])} | {ms(summary['p95_us'])} | {ms(summary['p99_us'])} | {summary['errors']} |"
            )
        for label, summary in result["latency"].items():
            lines.append(
                f"| {label}, 1 connection | {summary['rps']:.0f} | {100 * summary['rps'] / trivial:.0f}% | "
                f"{ms(summary['p50_us'])} | {ms(summary['p95_us'])} | {ms(summary['p99_us'])} | {summary['errors']} |"
            )
        lines.append("")
        if result["soak"]:
            soak = result["soak"]
            lines.append(
                f"32 connections for {args.soak} s on the uncached briefing page: {soak['requests']} requests "
                f"({soak['rps']:.0f}/s), {soak['errors']} errors ({soak['non_2xx_3xx']} non-2xx/3xx), "
                f"p99 {ms(soak['p99_us'])} ms."
            )
        if result["generation"] is not None:
            lines.append(f"Corpus generated in {result['generation']:.0f} s.")
        lines.append("")
        for label, met in checks(result):
            lines.append(f"- {'met' if met else 'MISSED'}: {label}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgres", help="Comma-separated: sqlite, postgres.")
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--briefings", type=int, default=10000)
    parser.add_argument("--seconds", type=int, default=10, help="Measured seconds per scenario.")
    parser.add_argument("--warmup", type=int, default=2, help="Unmeasured seconds before each scenario.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--soak", type=int, default=60, help="Seconds at 32 connections (0 to skip).")
    parser.add_argument("--redis-url", default="", help="Page cache in Redis, as in production (default: memory).")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (make bench does this)")
    unknown = set(args.databases.split(",")) - set(DATABASES)
    if unknown:
        sys.exit(f"unknown database: {', '.join(sorted(unknown))} (choose from {', '.join(DATABASES)})")
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results = [run_database(name, args) for name in args.databases.split(",")]
    table = report(results, args)
    table += (
        f"\n\nWhole run: {(time.perf_counter() - started) / 60:.1f} minutes on {os.cpu_count()} cores "
        f"(load average at the end: {os.getloadavg()[0]:.1f}).\n"
    )
    print(table)
    (WORK / "latest.md").write_text(table)


if __name__ == "__main__":
    main()
