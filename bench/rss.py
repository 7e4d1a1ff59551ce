"""A gunicorn worker's memory over 10,000 mixed requests (issue 14: "RSS flat").

    python -m bench.rss --database-url postgresql+psycopg://postgres@127.0.0.1:5432/duban_bench_x
    python -m bench.rss --requests 2000 --every 500      # shorter

Needs a database built by `python -m bench` (its demo users log in with the bench password) and
Redis (REDIS_URL). Starts gunicorn as scripts/run does, but with ONE worker (sync, no threads),
so every request is served by the one process whose RSS is read (/proc/<pid>/status, VmRSS).
One client thread sends the mix of bench.load — API list pages, case pages, case JSON,
progress reports and transitions — plus the office's case list, queues and the dashboard,
cycling over the caseworker's and the lead's cases. After a warm-up of --warmup requests
(caches, lazy imports, the allocator's first arenas), it prints the worker's RSS every --every
requests, then the growth from the first sample to the last and per 1,000 requests.
Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

import requests

from bench.generate import PASSWORD
from bench.load import start_server, stop_server, worker1_cases


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def gunicorn_worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


class Client:
    """API token and browser session per user."""

    def __init__(self, base: str, username: str):
        self.base = base
        login = requests.post(f"{base}/api/v1/security/login", timeout=30, json={
            "username": username, "password": PASSWORD, "provider": "db", "refresh": False})
        login.raise_for_status()
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        self.browser = requests.Session()
        form = self.browser.get(f"{base}/login/", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        page = self.browser.post(f"{base}/login/", timeout=30, data={
            "username": username, "password": PASSWORD, "csrf_token": token})
        page.raise_for_status()
        if "/login" in page.url:
            raise RuntimeError(f"{username} could not log in to the pages")

    def get(self, url, browser=False):
        return (self.browser if browser else self.api).get(self.base + url, timeout=60)

    def post(self, url, **kw):
        return self.api.post(self.base + url, timeout=60, **kw)


def mixed_requests(clients: dict, cases: list[int], rng: random.Random):
    """Endless (kind, callable) pairs in the mix's proportions."""
    worker, lead, office = clients["worker1"], clients["lead1"], clients["office"]
    while True:
        case_id = rng.choice(cases)
        r = rng.random()
        if r < 0.25:
            yield "api list", lambda: worker.get(f"/api/v1/case/?q=(page:{rng.randint(0, 3)},page_size:25)")
        elif r < 0.40:
            yield "case page", lambda: worker.get(f"/caseview/show/{case_id}", browser=True)
        elif r < 0.52:
            yield "case json", lambda: worker.get(f"/api/v1/case/{case_id}")
        elif r < 0.62:
            yield "list page", lambda: office.get(rng.choice([
                "/caseview/list/", "/toverifyview/list/", "/tocloseview/list/", "/overdueview/list/",
                "/caseview/list/?rag=red"]), browser=True)
        elif r < 0.68:
            yield "dashboard", lambda: office.get("/dashboard/", browser=True)
        elif r < 0.78:
            yield "progress", lambda: worker.post(f"/api/v1/case/{case_id}/progress", json={
                "note": "内存基准进展", "percent": rng.randint(1, 99)})
        elif r < 0.92:
            transition = rng.choice(["accept", "submit"])
            yield "transition", lambda: worker.post(f"/api/v1/case/{case_id}/transition", json={
                "transition": transition, "comment": "内存基准"})
        else:
            yield "transition", lambda: lead.post(f"/api/v1/case/{case_id}/transition", json={
                "transition": "return", "comment": "内存基准退回"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rss", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/duban_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--warmup", type=int, default=300)
    args = parser.parse_args(argv)

    cases = worker1_cases(args.database_url, limit=40)
    if not cases:
        raise SystemExit("no cases of worker1 in action 1: build the database with python -m bench first")
    process, base = start_server(args.database_url, args.redis_url, workers=1, threads=1)
    try:
        pid = gunicorn_worker_pid(process.pid)
        clients = {name: Client(base, name) for name in ("worker1", "lead1", "office")}
        mix = mixed_requests(clients, cases, random.Random(14))
        statuses: dict[int, int] = {}
        kinds: dict[str, int] = {}
        for _ in range(args.warmup):
            next(mix)[1]()
        samples = [(0, rss_kib(pid))]
        print(f"gunicorn worker {pid}, after {args.warmup} warm-up requests: {samples[0][1] / 1024:.1f} MiB",
              flush=True)
        print("| requests | RSS MiB | since start MiB |")
        print("|---:|---:|---:|")
        print(f"| 0 | {samples[0][1] / 1024:.1f} | 0.0 |", flush=True)
        started = time.monotonic()
        for n in range(1, args.requests + 1):
            kind, call = next(mix)
            status = call().status_code
            statuses[status] = statuses.get(status, 0) + 1
            kinds[kind] = kinds.get(kind, 0) + 1
            if n % args.every == 0:
                samples.append((n, rss_kib(pid)))
                print(f"| {n:,} | {samples[-1][1] / 1024:.1f} | {(samples[-1][1] - samples[0][1]) / 1024:+.1f} |",
                      flush=True)
        seconds = time.monotonic() - started
        if gunicorn_worker_pid(process.pid) != pid:
            raise SystemExit("the gunicorn worker was replaced during the run: RSS figures are void")
        growth = (samples[-1][1] - samples[0][1]) / 1024
        second_half = samples[len(samples) // 2:]
        late = (second_half[-1][1] - second_half[0][1]) / 1024
        late_requests = max(second_half[-1][0] - second_half[0][0], 1)
        print(f"\n{args.requests:,} requests in {seconds:.0f} s ({args.requests / seconds:.0f}/s); "
              f"kinds {kinds}; statuses {statuses}")
        print(f"growth {growth:+.1f} MiB in all ({growth * 1000 / args.requests:+.2f} MiB per 1,000 requests); "
              f"second half {late:+.1f} MiB ({late * 1000 / late_requests:+.2f} MiB per 1,000)")
    finally:
        stop_server(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
