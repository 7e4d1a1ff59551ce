"""Benchmark: the monthly bulletin (月通报) with 1,000 and 5,000 cases, against WeasyPrint
rendering a plain table of the same cases, in the same run.

For each size it builds a throwaway PostgreSQL database: the 2024 plan plus synthetic cases
(spread over the eight actions and the district departments, with March–June history:
accepted, progress reported, some submitted, verified, closed, some overdue), then renders,
each in a fresh child process so that peak memory is that render's alone:

- "monthly": the real path — data builders (SQL), Jinja template, WeasyPrint → PDF;
- "plain table": the same cases as one row each (序号, 任务, 牵头单位, 状态, 完成时限, 进度)
  in one HTML table with the same stylesheet and fonts → PDF.

    .venv/bin/python bench/report_bench.py [--sizes 1000 5000] [--database-url URL]

Prints a table with seconds, peak RSS (MB, over the child's baseline), pages, and the
ratio monthly / plain table. Needs a PostgreSQL where the user may create databases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/duban_bench_reports"
PERIOD = "2024-06"
STATES = ["in_progress"] * 80 + ["assigned"] * 10 + ["submitted"] * 3 + ["verified"] * 5 + ["closed"] * 2


def _utc(day: str, hour: int = 10) -> dt.datetime:
    """Naive UTC of a local (UTC+8) time."""
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00") - dt.timedelta(hours=8)


def build_database(url: str, size: int) -> None:
    """A fresh database with the plan and `size` cases in all (the plan's own included)."""
    import psycopg
    from sqlalchemy import insert, select
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = psycopg.connect(host=target.host, port=target.port or 5432, user=target.username,
                            password=target.password, dbname="postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{target.database}"')
    admin.close()

    os.environ["DATABASE_URL"] = url
    from flask_appbuilder.security.manager import BaseSecurityManager
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import Action, Case, CaseHistory, Department, ProgressUpdate
    from app.services.plans import load_plan

    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        BaseSecurityManager.create_db(app.appbuilder.sm)
        load_plan()
        plan_cases = list(db.session.scalars(select(Case).order_by(Case.id)))
        actions = list(db.session.scalars(select(Action).order_by(Action.index)))
        departments = list(db.session.scalars(
            select(Department.id).where(Department.kind.in_(("district_department", "township"))).order_by(Department.id)))
        rows = []
        for i in range(size - len(plan_cases)):
            model = plan_cases[i % len(plan_cases)]
            state = STATES[i % len(STATES)]
            deadline = dt.date(2024, 5, 31) if i % 23 == 0 else dt.date(2024, 6, 14) if i % 29 == 0 else dt.date(2024, 12, 31)
            rows.append({
                "plan_id": model.plan_id, "action_id": actions[i % len(actions)].id, "source_key": f"bench-{i}",
                "seq": 1000 + i, "title": f"{model.title}（{i + 1}）"[:200], "text": model.text,
                "list_kind": model.list_kind, "lead_department_id": departments[i % len(departments)],
                "lead_basis": "named", "start_date": dt.date(2024, 1, 1), "deadline": deadline,
                "original_deadline": deadline, "state": state, "version": 1,
                "percent_done": 100 if state in ("verified", "closed") else (i * 7) % 90,
                "requires_evidence": False, "assigned_at": _utc("2024-03-01"),
                "state_changed_at": _utc("2024-06-15"), "created_at": _utc("2024-03-01"),
                "updated_at": _utc("2024-06-15"),
            })
        db.session.execute(insert(Case), rows)
        db.session.commit()
        history, progress = [], []
        for case_id, state, percent in db.session.execute(
                select(Case.id, Case.state, Case.percent_done).where(Case.source_key.like("bench-%"))):
            if state == "assigned":
                continue
            steps = [("accept", "assigned", "in_progress", "2024-03-04")]
            if state in ("submitted", "verified", "closed"):
                steps.append(("submit", "in_progress", "submitted", "2024-06-10"))
            if state in ("verified", "closed"):
                steps.append(("verify", "submitted", "verified", "2024-06-15"))
            if state == "closed":
                steps.append(("close", "verified", "closed", "2024-06-20"))
            for name, source, target_state, day in steps:
                history.append({"case_id": case_id, "at": _utc(day), "actor_name": "bench", "kind": "transition",
                                "transition": name, "from_state": source, "to_state": target_state})
            for day, share in (("2024-05-24", 2), ("2024-06-21", 1)):
                progress.append({"case_id": case_id, "note": "按计划推进。", "percent_done": percent // share,
                                 "created_at": _utc(day, 16)})
        db.session.execute(insert(CaseHistory), history)
        db.session.execute(insert(ProgressUpdate), progress)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _measure(kind: str, url: str, queue) -> None:
    """In a child process: render once, report seconds, peak RSS growth and pages."""
    os.environ["DATABASE_URL"] = url
    from app import create_app
    from app.extensions import db
    from app.reports import KINDS, build_context
    from app.reports.render import html_to_pdf, render_html
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        html_to_pdf('<html lang="zh-CN"><body><p>预热</p></body></html>')  # load fonts once
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        if kind == "monthly":  # the same steps as app.reports.render, timed one by one
            context = build_context("monthly", period=parse_period(PERIOD), plan=latest_plan())
            data = time.perf_counter()
            html = render_html(KINDS["monthly"].template, context)
        else:
            html = plain_table_html()
            data = time.perf_counter()
        layout = time.perf_counter()
        pdf = html_to_pdf(html)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        db.session.remove()
    queue.put({"seconds": seconds, "peak_mb": (peak - baseline) / 1024, "pages": _pages(pdf), "kb": len(pdf) // 1024,
               "data_s": data - start, "pdf_s": seconds - (layout - start)})


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def plain_table_html() -> str:
    """Every case as one row of one table, with the reports' stylesheet and fonts."""
    from markupsafe import escape
    from sqlalchemy import select

    from app.extensions import db
    from app.labels import STATE_LABELS
    from app.models import Case

    rows = []
    for n, case in enumerate(db.session.scalars(select(Case).order_by(Case.action_id, Case.seq, Case.id)), 1):
        rows.append(
            f"<tr><td class=num>{n}</td><td>{escape(case.title)}</td><td>{escape(case.lead_department_name or '')}</td>"
            f"<td>{STATE_LABELS[case.state]}</td><td class=num>{case.deadline.month}月{case.deadline.day}日</td>"
            f"<td class=num>{case.percent_done}%</td></tr>")
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><link rel="stylesheet" href="print.css">'
        "</head><body><h1 class=title>全部任务清单</h1><table><colgroup><col style='width:8%'><col style='width:44%'>"
        "<col style='width:20%'><col style='width:10%'><col style='width:10%'><col style='width:8%'></colgroup>"
        "<thead><tr><th>序号</th><th>任务</th><th>牵头单位</th><th>状态</th><th>时限</th><th>进度</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>"
    )


def measure(kind: str, url: str) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_measure, args=(kind, url, queue))
    child.start()
    result = queue.get(timeout=1800)
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 5000])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    os.environ.setdefault("DUBAN_VAR_DIR", "/tmp/duban-bench")
    results = []
    for size in args.sizes:
        print(f"building a database with {size} cases …", file=sys.stderr)
        build_database(args.database_url, size)
        monthly = measure("monthly", args.database_url)
        table = measure("table", args.database_url)
        results.append((size, monthly, table))
        print(f"  {size}: monthly {monthly['seconds']:.1f} s, plain table {table['seconds']:.1f} s", file=sys.stderr)
    print("| cases | monthly bulletin: s (data + WeasyPrint) / peak MB / pages | plain table: s / peak MB / pages "
          "| time ratio | memory ratio |")
    print("|---:|---|---|---:|---:|")
    for size, monthly, table in results:
        print(f"| {size:,} | {monthly['seconds']:.1f} ({monthly['data_s']:.1f} + {monthly['pdf_s']:.1f}) "
              f"/ {monthly['peak_mb']:.0f} / {monthly['pages']} "
              f"| {table['seconds']:.1f} / {table['peak_mb']:.0f} / {table['pages']} "
              f"| {monthly['seconds'] / table['seconds']:.2f} | {monthly['peak_mb'] / max(table['peak_mb'], 1):.2f} |")


if __name__ == "__main__":
    main()
