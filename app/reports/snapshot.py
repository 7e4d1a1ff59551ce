"""Cases as they stood at a moment, rebuilt from the append-only history.

A report on June describes the cases at the end of June, whenever it is generated: the
state is the `from_state` of the first transition after the moment (else today's state),
the deadline the old one of the first approved extension or deadline change after it,
the percentage the last progress update before it. So the same data gives the same report.
The lead department is today's (a reassignment after the moment is not rolled back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.clock import end_of_local_day
from app.clock import local_day as _local_day
from app.extensions import db
from app.models import (
    Action,
    Case,
    CaseHistory,
    Department,
    Milestone,
    ProgressUpdate,
    case_partner,
)
from app.rag import rag_for, rag_settings
from app.sql_ids import among
from app.working_days import current_calendar
from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar
from workflows.rag import DONE_STATES, Rag, is_overdue, overdue_working_days
from workflows.vocabulary import State


@dataclass
class CaseAt:
    """One case at a moment: the facts every report builds on."""

    id: int
    seq: int
    title: str
    action_id: int | None
    action_index: int | None
    lead_department_id: int | None
    lead_department: str
    partner_departments: list[str]
    start_date: dt.date
    original_deadline: dt.date
    deadline: dt.date
    state: str
    percent_done: int
    done_on: dt.date | None  # local day it was last verified, when verified or closed now
    rag: str = Rag.GREEN.value
    overdue_days: int = 0  # working days past the deadline (0 when not overdue)
    plan_id: int | None = None
    # (due date, reported done by then) of each milestone, for the light (app.rag)
    milestone_marks: tuple = ()

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES

    @property
    def overdue(self) -> bool:
        return self.rag == Rag.RED.value

    @property
    def on_time(self) -> bool:
        """Done on or before the deadline first set (extensions do not count for scoring)."""
        return self.done and self.done_on is not None and self.done_on <= self.original_deadline


def moment_after(day: dt.date) -> dt.datetime:
    """The naive-UTC instant at which local `day` ends (the start of the next local day)."""
    return end_of_local_day(day)


def local_day(value: dt.datetime) -> dt.date:
    """The office's local day of a stored naive-UTC datetime."""
    return _local_day(value)


def case_scope(day: dt.date, *, plan_id: int | None = None, case_ids=None):
    """The ids of the cases `cases_at` rebuilds (started by `day`; of a plan and its family, or
    the given ids), as a subquery: every per-case read selects by it in SQL, so a plan of 8,000
    cases is not sent back to the database as 8,000 bound ids in each of seven statements."""
    query = select(Case.id).where(Case.start_date <= day)
    if plan_id is not None:  # the plan and its actions' implementation plans
        from app.plan_family import family_ids

        query = query.where(Case.plan_id.in_(family_ids(plan_id)))
    if case_ids is not None:
        query = query.where(Case.id.in_(list(case_ids)))
    return query


def cases_at(day: dt.date, *, plan_id: int | None = None, case_ids=None,
             calendar: WorkingDayCalendar | None = None) -> list[CaseAt]:
    """Every case (of a plan, or the given ids) as it stood at the end of local `day`, by id."""
    moment = moment_after(day)
    scope = case_scope(day, plan_id=plan_id, case_ids=case_ids)
    # Columns, not ORM cases: a plan of 8,000 cases would otherwise load every case with
    # its action, department, partners, milestones and indicators.
    query = (
        select(Case.id, Case.seq, Case.title, Case.action_id, Action.index,
               Case.lead_department_id, Department.name, Case.start_date,
               Case.original_deadline, Case.deadline, Case.state, Case.percent_done,
               Case.plan_id, Case.verified_at)
        .outerjoin(Action, Action.id == Case.action_id)
        .outerjoin(Department, Department.id == Case.lead_department_id)
        .where(among(Case.id, scope))
        .order_by(Case.action_id, Case.seq, Case.id)
    )
    cases = db.session.execute(query).all()
    if not cases:
        return []
    state_before = _first_after(
        select(CaseHistory.case_id, CaseHistory.from_state)
        .where(CaseHistory.kind == "transition", CaseHistory.at >= moment, among(CaseHistory.case_id, scope))
        .order_by(CaseHistory.case_id, CaseHistory.at, CaseHistory.id)
    )
    deadline_before = _deadlines_before(scope, moment)
    percent_at = _percent_at(scope, moment)
    done_at = dict(
        db.session.execute(
            select(CaseHistory.case_id, CaseHistory.at)
            .where(CaseHistory.kind == "transition", CaseHistory.to_state == "verified",
                   CaseHistory.at < moment, among(CaseHistory.case_id, scope))
            .order_by(CaseHistory.case_id, CaseHistory.at, CaseHistory.id)
        ).all()
    )  # the dict keeps each case's latest verification
    partners: dict[int, list[str]] = {}
    for case_id, name in db.session.execute(
        select(case_partner.c.case_id, Department.name)
        .join(Department, Department.id == case_partner.c.department_id)
        .where(among(case_partner.c.case_id, scope))
    ):
        partners.setdefault(case_id, []).append(name)
    marks: dict[int, list] = {}
    for case_id, due_date, done in db.session.execute(
        select(Milestone.case_id, Milestone.due_date, Milestone.done_at)
        .where(among(Milestone.case_id, scope))
        .order_by(Milestone.case_id, Milestone.due_date, Milestone.id)
    ):
        marks.setdefault(case_id, []).append((due_date, done is not None and done < moment))
    calendar = calendar or current_calendar()
    settings = rag_settings()
    result = []
    for (case_id, seq, title, action_id, action_index, lead_id, lead_name, start_date,
         original_deadline, deadline, current_state, current_percent, case_plan_id,
         verified_at) in cases:
        state = state_before.get(case_id) or current_state
        percent = percent_at.get(case_id, current_percent)
        if state in DONE_STATES:
            percent = 100
        done_on = None
        if state in DONE_STATES:
            verified = done_at.get(case_id) or verified_at
            done_on = local_day(verified) if verified else None
        snapshot = CaseAt(
            id=case_id,
            seq=seq,
            title=title,
            action_id=action_id,
            action_index=action_index,
            lead_department_id=lead_id,
            lead_department=lead_name or "",
            partner_departments=sorted(partners[case_id]) if case_id in partners else [],
            start_date=start_date,
            original_deadline=original_deadline,
            deadline=deadline_before.get(case_id, deadline),
            state=state,
            percent_done=int(percent or 0),
            done_on=done_on,
            plan_id=case_plan_id,
            milestone_marks=tuple(marks.get(case_id, ())),
        )
        _assess(snapshot, day, calendar, settings)
        result.append(snapshot)
    return result


def _assess(case: CaseAt, day: dt.date, calendar: WorkingDayCalendar, settings: dict) -> None:
    """Fill in the RAG colour and the working days overdue on `day` (the workflow's rules)."""
    case.rag = rag_for(case, day, calendar, settings).value
    if is_overdue(State(case.state), case.deadline, day):
        try:
            case.overdue_days = overdue_working_days(case.deadline, day, calendar)
        except UnknownCalendarYear:
            case.overdue_days = (day - case.deadline).days


def _first_after(query) -> dict:
    """case_id → the first row's value (rows ordered by case, then time)."""
    found = {}
    for case_id, value in db.session.execute(query):
        found.setdefault(case_id, value)
    return found


def _deadlines_before(scope, moment) -> dict:
    """case_id → the deadline in force at `moment`, where an approved extension or an admin's
    change moved it afterwards (the history keeps the old date)."""
    changes = {}
    for case_id, kind, data in db.session.execute(
        select(CaseHistory.case_id, CaseHistory.kind, CaseHistory.data)
        .where(CaseHistory.kind.in_(("deadline_change", "extension_decision")), CaseHistory.at >= moment,
               among(CaseHistory.case_id, scope))
        .order_by(CaseHistory.case_id, CaseHistory.at, CaseHistory.id)
    ):
        data = data or {}
        if kind == "extension_decision" and not data.get("approved"):
            continue
        old = data.get("old") or data.get("old_deadline")
        if old and case_id not in changes:
            changes[case_id] = dt.date.fromisoformat(str(old)[:10])
    return changes


def _percent_at(scope, moment) -> dict:
    """case_id → percent of the last progress update before `moment` (0 if all came after)."""
    percent = {}
    for case_id, created_at, value in db.session.execute(
        select(ProgressUpdate.case_id, ProgressUpdate.created_at, ProgressUpdate.percent_done)
        .where(among(ProgressUpdate.case_id, scope))
        .order_by(ProgressUpdate.case_id, ProgressUpdate.created_at, ProgressUpdate.id)
    ):
        if created_at < moment:
            percent[case_id] = value
        else:
            percent.setdefault(case_id, 0)
    return percent


def missed_milestones_at(cases: list[CaseAt], day: dt.date,
                         calendar: WorkingDayCalendar | None = None, *, scope=None) -> list[dict]:
    """The 时间节点 of open cases that had passed by the end of local `day` without being
    reported done by then, most days late first: what the reports list as 节点逾期.

    `scope`: the `case_scope` the cases were rebuilt from, read in SQL instead of their ids."""
    open_cases = {c.id: c for c in cases if not c.done}
    if not open_cases:
        return []
    moment = moment_after(day)
    calendar = calendar or current_calendar()
    rows = []
    ids = list(open_cases)
    chunks = [scope] if scope is not None else [ids[start:start + 10_000] for start in range(0, len(ids), 10_000)]
    for chunk in chunks:
        for case_id, title, due, done_at in db.session.execute(
            select(Milestone.case_id, Milestone.title, Milestone.due_date, Milestone.done_at)
            .where(Milestone.case_id.in_(chunk) if isinstance(chunk, list) else among(Milestone.case_id, chunk),
                   Milestone.due_date < day)
        ):
            if (done_at is not None and done_at < moment) or case_id not in open_cases:
                continue
            case = open_cases[case_id]
            try:
                late = overdue_working_days(due, day, calendar)
            except UnknownCalendarYear:
                late = (day - due).days
            rows.append({"case_id": case_id, "case_title": case.title, "title": title, "due_date": due,
                         "lead_department": case.lead_department or "（未明确）", "late_days": late,
                         "action_index": case.action_index})
    rows.sort(key=lambda r: (-r["late_days"], r["action_index"] or 0, r["case_id"], r["due_date"]))
    return rows
