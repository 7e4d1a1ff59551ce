"""The status export and the monthly report's data ask the database a fixed number of times,
whatever the number of cases (issue 14: 8,000 rows took 28 s, a monthly report 8,800 statements).

Each is run on the seeded plan, then again after its cases have been copied four times over
(with their partners, milestones, history, progress and case indicators): a relationship
loaded per row shows as a count that grows. The export's rows are also checked, cell by cell,
against the cases read through the ORM and the Python light rules, for the office and for a
caseworker (who exports only the cases they may see).
"""

from __future__ import annotations

import io

import psycopg
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.services.status_export import HEADERS
from tests.integration.conftest import URL, Statements, login
from tests.integration.test_statement_counts import COPIES, OFFSET, _multiply_cases

STATE_ZH = {"assigned": "已交办", "in_progress": "办理中", "submitted": "已报送",
            "verified": "已核验", "closed": "已办结"}
RAG_ZH = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
PERIOD = "2024-06"


def _multiply_indicators(copies: int) -> None:
    """Copy the case indicators with their cases (the report reads each one's case)."""
    with psycopg.connect(host=URL.host, port=URL.port or 5432, user=URL.username,
                         password=URL.password, dbname=URL.database, autocommit=True) as conn:
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'indicator' "
            "AND column_name NOT IN ('id', 'contributes_to_id') ORDER BY ordinal_position")]
        names = ", ".join(f'"{c}"' for c in cols)
        for k in range(1, copies + 1):
            values = ", ".join(f"case_id + {OFFSET * k}" if c == "case_id" else f'"{c}"' for c in cols)
            conn.execute(f"INSERT INTO indicator ({names}) SELECT {values} FROM indicator "
                         f"WHERE case_id IS NOT NULL AND case_id < {OFFSET}")


def read_rows(data: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(data))["督办事项状态"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return [dict(zip(HEADERS, row, strict=True)) for row in rows[1:]]


def expected_rows(app, username: str) -> list[dict]:
    """The cases of the user's list (what they may see, of the plan they work in), in the
    export's order, read through the ORM: lead unit, state, light (app.rag's Python rules),
    percent, the latest progress note, caseworker, deadlines."""
    from app.access import visible_cases_clause
    from app.extensions import db
    from app.models import Case, ProgressUpdate
    from app.rag import rag_by_id
    from app.security import actor_for
    from app.services import plan_scope

    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        plan = plan_scope.chosen_plan(user.id)
        cases = list(db.session.scalars(select(Case).where(
            visible_cases_clause(actor_for(user)), plan_scope.case_clause(plan))))
        rags = rag_by_id(cases)
        notes = {}
        for update in db.session.scalars(select(ProgressUpdate).order_by(
                ProgressUpdate.case_id, ProgressUpdate.created_at, ProgressUpdate.id)):
            notes[update.case_id] = update.note
        cases.sort(key=lambda c: (c.action_index is None, c.action_index or 0, c.seq, c.id))  # NULLS LAST
        rows = [{
            "编号": c.source_key, "事项": c.title,
            "牵头单位": c.lead_department.name if c.lead_department else None,
            "状态": STATE_ZH[c.state], "红黄绿灯": RAG_ZH[rags[c.id].value],
            "完成进度": (c.percent_done or 0) / 100, "最新进展": notes.get(c.id) or None,
            "经办人": (f"{c.assignee.first_name or ''}{c.assignee.last_name or ''}".strip()
                    or c.assignee.username) if c.assignee else None,
            "完成时限": c.deadline, "原完成时限": c.original_deadline,
        } for c in cases]
        db.session.remove()
        return rows


def exported(client) -> list[dict]:
    response = client.get("/caseview/export/")
    assert response.status_code == 200, response.status_code
    rows = read_rows(response.data)
    for row in rows:
        for key in ("完成时限", "原完成时限"):
            row[key] = row[key].date()
        row.pop("最新进展日期")
        row.pop("逾期工作日")
    return rows


def monthly_data(app):
    """(statements, context) of the monthly report's data builders for PERIOD."""
    from app.extensions import db
    from app.reports import build_context
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    with app.app_context():
        plan = latest_plan()
        build_context("monthly", period=parse_period(PERIOD), plan=plan)  # warm: settings, calendar
        db.session.expire_all()
        with Statements(app) as statements:
            context = build_context("monthly", period=parse_period(PERIOD), plan=plan)
        db.session.remove()
    return statements.count, context


# restored_db: the cases copied four times over must not reach later tests that read the seed.
@pytest.mark.usefixtures("fresh_db", "restored_db")
def test_export_and_monthly_report_statements_do_not_grow_and_the_export_has_the_list_rows(app, wf):
    from app.extensions import db
    from app.models import Case, Indicator

    # Progress notes on a few of worker1's cases (one starting like a formula), copied below.
    mine = wf.worker1_cases()[:3]
    wf.act("worker1", "add_progress", mine[0], note="已完成招商签约", percent=40)
    wf.act("worker1", "add_progress", mine[0], note="正在办理用地手续", percent=55)
    wf.act("worker1", "add_progress", mine[1], note="=HYPERLINK(\"http://x\",\"点此\")", percent=10)
    with app.app_context():
        total = db.session.query(Case).count()
        case_indicators = db.session.query(Indicator).filter(Indicator.case_id.is_not(None)).count()
        db.session.remove()
    assert case_indicators > 0  # the report reads each one's case: what the N+1 was

    clients = {}
    for name in ("office", "worker1"):
        clients[name] = app.test_client()
        login(clients[name], name)
        clients[name].get("/caseview/export/")  # warm

    def export_counts():
        counts, rows = {}, {}
        for name, client in clients.items():
            with Statements(app) as statements:
                rows[name] = exported(client)
            counts[name] = statements.count
        return counts, rows

    before, rows_before = export_counts()
    report_before, context_before = monthly_data(app)
    assert len(rows_before["office"]) == total
    assert 0 < len(rows_before["worker1"]) < total
    assert context_before["totals"]["cases"] > 0

    _multiply_cases(COPIES)
    _multiply_indicators(COPIES)
    after, rows_after = export_counts()
    report_after, context_after = monthly_data(app)

    print(f"\nexport statements {before} → {after}; monthly report data {report_before} → {report_after}")
    assert after == before, "the export's statements grew with the number of cases"
    assert report_after == report_before, "the monthly report's statements grew with the number of cases"
    assert context_after["totals"]["cases"] == context_before["totals"]["cases"] * (COPIES + 1)
    assert context_after["indicator_summary"]["total"] == (
        context_before["indicator_summary"]["total"] + COPIES * case_indicators)

    for name in clients:
        assert rows_after[name] == expected_rows(app, name), name
    assert len(rows_after["office"]) == total * (COPIES + 1)
    assert len(rows_after["worker1"]) == len(rows_before["worker1"]) * (COPIES + 1)
    notes = {r["最新进展"] for r in rows_after["worker1"]}
    assert "正在办理用地手续" in notes and "已完成招商签约" not in notes  # the latest, copied
