"""Benchmark: the daily hot paths with 1,000 and 10,000 cases, each against a plain-SQL
baseline measured in the same run.

For each size it builds a throwaway PostgreSQL database (the 2024 plan plus synthetic cases
over the eight actions and the district departments, with history and progress — the same
builder as bench/report_bench.py) and the demo users, then measures in-process with the
Flask test client (no network), after a warm-up, the median of repeated runs:

- 全部任务 (/caseview/list/, 25 rows, default sort) as office, with the 红灯 quick filter
  (?rag=red), and as worker1 (row-level filter), and GET /api/v1/case/?q=(page_size:100)
  as office — against a plain SELECT of the same rows (with the action and department
  names the page shows);
- the case page /caseview/show/<id> — against a plain SELECT of the case and its history;
- one transition through app.services.transitions.apply_transition (submit, then return,
  alternately) — against a bare UPDATE … COMMIT of the same row;
- the reminder tick (app.services.reminders.run_reminders) over every open case for one
  working day — in cases per second.

    .venv/bin/python bench/cases_bench.py [--sizes 1000 10000] [--runs 20] [--database-url URL]

Prints a table: median ms, SQL statements per run, the baseline's ms and the ratio. Needs a
PostgreSQL where the user may create databases and a Redis for the after-commit tasks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/duban_bench_cases"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
PASSWORD = "bench-Passw0rd"
# A working day inside the synthetic cases' year, at office hours: every open case is evaluated.
TICK_DAYS = ("2024-06-17", "2024-06-18", "2024-06-19", "2024-06-20")

LIST_SQL = """
SELECT c.id, c.title, c.state, c.deadline, c.start_date, c.percent_done, a.index, a.title, d.short_name, d.name
FROM "case" c LEFT JOIN action a ON a.id = c.action_id LEFT JOIN department d ON d.id = c.lead_department_id
{where} ORDER BY c.{order} LIMIT {limit}
"""
CASEWORKER_WHERE = """WHERE c.lead_department_id = ANY(%(departments)s)
   OR c.id IN (SELECT case_id FROM case_partner WHERE department_id = ANY(%(departments)s))"""


class QueryCounter:
    """Counts the SQL statements the engine executes (N+1 shows up here)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def median_ms(run, times: int, counter: QueryCounter | None = None) -> tuple[float, float]:
    """Median wall time of `run()` in ms after one warm-up, and statements per run."""
    run()
    samples, before = [], counter.count if counter else 0
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    statements = (counter.count - before) / times if counter else 0
    return statistics.median(samples), statements


def measure(url: str, runs: int) -> list[tuple[str, float, float, float | None, str]]:
    """Every figure for the database at `url`: (what, ms, statements, baseline ms, note)."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import Case, user_department
    from app.security import actor_for
    from app.services import transitions
    from app.services.reminders import run_reminders

    app = create_app(SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False)
    results = []
    # Setup only: requests and tasks below each get their own app context (and session, and
    # g), as in production — an enclosing context would share them between requests.
    with app.app_context():
        engine = db.engine
        user_id = dict(db.session.execute(select(User.username, User.id)).all())
        worker_departments = list(db.session.scalars(
            select(user_department.c.department_id).where(user_department.c.user_id == user_id["worker1"])))
        total = db.session.scalar(select(db.func.count(Case.id)))
        open_cases = db.session.scalar(
            select(db.func.count(Case.id)).where(Case.state.not_in(("verified", "closed"))))
        # The case page: a synthetic case with history and progress.
        page_case = db.session.scalar(
            select(Case.id).where(Case.source_key.like("bench-%"), Case.state == "closed").order_by(Case.id)
            .offset(total // 200))
        with app.test_request_context():
            worker_actor = actor_for(db.session.get(User, user_id["worker1"]))
            lead_actor = actor_for(db.session.get(User, user_id["lead1"]))
        # The transition: a case of worker1's department in the action lead1 leads.
        moving_case = db.session.scalar(
            select(Case.id).where(Case.lead_department_id.in_(worker_departments),
                                  Case.action_id.in_(list(lead_actor.led_action_ids)),
                                  Case.requires_evidence.is_(False), Case.state == "assigned")
            .order_by(Case.id))
        transitions.apply_transition(moving_case, worker_actor, "accept")
    counter = QueryCounter(engine)
    raw = engine.raw_connection()  # the baselines: psycopg, no ORM, no Flask
    cursor = raw.cursor()

    def sql(statement, params=None):
        cursor.execute(statement, params)
        rows = cursor.fetchall()
        raw.commit()  # end the read transaction, as autocommit reads would
        return rows

    visible = sql(f'SELECT count(*) FROM "case" c {CASEWORKER_WHERE}', {"departments": worker_departments})[0][0]

    def client_for(name):
        client = app.test_client()
        response = client.post("/login/", data={"username": name, "password": PASSWORD})
        assert response.status_code == 302, f"login {name}: {response.status_code}"
        return client

    def page(client, path):
        def run():
            response = client.get(path)
            assert response.status_code == 200, f"{path}: {response.status_code}"
        return run

    office, worker = client_for("office"), client_for("worker1")
    plain = LIST_SQL.format(where="", order="deadline", limit=25)
    base, _ = median_ms(lambda: sql(plain), runs)
    ms, n = median_ms(page(office, "/caseview/list/"), runs, counter)
    results.append((f"全部任务 list, office ({total:,} visible)", ms, n, base, "SELECT 25 rows"))
    # The 红灯 quick filter: the RAG of every visible case is computed in Python, so the
    # baseline is the SQL approximation (overdue and open) of the same first page.
    plain = LIST_SQL.format(where="WHERE c.deadline < current_date AND c.state NOT IN ('verified', 'closed')",
                            order="deadline", limit=25)
    base, _ = median_ms(lambda: sql(plain), runs)
    ms, n = median_ms(page(office, "/caseview/list/?rag=red"), runs, counter)
    results.append(("全部任务 list ?rag=red (红灯), office", ms, n, base, "SELECT 25 overdue rows"))
    plain = LIST_SQL.format(where=CASEWORKER_WHERE, order="deadline", limit=25)
    base, _ = median_ms(lambda: sql(plain, {"departments": worker_departments}), runs)
    ms, n = median_ms(page(worker, "/caseview/list/"), runs, counter)
    results.append((f"全部任务 list, worker1 ({visible:,} visible)", ms, n, base, "SELECT 25 rows, same filter"))
    plain = LIST_SQL.format(where="", order="id", limit=100)
    base, _ = median_ms(lambda: sql(plain), runs)
    ms, n = median_ms(page(office, "/api/v1/case/?q=(page_size:100)"), runs, counter)
    results.append(("GET /api/v1/case/?q=(page_size:100), office", ms, n, base, "SELECT 100 rows"))

    def case_baseline():
        sql('SELECT * FROM "case" WHERE id = %s', (page_case,))
        sql("SELECT * FROM case_history WHERE case_id = %s ORDER BY at, id", (page_case,))

    base, _ = median_ms(case_baseline, runs)
    ms, n = median_ms(page(office, f"/caseview/show/{page_case}"), runs, counter)
    results.append(("case page /caseview/show/<id>, office", ms, n, base, "SELECT case + history"))

    # One transition per run: worker1 submits the case, lead1 returns it, alternately.
    steps = iter(range(10**6))

    def transition():
        with app.app_context():  # a request's or task's own context and session
            if next(steps) % 2 == 0:
                transitions.apply_transition(moving_case, worker_actor, "submit", comment="已完成，请核验。")
            else:
                transitions.apply_transition(moving_case, lead_actor, "return", comment="请补充材料。")

    ms, n = median_ms(transition, max(runs, 20) * 2, counter)

    def bare_update():
        state = "submitted" if next(steps) % 2 == 0 else "in_progress"
        cursor.execute('UPDATE "case" SET state = %s, version = version + 1 WHERE id = %s', (state, moving_case))
        raw.commit()

    base, _ = median_ms(bare_update, max(runs, 20) * 2)
    results.append(("transition via apply_transition (submit/return)", ms, n, base, "bare UPDATE … COMMIT"))

    # The reminder tick over every open case, one working day each run (a fresh day, so it
    # records that day's notifications as the first tick of a day does); the first warms up.
    zone = ZoneInfo("Asia/Shanghai")
    samples, before = [], counter.count
    for day in TICK_DAYS:
        at = dt.datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=zone)
        with app.app_context():
            start = time.perf_counter()
            result = run_reminders(at)
            samples.append((time.perf_counter() - start) * 1000)
        assert result.evaluated, result.as_dict()
    ms = statistics.median(samples[1:])
    n = (counter.count - before) / len(TICK_DAYS)
    results.append((f"reminders tick, {open_cases:,} open cases", ms, n, None,
                    f"{open_cases / ms * 1000:,.0f} cases/s; {result.created:,} notifications recorded on the last day"))
    cursor.close()
    raw.close()
    engine.dispose()
    return results


def prepare(url: str, size: int) -> None:
    """The report benchmark's database of `size` cases, plus roles, permissions, demo users."""
    from report_bench import build_database

    from app import create_app
    from app.extensions import db
    from app.services.demo import create_demo

    build_database(url, size)
    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        app.appbuilder.add_permissions(update_perms=True)
        db.session.commit()
        create_demo(PASSWORD)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    os.environ.setdefault("DUBAN_VAR_DIR", "/tmp/duban-bench")
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    os.environ["DATABASE_URL"] = args.database_url
    print("| cases | what | ms (median) | SQL statements | baseline | baseline ms | ratio |")
    print("|---:|---|---:|---:|---|---:|---:|")
    for size in args.sizes:
        print(f"building a database with {size} cases …", file=sys.stderr)
        prepare(args.database_url, size)
        for what, ms, statements, base, note in measure(args.database_url, args.runs):
            ratio = f"{ms / base:.1f}" if base else "—"
            base_text = f"{base:.2f}" if base else "—"
            print(f"| {size:,} | {what} | {ms:.1f} | {statements:.0f} | {note} | {base_text} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
