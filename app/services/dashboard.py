"""工作台: the figures a leader reads every morning, for the cases the actor may see.

Built on the reports' snapshot and figures (app/reports), taken today, so the dashboard and
the bulletins count the same way (RAG, overdue working days, average percent done).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.access import visible_cases_clause
from app.clock import local_today
from app.extensions import db
from app.models import Case, ExtensionRequest, Plan
from app.reports.charts import action_progress_chart
from app.reports.figures import action_rows, cn_number, totals
from app.reports.snapshot import CaseAt, cases_at
from app.services import plan_scope
from app.services.calendar import current_calendar
from app.services.indicators import goal_targets
from app.services.plans import latest_plan
from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar
from workflows.rag import DONE_STATES
from workflows.vocabulary import ANONYMOUS, Actor, State

DUE_SOON_WORKING_DAYS = 5
MOST_OVERDUE = 10


def dashboard(actor: Actor, today: dt.date | None = None, *, plan: Plan | None = None,
              all_plans: bool = False) -> dict:
    """Headline counts, per-action figures and chart, most overdue cases, goal indicators:
    for one plan (with its actions' implementation plans), or for all plans side by side."""
    if all_plans:
        shown = [p for p in plan_scope.plans(actor) if p.action_id is None]  # 实施方案 count in their parent
    else:
        plan = plan or latest_plan()
        shown = [plan] if plan is not None else []
    if not shown:
        return {"plan": None, "all_plans": all_plans}
    today = today or local_today()
    calendar = current_calendar()
    visible_ids = list(db.session.scalars(
        select(Case.id).where(plan_scope.case_clause(None if all_plans else plan),
                              visible_cases_clause(actor))
    ))
    cases = cases_at(today, case_ids=visible_ids, calendar=calendar)
    actions, indicators = [], []
    for one in shown:
        family = set(plan_scope.family_ids(one.id))
        rows = action_rows(one.id, [c for c in cases if c.plan_id in family])
        for row in rows:
            row["plan"] = plan_scope.plan_label(one) if all_plans else ""
        actions.extend(rows)
        targets = goal_indicators(one.id, actor)
        for row in targets:
            if all_plans:
                row["goal"] = f"{one.year}年{row['goal']}"
        indicators.extend(targets)
    overdue = sorted((c for c in cases if c.overdue),
                     key=lambda c: (-c.overdue_days, c.deadline, c.action_index or 0, c.seq, c.id))
    return {
        "plan": None if all_plans else plan,
        "all_plans": all_plans,
        "plans": shown,
        "today": today,
        "totals": totals(cases),
        "headline": {
            "total": len(cases),
            "overdue": len(overdue),
            "due_soon": sum(1 for c in cases if _due_soon(c, today, calendar)),
            "to_verify": sum(1 for c in cases if c.state == State.SUBMITTED),
            "extensions": _pending_extensions(visible_ids),
        },
        "actions": actions,
        "chart": action_progress_chart(actions, prefix="dash"),
        "most_overdue": [_overdue_row(c) for c in overdue[:MOST_OVERDUE]],
        "indicators": indicators,
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


def goal_indicators(plan_id: int, actor: Actor = ANONYMOUS) -> list[dict]:
    """The plan's goal-level targets (主要目标), each with its latest actual, gap and light."""
    return goal_targets(plan_id, actor)
