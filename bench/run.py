"""Load benchmark: the site under gunicorn (2 workers, production settings, DEBUG off) driven by wrk.

For each database (SQLite, PostgreSQL) it makes sure the generated corpus is
there (``generate_corpus``, skipped when the database already holds it; the
time it took is reported apart from the run's), then measures every page of
the performance issue three ways, each in a gunicorn of its own:

- **page-cache miss**: the page cache stores each page and forgets it at once
  (``PUBLIC_PAGE_CACHE_BENCHMARK_MISSES``), so every request renders the page
  and pays the cache's lookup and store, while anything else the cache keeps
  (rendered parts of pages) is as warm as on a busy site after a publication;
- **cold**: a cache that keeps nothing (``PUBLIC_PAGE_CACHE_MAX_BYTES=0``) and
  the public state read on every request: what the first reader after a
  restart or a cache flush gets;
- **hit**: the page cache as in production, for the cached page and the 304.

A unique query string would not force a miss: public views drop the
parameters their route does not read, so such requests share one cache entry,
as links with tracking parameters do.

Each scenario runs for a fixed time after a short warm-up; search is also
measured with one connection (its latency, not a queue), and the uncached
briefing page with 32 connections for a minute (errors). The table, with the
targets, the machine's core count and its load average, is printed and
written to ``bench/results/latest.md`` (and the raw figures to
``bench/results/latest.json``). Run it with ``make bench``;
``python bench/run.py --help`` lists the knobs.
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
import timeit
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
CACHED = "briefing, cached (page-cache hit)"
NOT_MODIFIED = "briefing, 304 conditional GET"
SELECTIVE = "search, selective word"
COMMON = "search, commonest word"
# The pages, each with the share of the trivial view's requests per second a page-cache miss must reach.
PAGES = [
    ("briefing with 30 citations", 0.20),
    ("home list (20 briefings)", 0.10),
    ("list filtered by tag", 0.10),
    ("RSS feed (50 full entries)", 0.10),
    ("source page (60 passages, cited by)", 0.15),
]
DETAIL = PAGES[0][0]
# Search, one reader at a time: the p95 not to exceed, in microseconds, on every database.
SEARCH_TARGETS = {COMMON: 150_000, SELECTIVE: 20_000}
HIT_TARGETS = {CACHED: 0.75, NOT_MODIFIED: 0.90}
# The environment of each kind of server (see the module's docstring).
MODES = {
    "miss": {"PUBLIC_PAGE_CACHE_BENCHMARK_MISSES": "1"},
    "cold": {"PUBLIC_PAGE_CACHE_MAX_BYTES": "0", "PUBLIC_STATE_MEMO_SECONDS": "0", "REDIS_URL": ""},
    "hit": {},
}


def log(message):
    print(message, file=sys.stderr, flush=True)


def cpu_probe():
    """Milliseconds one core takes for a fixed pure-Python loop, best of five.

    On a shared machine the cores themselves slow down at times while the load
    average stays the same; a run whose probe is slower than another's ran on a
    slower machine, whatever the code.
    """
    return min(timeit.repeat("sum(i * i for i in range(100_000))", number=1, repeat=5)) * 1000


def machine():
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min), "
        f"a fixed Python loop {cpu_probe():.1f} ms"
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url, redis_url, mode=None):
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
    env.update(MODES.get(mode, {}))
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
from public.queries import citing_published
from sources.models import Source
source = Source.objects.filter(slug=corpus.BENCHMARK_SOURCE_SLUG).first()
print(json.dumps({
    "sources": corpus.generated_sources().count(),
    "briefings": corpus.generated_briefings().distinct().count(),
    "benchmark": Briefing.objects.published().filter(slug=corpus.BENCHMARK_SLUG).exists(),
    "source": source.slug if source else None,
    "source_passages": source.passages.count() if source else 0,
    "source_cited": citing_published().filter(passage__source=source).values("passage").distinct().count(),
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
    wanted = (args.sources, args.briefings, True)
    if (state["sources"], state["briefings"], state["benchmark"] and bool(state["source"])) == wanted:
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


def addresses(base_url, state):
    """The URL of each page, found on the running site, checked to be the page the issue names."""
    status, _, body = fetch(base_url + "/api/briefings/")
    assert status == 200 and json.loads(body)["count"] > 0, "the corpus has no published briefing"
    detail = json.loads(fetch(base_url + "/api/briefings/benchmark-briefing-30-citations/")[2])
    assert len(detail["citations"]) == 30, "the benchmark briefing does not have 30 citations"
    tag = detail["tags"][0]["slug"]
    source_url = base_url + f"/sources/{state['source']}/"
    assert state["source_passages"] >= 60 and fetch(source_url)[0] == 200, "the benchmark source has no 60 passages"
    return {
        TRIVIAL: base_url + "/robots.txt",
        DETAIL: base_url + f"/briefings/{detail['slug']}/",
        "home list (20 briefings)": base_url + "/",
        "list filtered by tag": base_url + f"/?tag={tag}",
        "RSS feed (50 full entries)": base_url + "/feed/",
        "source page (60 passages, cited by)": source_url,
        SELECTIVE: base_url + f"/search/?q={state['selective']}",
        COMMON: base_url + f"/search/?q={state['common']}",
    }


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


def measure(name, base_url, label, url, args, header=None):
    wrk(url, args.warmup, args.connections, header=header)
    drain(base_url)
    summary = wrk(url, args.seconds, args.connections, header=header)
    drain(base_url)
    log(f"[{name}] {label}: {summary['rps']:.0f} req/s, p99 {summary['p99_us'] / 1000:.1f} ms")
    return summary


def run_database(name, args):
    env = environment(DATABASES[name], args.redis_url)
    state, generation = prepare_database(name, env, args)
    manage(env, "collectstatic", "--noinput")
    result = {
        "name": name, "generation": generation, "state": state, "load_before": machine(),
        "trivial": {}, "miss": {}, "cold": {}, "hit": {}, "latency": {}, "soak": None,
    }
    started = time.perf_counter()
    with gunicorn(environment(DATABASES[name], args.redis_url, "miss")) as base_url:
        urls = addresses(base_url, state)
        result["trivial"]["miss"] = measure(name, base_url, TRIVIAL, urls[TRIVIAL], args)
        for page, _ in PAGES:
            result["miss"][page] = measure(name, base_url, f"{page}, page-cache miss", urls[page], args)
        # Search latency: one reader at a time, so the figure is the query, not the queue.
        for label in (SELECTIVE, COMMON):
            wrk(urls[label], args.warmup, 1)
            result["latency"][label] = wrk(urls[label], args.seconds, 1)
            drain(base_url)
            log(f"[{name}] {label}, 1 connection: p95 {result['latency'][label]['p95_us'] / 1000:.1f} ms")
        if args.soak:
            log(f"[{name}] 32 connections for {args.soak} s on the briefing page, page-cache miss")
            result["soak"] = wrk(urls[DETAIL], args.soak, 32)
            drain(base_url)
    with gunicorn(environment(DATABASES[name], args.redis_url, "cold")) as base_url:
        urls = addresses(base_url, state)
        result["trivial"]["cold"] = measure(name, base_url, f"{TRIVIAL}, cold server", urls[TRIVIAL], args)
        for page, _ in PAGES:
            result["cold"][page] = measure(name, base_url, f"{page}, cold", urls[page], args)
    with gunicorn(environment(DATABASES[name], args.redis_url, "hit")) as base_url:
        urls = addresses(base_url, state)
        result["trivial"]["hit"] = measure(name, base_url, f"{TRIVIAL}, page-cache server", urls[TRIVIAL], args)
        result["hit"][CACHED] = measure(name, base_url, CACHED, urls[DETAIL], args)
        etag = fetch(urls[DETAIL])[1]["ETag"]
        result["hit"][NOT_MODIFIED] = measure(name, base_url, NOT_MODIFIED, urls[DETAIL], args,
                                              header=("If-None-Match", etag))
    result["minutes"] = (time.perf_counter() - started) / 60
    result["load_after"] = machine()
    return result


def ms(microseconds):
    return f"{microseconds / 1000:.1f}"


def share(summary, trivial):
    return summary["rps"] / trivial["rps"] if trivial["rps"] else 0.0


def within(summary, percentile, limit_us):
    """A latency target; a scenario in which no request completed meets none."""
    return summary["requests"] > 0 and summary[percentile] <= limit_us


def checks(result):
    """(target, figure, met) for every target of the issue, on one database."""
    found = []
    trivial = result["trivial"]["miss"]
    for page, minimum in PAGES:
        ratio = share(result["miss"][page], trivial)
        found.append((f"{page}, page-cache miss ≥ {minimum:.0%} of trivial", f"{ratio:.0%}", ratio >= minimum))
    for label, minimum in HIT_TARGETS.items():
        ratio = share(result["hit"][label], result["trivial"]["hit"])
        found.append((f"{label} ≥ {minimum:.0%} of trivial", f"{ratio:.0%}", ratio >= minimum))
    for label, limit in SEARCH_TARGETS.items():
        summary = result["latency"].get(label)
        if summary:
            figure = f"{ms(summary['p95_us'])} ms" if summary["requests"] else "no answer within the run"
            found.append((f"{label}, 1 connection, p95 ≤ {limit / 1000:.0f} ms", figure,
                          within(summary, "p95_us", limit)))
    if result["soak"]:
        soak = result["soak"]
        found.append(("32 connections for 60 s, 0 errors", f"{soak['errors']} errors in {soak['requests']} requests",
                      soak["requests"] > 0 and soak["errors"] == 0))
    return found


def row(label, summary, trivial):
    if not summary["requests"]:
        return f"| {label} | 0 | 0% | no request completed within the run | | | {summary['errors']} |"
    return (
        f"| {label} | {summary['rps']:.0f} | {100 * share(summary, trivial):.0f}% | {ms(summary['p50_us'])} | "
        f"{ms(summary['p95_us'])} | {ms(summary['p99_us'])} | {summary['errors']} |"
    )


def report_database(result, args):
    lines = [
        f"\n### {result['name']}\n",
        f"{args.connections} connections, {args.seconds} s per scenario after {args.warmup} s of warm-up; "
        f"{result['minutes']:.1f} minutes. Machine: {result['load_before']} before, {result['load_after']} after.",
        f"Benchmark source `{result['state']['source']}`: {result['state']['source_passages']} passages, "
        f"{result['state']['source_cited']} of them cited by published briefings.",
        "",
        "| scenario | req/s | % of trivial | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        row(f"{TRIVIAL} (page-cache-miss server)", result["trivial"]["miss"], result["trivial"]["miss"]),
    ]
    for page, _ in PAGES:
        lines.append(row(f"{page}, page-cache miss", result["miss"][page], result["trivial"]["miss"]))
        lines.append(row(f"{page}, cold", result["cold"][page], result["trivial"]["cold"]))
    lines.append(row(f"{TRIVIAL} (cold server)", result["trivial"]["cold"], result["trivial"]["cold"]))
    lines.append(row(f"{TRIVIAL} (page-cache server)", result["trivial"]["hit"], result["trivial"]["hit"]))
    for label in HIT_TARGETS:
        lines.append(row(label, result["hit"][label], result["trivial"]["hit"]))
    for label, summary in result["latency"].items():
        lines.append(row(f"{label}, 1 connection, page-cache miss", summary, result["trivial"]["miss"]))
    if result["soak"]:
        soak = result["soak"]
        lines.append(
            f"| 32 connections for {args.soak} s, briefing, page-cache miss | {soak['rps']:.0f} | | "
            f"{ms(soak['p50_us'])} | {ms(soak['p95_us'])} | {ms(soak['p99_us'])} | {soak['errors']} |"
        )
    lines.append("")
    lines.append("Cold rows are compared with the trivial view of the cold server, hits with that of the page-cache "
                 "server, everything else with that of the page-cache-miss server.")
    if result["generation"] is not None:
        lines.append(f"Corpus generated in {result['generation']:.0f} s (not part of the run's time).")
    return lines


def report(results, args, minutes):
    lines = [f"## make bench: whole run {minutes:.1f} minutes (corpus generation not counted); {machine()} at the end"]
    by_database = {result["name"]: {label: (figure, met) for label, figure, met in checks(result)}
                   for result in results}
    names = [result["name"] for result in results]
    lines += ["", "| target | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    for label in by_database[names[0]]:
        cells = []
        for name in names:
            figure, met = by_database[name].get(label, ("—", True))
            cells.append(f"{figure} {'met' if met else '**MISSED**'}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for result in results:
        lines += report_database(result, args)
    missed = [f"{name}: {label}" for name in names for label, (_, met) in by_database[name].items() if not met]
    lines += ["", "Every target met." if not missed else "Missed: " + "; ".join(missed) + "."]
    return "\n".join(lines) + "\n"


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
    log(f"machine: {machine()}")
    started = time.perf_counter()
    results = [run_database(name, args) for name in args.databases.split(",")]
    generation = sum(result["generation"] or 0 for result in results)
    table = report(results, args, (time.perf_counter() - started - generation) / 60)
    print(table)
    (WORK / "latest.md").write_text(table)
    (WORK / "latest.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
