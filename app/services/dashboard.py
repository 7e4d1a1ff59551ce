"""工作台: the figures a leader reads every morning, for the cases the actor may see.

Built on the reports' snapshot and figures (app/reports), taken today, so the dashboard and
the bulletins count the same way (RAG, overdue working days, average percent done).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.access import visible_cases_clause
from app.extensions import db
from app.models import Case, ExtensionRequest
from app.reports.charts import action_progress_chart
from app.reports.figures import action_rows, cn_number, totals
from app.reports.snapshot import CaseAt, cases_at
from app.services.calendar import current_calendar, local_today
from app.services.indicators import goal_targets
from app.services.plans import latest_plan
from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar
from workflows.case_workflow import Actor
from workflows.rag import DONE_STATES

DUE_SOON_WORKING_DAYS = 5
MOST_OVERDUE = 10


def dashboard(actor: Actor, today: dt.date | None = None) -> dict:
    """Headline counts, per-action figures and chart, most overdue cases, goal indicators."""
    plan = latest_plan()
    if plan is None:
        return {"plan": None}
    today = today or local_today()
    calendar = current_calendar()
    visible_ids = list(db.session.scalars(
        select(Case.id).where(Case.plan_id == plan.id, visible_cases_clause(actor))
    ))
    cases = cases_at(today, plan_id=plan.id, case_ids=visible_ids, calendar=calendar)
    actions = action_rows(plan.id, cases)
    overdue = sorted((c for c in cases if c.overdue),
                     key=lambda c: (-c.overdue_days, c.deadline, c.action_index or 0, c.seq, c.id))
    return {
        "plan": plan,
        "today": today,
        "totals": totals(cases),
        "headline": {
            "total": len(cases),
            "overdue": len(overdue),
            "due_soon": sum(1 for c in cases if _due_soon(c, today, calendar)),
            "to_verify": sum(1 for c in cases if c.state == "submitted"),
            "extensions": _pending_extensions(visible_ids),
        },
        "actions": actions,
        "chart": action_progress_chart(actions),
        "most_overdue": [_overdue_row(c) for c in overdue[:MOST_OVERDUE]],
        "indicators": goal_indicators(plan.id, actor),
    }


def _due_soon(case: CaseAt, today: dt.date, calendar: WorkingDayCalendar) -> bool:
    return is_due_soon(case.state, case.deadline, today, calendar)


def is_due_soon(state: str, deadline: dt.date, today: dt.date,
                calendar: WorkingDayCalendar) -> bool:
    """Open, not yet overdue, and due within DUE_SOON_WORKING_DAYS working days (即将到期;
    the case lists' ?due=soon uses the same rule, so the dashboard's number is the list's)."""
    if state in DONE_STATES or deadline < today:
        return False
    try:
        return calendar.within_working_days(today, deadline, DUE_SOON_WORKING_DAYS)
    except UnknownCalendarYear:  # as rag_for: count calendar days rather than fail the page
        return (deadline - today).days <= DUE_SOON_WORKING_DAYS


def _pending_extensions(case_ids: list[int]) -> int:
    """Extension requests waiting for the office's decision, on the given cases."""
    if not case_ids:
        return 0
    return db.session.scalar(
        select(func.count(ExtensionRequest.id))
        .where(ExtensionRequest.status == "pending", ExtensionRequest.case_id.in_(case_ids))
    )


def _overdue_row(case: CaseAt) -> dict:
    return {
        "id": case.id,
        "title": case.title,
        "action": cn_number(case.action_index) if case.action_index else "",
        "lead_department": case.lead_department,
        "deadline": case.deadline,
        "overdue_days": case.overdue_days,
        "percent_done": case.percent_done,
    }


def goal_indicators(plan_id: int, actor: Actor | None = None) -> list[dict]:
    """The plan's goal-level targets (主要目标), each with its latest actual, gap and light."""
    return goal_targets(plan_id, actor)
