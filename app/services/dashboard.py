"""工作台: the figures a leader reads every morning, for the cases the actor may see.

Counted in SQL (one GROUP BY for the counts, one ORDER BY … LIMIT for the most overdue), so a
province's dashboard reads aggregates, not every case. It counts as the bulletins do
(app.reports: snapshots of the cases at the end of a day, `cases_at`), taken today — the
promise is that both give the same numbers, and tests/integration/test_dashboard.py checks it
on a seed spread over every state, light and date:

- the cases counted are those started by today (`cases_at` takes `start_date <= day`);
- state, deadline and percent done are the case's columns: a snapshot of today replays no
  history (nothing happened after the end of today), and the percent is the last progress
  update's, which app.services.progress writes to `Case.percent_done` with it; a verified or
  closed case counts 100%;
- the light is app.rag_sql.light (tested equal to app.rag.rag_for), 逾期 is red;
- the figures are app.reports.figures.totals / action_rows over `Tally`s (the bulletins'
  arithmetic, rounding included); overdue working days are those of workflows.rag.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import case, func, literal, select

from app import rag_sql
from app.access import visible_cases_clause
from app.clock import local_today
from app.extensions import db
from app.models import Action, Case, Department, ExtensionRequest, Plan
from app.replica import reads_replica
from app.reports.charts import action_progress_chart
from app.reports.figures import Tally, action_rows, cn_number, totals
from app.services import plan_scope
from app.services.calendar import current_calendar
from app.services.indicators import goal_targets
from app.services.plans import latest_plan
from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar
from workflows.rag import DONE_STATES, Rag, overdue_working_days
from workflows.vocabulary import ANONYMOUS, Actor

DUE_SOON_WORKING_DAYS = 5
MOST_OVERDUE = 10
_DONE = [str(s) for s in DONE_STATES]


@reads_replica
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
    visible = (plan_scope.case_clause(None if all_plans else plan), visible_cases_clause(actor))
    where = (*visible, Case.start_date <= literal(today))  # started: as cases_at counts
    t = rag_sql.thresholds(today, calendar)
    counts = _counts(where, t, calendar)
    everything = Tally()
    for tally in counts["by_plan_action"].values():
        everything.add_tally(tally)
    actions, indicators = [], []
    for one in shown:
        family = set(plan_scope.family_ids(one.id))
        by_action: dict = defaultdict(Tally)
        for (plan_id, action_id), tally in counts["by_plan_action"].items():
            if plan_id in family:
                by_action[action_id].add_tally(tally)
        rows = action_rows(one.id, dict(by_action))
        for row in rows:
            row["plan"] = plan_scope.plan_label(one) if all_plans else ""
        actions.extend(rows)
        targets = goal_indicators(one.id, actor)
        for row in targets:
            if all_plans:
                row["goal"] = f"{one.year}年{row['goal']}"
        indicators.extend(targets)
    return {
        "plan": None if all_plans else plan,
        "all_plans": all_plans,
        "plans": shown,
        "today": today,
        "totals": totals(everything),
        "headline": {
            "total": everything.cases,
            "overdue": everything.rags[str(Rag.RED)],
            "due_soon": counts["due_soon"],
            "to_verify": everything.states["submitted"],
            "extensions": _pending_extensions(visible),
        },
        "actions": actions,
        "chart": action_progress_chart(actions, prefix="dash"),
        "most_overdue": _most_overdue(where, t, calendar),
        "indicators": indicators,
    }


def _counts(where, t: rag_sql.Thresholds, calendar: WorkingDayCalendar) -> dict:
    """One GROUP BY: the cases by plan, action, state, light and 即将到期, with percent summed."""
    percent = case((Case.state.in_(_DONE), 100), else_=func.coalesce(Case.percent_done, 0))
    soon = case((rag_sql.due_soon(DUE_SOON_WORKING_DAYS, t.today, calendar), 1), else_=0)
    rows = (
        select(Case.plan_id.label("plan_id"), Case.action_id.label("action_id"),
               Case.state.label("state"), rag_sql.light(t).label("rag"), soon.label("soon"),
               percent.label("percent"))
        .where(*where)
        .subquery()
    )
    by_plan_action: dict = defaultdict(Tally)
    due_soon = 0
    for plan_id, action_id, state, rag, is_soon, count, percent_sum in db.session.execute(
        select(rows.c.plan_id, rows.c.action_id, rows.c.state, rows.c.rag, rows.c.soon,
               func.count(), func.sum(rows.c.percent))
        .group_by(rows.c.plan_id, rows.c.action_id, rows.c.state, rows.c.rag, rows.c.soon)
    ):
        by_plan_action[(plan_id, action_id)].add(state, rag, count, int(percent_sum or 0))
        due_soon += count if is_soon else 0
    return {"by_plan_action": by_plan_action, "due_soon": due_soon}


def _most_overdue(where, t: rag_sql.Thresholds, calendar: WorkingDayCalendar) -> list[dict]:
    """The red cases longest overdue first. Overdue working days never grow with a later
    deadline (and a case red by a missed 时间节点, not yet due, has none), so the old order
    (-overdue days, deadline, action, seq, id) is ORDER BY deadline, action, seq, id."""
    rows = db.session.execute(
        select(Case.id, Case.title, Action.index, Department.name, Case.deadline, Case.percent_done)
        .outerjoin(Action, Action.id == Case.action_id)
        .outerjoin(Department, Department.id == Case.lead_department_id)
        .where(*where, rag_sql.light_is(str(Rag.RED), t))
        .order_by(Case.deadline, func.coalesce(Action.index, 0), Case.seq, Case.id)
        .limit(MOST_OVERDUE)
    )
    return [
        {"id": case_id, "title": title, "action": cn_number(index) if index else "",
         "lead_department": department or "", "deadline": deadline,
         "overdue_days": _overdue_days(deadline, t.today, calendar), "percent_done": int(percent or 0)}
        for case_id, title, index, department, deadline, percent in rows
    ]


def _overdue_days(deadline: dt.date, today: dt.date, calendar: WorkingDayCalendar) -> int:
    """Working days past the deadline (0 when not past it), as the snapshots count them."""
    if today <= deadline:
        return 0
    try:
        return overdue_working_days(deadline, today, calendar)
    except UnknownCalendarYear:
        return (today - deadline).days


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


def _pending_extensions(where) -> int:
    """Extension requests waiting for the office's decision, on the visible cases (started or
    not: a request on a case not yet started waits all the same)."""
    return db.session.scalar(
        select(func.count(ExtensionRequest.id))
        .where(ExtensionRequest.status == "pending",
               ExtensionRequest.case_id.in_(select(Case.id).where(*where)))
    )


def goal_indicators(plan_id: int, actor: Actor = ANONYMOUS) -> list[dict]:
    """The plan's goal-level targets (主要目标), each with its latest actual, gap and light."""
    return goal_targets(plan_id, actor)
