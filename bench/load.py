"""A bounded loopback load test: concurrent users on gunicorn + PostgreSQL + Redis (issue 15).

    python -m bench.load                        # 200 users × 5 minutes (the issue's run)
    python -m bench.load --users 20 --seconds 20
    python -m bench.load --base-url http://127.0.0.1:8000 …   # against a running server

Without --base-url it copies the seeded test database (TEST_DATABASE_URL's `<name>_seed`,
built by the test suite) into `<name>_load`, starts gunicorn (2 workers, as scripts/run) on a
free loopback port with that database and REDIS_URL, and stops it afterwards. Every virtual
user loops over a mix — case list (API), case page (UI), case JSON, a progress report and
transitions (accept / submit / return on the same few cases, so users collide on purpose) —
until the time is up; every request has a 30 s timeout, the loop is bounded by --seconds.

Counted: requests per kind, p50/p95 latency, 409 conflicts (expected: two users firing
transitions on one case), requests sent again once because the server dropped the
connection before answering (what a browser does; reported as `resent_after_reset`), and
errors (anything else that is not 2xx, or a second drop). Afterwards the
database is checked: every successful transition left exactly one history row. Traffic goes
only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-Passw0rd")
# Readers see every case (a caseworker of another department would rightly get 404s).
CASEWORKERS, LEADS, READERS = ("worker1",), ("lead1",), ("office", "leader")


@dataclass
class Stats:
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    statuses: dict = field(default_factory=lambda: defaultdict(int))
    errors: list = field(default_factory=list)
    conflicts: int = 0
    transitions_ok: int = 0
    # Connections the server dropped before answering, sent again once (as a browser does).
    resent: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int, body: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1
            if status == 409:
                self.conflicts += 1
            elif status >= 300 or status == 0:
                self.errors.append(f"{kind} {status} {body[:160]}")
            elif kind == "transition":
                self.transitions_ok += 1

    def summary(self) -> dict:
        every = [x for values in self.latencies.values() for x in values]

        def pct(values, q):
            return round(statistics.quantiles(values, n=100)[q - 1] * 1000, 1) if len(values) > 1 else None

        return {
            "requests": len(every),
            "errors": len(self.errors),
            "conflicts_409": self.conflicts,
            "transitions_ok": self.transitions_ok,
            "p50_ms": pct(every, 50),
            "p95_ms": pct(every, 95),
            "by_kind": {k: {"n": len(v), "p50_ms": pct(v, 50), "p95_ms": pct(v, 95)}
                        for k, v in sorted(self.latencies.items())},
            "statuses": dict(sorted(self.statuses.items())),
            "first_errors": self.errors[:10],
            "resent_after_reset": len(self.resent),
            "first_resent": self.resent[:10],
        }


def _login(base: str, username: str) -> tuple[str, dict]:
    """(API token, session cookies) for a demo user."""
    api = requests.post(f"{base}/api/v1/security/login", timeout=30, json={
        "username": username, "password": PASSWORD, "provider": "db", "refresh": False})
    api.raise_for_status()
    browser = requests.Session()
    browser.post(f"{base}/login/", data={"username": username, "password": PASSWORD}, timeout=30)
    return api.json()["access_token"], browser.cookies.get_dict()


class User(threading.Thread):
    def __init__(self, n, base, token, cookies, role, cases, stats, deadline):
        super().__init__(daemon=True, name=f"user-{n}")
        self.base, self.role, self.cases, self.stats, self.deadline = base, role, cases, stats, deadline
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.browser = requests.Session()
        self.browser.cookies.update(cookies)
        self.random = random.Random(n)

    def _call(self, kind, method, url, session=None, **kw):
        started = time.monotonic()
        for attempt in (1, 2):
            try:
                response = (session or self.http).request(method, self.base + url, timeout=30, **kw)
                status, body = response.status_code, response.text
            except requests.ConnectionError as exc:
                status, body = 0, str(exc)
                # A kept-alive connection closed by the server before it answered: browsers
                # send the request again on a new connection (Chromium does, for any method);
                # requests does not. Counted apart, and an error if it happens again.
                if attempt == 1 and ("reset" in body.lower() or "aborted" in body.lower()):
                    with self.stats.lock:
                        self.stats.resent.append(f"{kind} {method} {url}: {body[:120]}")
                    continue
            except requests.RequestException as exc:
                status, body = 0, str(exc)
            break
        self.stats.record(kind, time.monotonic() - started, status, body)
        return status

    def run(self):
        while time.monotonic() < self.deadline:
            case_id = self.random.choice(self.cases)
            choice = self.random.random()
            if choice < 0.3:
                self._call("list", "GET", "/api/v1/case/?q=(page:0,page_size:25)")
            elif choice < 0.5:
                self._call("case_page", "GET", f"/caseview/show/{case_id}", session=self.browser)
            elif choice < 0.65:
                self._call("case_json", "GET", f"/api/v1/case/{case_id}")
            elif self.role == "caseworker" and choice < 0.8:
                self._call("progress", "POST", f"/api/v1/case/{case_id}/progress",
                           json={"note": "负载测试进展", "percent": self.random.randint(1, 99)})
            elif self.role == "caseworker":
                transition = self.random.choice(["accept", "submit"])
                body = {"transition": transition, "comment": "负载测试"}
                self._call("transition", "POST", f"/api/v1/case/{case_id}/transition", json=body)
            elif self.role == "lead":
                body = {"transition": "return", "comment": "负载测试退回"}
                self._call("transition", "POST", f"/api/v1/case/{case_id}/transition", json=body)
            else:
                self._call("list", "GET", "/api/v1/case/?q=(page:1,page_size:25)")


def run_load(base: str, users: int, seconds: float, cases: list[int]) -> dict:
    stats = Stats()
    accounts = {u: _login(base, u) for u in (*CASEWORKERS, *LEADS, *READERS)}
    roles = [("caseworker", CASEWORKERS[0])] * 4 + [("lead", LEADS[0])] * 2 + \
        [("reader", r) for r in READERS]
    deadline = time.monotonic() + seconds
    threads = []
    for n in range(users):
        role, username = roles[n % len(roles)]
        token, cookies = accounts[username]
        threads.append(User(n, base, token, cookies, role, cases, stats, deadline))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    result = stats.summary()
    result.update(users=users, seconds=round(time.monotonic() - started, 1),
                  rps=round(result["requests"] / max(seconds, 1), 1))
    return result


# --- a server of our own --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, redis_url: str, workers: int = 2,
                 threads: int = 4) -> tuple[subprocess.Popen, str]:
    """gunicorn on a free local port (threads=1: the sync worker, one request at a time)."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "AUTH_RATE_LIMIT": "100000 per minute", "SECRET_KEY": os.environ.get(
               "SECRET_KEY", "load-test-secret-key-of-32-bytes!!"), "DUBAN_ENV": "test"}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        # --keep-alive 75 (nginx's default): with gunicorn's 2 s a pooled connection idle for
        # 2 s can be closed by the server just as the client sends a POST on it, which the client
        # sees as "connection reset" (a browser would retry it; requests does not retry a POST).
        [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
         "--keep-alive", "75", "--timeout", "120", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/login/", timeout=2).status_code == 200:
                return process, base
        except requests.RequestException:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def stop_server(process: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def history_check(database_url: str, since_id: int) -> int:
    """Transition history rows written after `since_id`."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                         password=url.password, dbname=url.database) as conn:
        return conn.execute("SELECT count(*) FROM case_history WHERE id > %s AND kind = 'transition'",
                            (since_id,)).fetchone()[0]


def max_history_id(database_url: str) -> int:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                         password=url.password, dbname=url.database) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM case_history").fetchone()[0]


def worker1_cases(database_url: str, limit: int = 8) -> list[int]:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                         password=url.password, dbname=url.database) as conn:
        # Action-1 cases led by worker1's department: lead1 leads action 1, so both act on them.
        rows = conn.execute(
            "SELECT c.id FROM \"case\" c JOIN action a ON a.id = c.action_id "
            "JOIN user_department ud ON ud.department_id = c.lead_department_id "
            "JOIN ab_user u ON u.id = ud.user_id WHERE u.username = 'worker1' AND a.index = 1 "
            "ORDER BY c.id LIMIT %s", (limit,)).fetchall()
    return [r[0] for r in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--base-url", help="a running server (its DATABASE_URL for the history check)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    process = None
    database_url = args.database_url
    if not args.base_url:
        sys.path.insert(0, str(ROOT))
        from tests.integration.conftest import SEED_DB, URL, recreate_database

        name = f"{URL.database}_load"
        recreate_database(name, template=SEED_DB)
        database_url = URL.set(database=name).render_as_string(hide_password=False)
        process, base = start_server(database_url, os.environ.get(
            "TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    else:
        base = args.base_url
    try:
        cases = worker1_cases(database_url)
        before = max_history_id(database_url)
        result = run_load(base, args.users, args.seconds, cases)
        result["history_rows"] = history_check(database_url, before)
        result["history_matches"] = result["history_rows"] == result["transitions_ok"]
    finally:
        if process is not None:
            stop_server(process)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0 if result["errors"] == 0 and result["history_matches"] else 1


if __name__ == "__main__":
    sys.exit(main())
