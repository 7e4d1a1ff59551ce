"""Every benchmark of Duban's hot paths, each against the raw SQL doing the same work.

    python -m bench --quick                 # 10,000 cases, three runs each (about two minutes)
    python -m bench --size 1000000          # a province: ~125 districts, ~3,000 units
    python -m bench --size 100000 --json    # one JSON object per line
    python -m bench --reuse …               # measure the database built last time

Builds the database with bench.generate (COPY), then measures in-process with Flask's test
client after a warm-up: the median and p95 of Duban's path, the baseline's median (psycopg,
no ORM, no Flask, same rows), their ratio, the goal it must stay under, and the SQL
statements per request. Needs PostgreSQL (a user that may create databases) and Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from bench.measures import run_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 cases, three runs each")
    parser.add_argument("--size", type=int, default=None, help="cases in all (default 100,000)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per measure")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--reuse", action="store_true", help="do not rebuild the database")
    parser.add_argument("--only", nargs="*", default=None, help="measures whose name contains one of these")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/duban_bench"))
    args = parser.parse_args(argv)
    size = args.size or (10_000 if args.quick else 100_000)
    runs = args.runs or (3 if args.quick else 15)
    os.environ.setdefault("DUBAN_VAR_DIR", "/tmp/duban-bench")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
    os.environ["DATABASE_URL"] = args.database_url

    if not args.reuse:
        from bench.generate import build

        build(args.database_url, size, log=lambda text: print(text, file=sys.stderr, flush=True))
    if not args.json:
        print("| measure | size | median ms | p95 ms | baseline ms | ratio | goal | statements |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
    failures = 0
    for result in run_all(args.database_url, runs, only=args.only):
        failures += result.ratio is not None and result.goal is not None and result.ratio > result.goal
        if args.json:
            print(json.dumps(result.as_dict(), ensure_ascii=False), flush=True)
        else:
            print(result.as_row(), flush=True)
    if not args.json:
        print(f"\n{failures} measure(s) over their goal", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
