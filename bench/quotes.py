"""Quote verification on a 2 MB passage: how long each kind of check takes.

Runs ``briefings.quotes.locate`` (the check behind every citation save) on a
synthetic passage of about 2 MB, the size of the largest article lines met in
imports, and prints a Markdown table of the best and median time of each case.
No database is needed. Run it with ``make bench-quotes`` or
``.venv/bin/python bench/quotes.py [--repeat N]``.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefings import quotes  # noqa: E402  (the project root is put on the path first)

SENTENCE = "The delegation met officials in Baku on Monday — and the “talks” went on… "
PASSAGE = (SENTENCE * (2_000_000 // len(SENTENCE) + 1))[:2_000_000].rstrip()
UNIQUE_AT = len(PASSAGE) // 2
PASSAGE_WITH_UNIQUE = PASSAGE[:UNIQUE_AT] + " A pipeline deal was signed in secret. " + PASSAGE[UNIQUE_AT:]
ABSENT_QUOTE = ("Officials denied every word of the report about the pipeline. " * 80)[:5000]


def refused(text, quote, **context):
    try:
        quotes.locate(text, quote, **context)
    except quotes.QuoteError as error:
        return error.code
    return "found"


CASES = [
    ("fold a 2 MB passage", lambda: quotes.fold(PASSAGE)),
    ("absent 5,000-character quote", lambda: refused(PASSAGE, ABSENT_QUOTE)),
    ("ambiguous three-word quote", lambda: refused(PASSAGE, "officials in Baku")),
    ("unique quote in the middle", lambda: refused(PASSAGE_WITH_UNIQUE, "A pipeline deal was signed in secret.")),
    ("saved citation, by its offset", lambda: refused(PASSAGE, "officials in Baku", start=PASSAGE.index(
        "officials in Baku", UNIQUE_AT))),
    ("quote longer than the passage", lambda: refused("Talks went on.", "Talks went on and on for days.")),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each case (default 5)")
    options = parser.parse_args()
    print(f"Passage: {len(PASSAGE):,} characters; {options.repeat} runs per case.\n")
    print("| case | outcome | best ms | median ms |")
    print("| --- | --- | ---: | ---: |")
    for name, case in CASES:
        timings, outcome = [], None
        for _ in range(options.repeat):
            started = time.perf_counter()
            outcome = case()
            timings.append((time.perf_counter() - started) * 1000)
        label = outcome if isinstance(outcome, str) else "—"
        print(f"| {name} | {label} | {min(timings):.1f} | {statistics.median(timings):.1f} |")


if __name__ == "__main__":
    main()
