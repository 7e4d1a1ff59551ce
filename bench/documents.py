"""The measures of `python -m bench` for documents: the Excel status export and the monthly
report's data, each against the SQL (and, for the export, openpyxl) doing the same work.

- "Excel export, office (all cases of a plan)": the office's case list exported through the
  page (/caseview/export/: the office works in the latest plan, the largest synthetic
  district) against one psycopg SELECT of the same twelve columns (the light as SQL, the
  latest progress note by LATERAL) written by an openpyxl write-only workbook.
- "monthly report data, largest plan": the 月通报's data builders (`build_context`, no
  Jinja, no WeasyPrint) against the SQL it needs, on psycopg: the cases at the period's end
  and the previous one's with their state, deadline, percent and verification at that moment
  (DISTINCT ON in SQL), partners and milestones, the activity counts of both periods, the
  period's events, the indicators with their latest actuals, the missed milestones.
"""

from __future__ import annotations

import datetime as dt
import io

EXPORT_SQL = """
SELECT c.source_key, c.title, d.name, c.state, {light} AS rag, c.percent_done, p.created_at, p.note,
       u.first_name, u.last_name, u.username, c.deadline, c.original_deadline
FROM "case" c LEFT JOIN action a ON a.id = c.action_id
LEFT JOIN department d ON d.id = c.lead_department_id
LEFT JOIN ab_user u ON u.id = c.assignee_id
LEFT JOIN LATERAL (SELECT note, created_at FROM progress_update pu WHERE pu.case_id = c.id
                   ORDER BY created_at DESC, id DESC LIMIT 1) p ON true
WHERE c.plan_id = ANY(%(plans)s)
ORDER BY a.index, c.seq, c.id"""

REPORT_PERIOD = "2024-06"

# The snapshot of the plan's cases at a moment (app.reports.snapshot.cases_at) in SQL.
SCOPE = 'SELECT id FROM "case" WHERE plan_id = ANY(%(plans)s) AND start_date <= %(day)s'
SNAPSHOT_SQL = (
    """SELECT c.id, c.seq, c.title, c.action_id, a.index, c.lead_department_id, d.name, c.start_date,
              c.original_deadline, c.deadline, c.state, c.percent_done, c.plan_id, c.verified_at
       FROM "case" c LEFT JOIN action a ON a.id = c.action_id
       LEFT JOIN department d ON d.id = c.lead_department_id
       WHERE c.id IN ({scope}) ORDER BY c.action_id, c.seq, c.id""",
    """SELECT DISTINCT ON (case_id) case_id, from_state FROM case_history
       WHERE kind = 'transition' AND at >= %(moment)s AND case_id IN ({scope}) ORDER BY case_id, at, id""",
    """SELECT case_id, kind, data FROM case_history WHERE kind IN ('deadline_change', 'extension_decision')
       AND at >= %(moment)s AND case_id IN ({scope}) ORDER BY case_id, at, id""",
    """SELECT DISTINCT ON (case_id) case_id, created_at < %(moment)s, percent_done FROM progress_update
       WHERE case_id IN ({scope}) ORDER BY case_id, created_at < %(moment)s DESC, created_at DESC, id DESC""",
    """SELECT DISTINCT ON (case_id) case_id, at FROM case_history WHERE kind = 'transition'
       AND to_state = 'verified' AND at < %(moment)s AND case_id IN ({scope}) ORDER BY case_id, at DESC, id DESC""",
    """SELECT cp.case_id, d.name FROM case_partner cp JOIN department d ON d.id = cp.department_id
       WHERE cp.case_id IN ({scope})""",
    """SELECT case_id, due_date, done_at FROM milestone WHERE case_id IN ({scope})
       ORDER BY case_id, due_date, id""",
)
# What happened in a period (app.reports.figures.activity, events_in, extensions_in).
ACTIVITY_SQL = (
    """SELECT c.action_id, count(*) FROM progress_update p JOIN "case" c ON c.id = p.case_id
       WHERE c.plan_id = ANY(%(plans)s) AND p.created_at BETWEEN %(start)s AND %(end)s GROUP BY c.action_id""",
    """SELECT c.action_id, h.transition, count(*) FROM case_history h JOIN "case" c ON c.id = h.case_id
       WHERE c.plan_id = ANY(%(plans)s) AND h.kind = 'transition' AND h.at BETWEEN %(start)s AND %(end)s
       GROUP BY c.action_id, h.transition""",
    """SELECT c.action_id, count(*) FROM case_history h JOIN "case" c ON c.id = h.case_id
       WHERE c.plan_id = ANY(%(plans)s) AND h.kind = 'urge' AND h.at BETWEEN %(start)s AND %(end)s
       GROUP BY c.action_id""",
    """SELECT c.action_id, count(*) FROM extension_request e JOIN "case" c ON c.id = e.case_id
       WHERE c.plan_id = ANY(%(plans)s) AND e.status = 'approved' AND e.decided_at BETWEEN %(start)s AND %(end)s
       GROUP BY c.action_id""",
)
PERIOD_SQL = (
    """SELECT h.*, c.title, c.action_id FROM case_history h JOIN "case" c ON c.id = h.case_id
       WHERE c.plan_id = ANY(%(plans)s) AND h.kind = 'transition' AND h.transition = 'verify'
       AND h.at BETWEEN %(start)s AND %(end)s ORDER BY h.at, h.id""",
    """SELECT h.*, c.title, c.action_id FROM case_history h JOIN "case" c ON c.id = h.case_id
       WHERE c.plan_id = ANY(%(plans)s) AND h.kind = 'transition' AND h.transition = 'return'
       AND h.at BETWEEN %(start)s AND %(end)s ORDER BY h.at, h.id""",
    """SELECT e.*, c.title FROM extension_request e JOIN "case" c ON c.id = e.case_id
       WHERE c.plan_id = ANY(%(plans)s) AND e.status = 'approved' AND e.decided_at BETWEEN %(start)s AND %(end)s
       ORDER BY e.decided_at, e.id""",
    """SELECT i.*, c.seq, c.lead_department_id, a.index FROM indicator i
       LEFT JOIN "case" c ON c.id = i.case_id LEFT JOIN action a ON a.id = coalesce(c.action_id, i.action_id)
       WHERE i.plan_id = %(plan)s""",
    """SELECT DISTINCT ON (x.indicator_id) x.* FROM indicator_actual x JOIN indicator i ON i.id = x.indicator_id
       WHERE i.plan_id = %(plan)s AND x.recorded_at < %(end)s ORDER BY x.indicator_id, x.period DESC, x.recorded_at DESC""",
    """SELECT DISTINCT ON (x.indicator_id) x.* FROM indicator_actual x JOIN indicator i ON i.id = x.indicator_id
       WHERE i.plan_id = %(plan)s AND x.recorded_at < %(start)s ORDER BY x.indicator_id, x.period DESC, x.recorded_at DESC""",
    """SELECT case_id, title, due_date, done_at FROM milestone
       WHERE case_id IN (SELECT id FROM "case" WHERE plan_id = ANY(%(plans)s) AND start_date <= %(end_day)s)
       AND due_date < %(end_day)s""",
    """SELECT * FROM evaluation_result WHERE period_key = %(key)s AND plan_id = %(plan)s
       AND published_at IS NOT NULL""",
)


def _plan(b):
    """The latest plan (the office's default, the largest synthetic district), its family and size."""
    if not hasattr(b, "document_plan"):
        with b.app.app_context():
            from sqlalchemy import func, select

            from app.extensions import db
            from app.models import Case
            from app.plan_family import family_ids
            from app.services.plans import latest_plan

            plan = latest_plan()
            plans = list(family_ids(plan.id))
            b.document_plan = (plan.id, plans, db.session.scalar(
                select(func.count(Case.id)).where(Case.plan_id.in_(plans))))
    return b.document_plan


def export_measures(b):
    from openpyxl import Workbook

    from bench.measures import _LIGHT, _dashboard_params

    _plan_id, plans, count = _plan(b)
    params = {**_dashboard_params(b), "plans": plans}
    statement = EXPORT_SQL.format(light=_LIGHT)
    today = params["today"]

    def select_and_write():
        rows = b.sql(statement, params)
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("督办事项状态")
        ws.append(["编号", "事项", "牵头单位", "状态", "红黄绿灯", "完成进度", "最新进展日期", "最新进展",
                   "经办人", "完成时限", "逾期工作日", "原完成时限"])
        for (key, title, unit, state, rag, percent, noted, note, first, last, username, deadline,
             original) in rows:
            ws.append([key, title, unit, state, rag, percent / 100, noted.date() if noted else None,
                       note, f"{first or ''}{last or ''}" or username or "", deadline,
                       max(0, (today - deadline).days), original])
        wb.save(io.BytesIO())

    yield (f"Excel export, office (all {count:,} cases of a plan)", b.get("office", "/caseview/export/"),
           select_and_write, 3)


def report_measures(b):
    from app.clock import end_of_local_day
    from workflows.periods import parse_period

    plan_id, plans, count = _plan(b)
    period = parse_period(REPORT_PERIOD)
    previous = period.previous()

    def build():
        with b.app.app_context():
            from app.extensions import db
            from app.models import Plan
            from app.reports import build_context

            build_context("monthly", period=period, plan=db.session.get(Plan, plan_id))

    def sql():
        for day in (period.end, previous.end):
            snapshot = {"plans": plans, "day": day, "moment": end_of_local_day(day)}
            for statement in SNAPSHOT_SQL:
                b.sql(statement.format(scope=SCOPE), snapshot)
        for p in (period, previous):
            span = {"plans": plans, "start": end_of_local_day(p.start - dt.timedelta(days=1)),
                    "end": end_of_local_day(p.end)}
            for statement in ACTIVITY_SQL:
                b.sql(statement, span)
        span = {"plans": plans, "plan": plan_id, "key": period.key, "end_day": period.end,
                "start": end_of_local_day(period.start - dt.timedelta(days=1)), "end": end_of_local_day(period.end)}
        for statement in PERIOD_SQL:
            b.sql(statement, span)

    yield (f"monthly report data, {count:,}-case plan", build, sql, 3)
