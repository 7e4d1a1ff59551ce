"""专班报送: a task force's 亮点, 难点堵点 and 下步计划 for a dekad brief or a monthly bulletin.

`submit` is one transaction (the row is written whole or not at all); `due_for` lists the
periods a task force is asked about with their due dates and what it wrote; `reminder_rows`
gives the reminder notifications the reminder tick records (natural key: kind, recipient,
"tfr:<period>:<task force>" — once per period and lead, however often the tick runs);
`timeliness_of` gives on-time / late / missing, for the reports and the evaluation.
The rules are workflows.task_force_reports'.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder.security.sqla.models import Role as RoleRow
from flask_appbuilder.security.sqla.models import User, assoc_user_role
from sqlalchemy import select

from app.clock import local_day, local_today, utcnow
from app.extensions import db
from app.formatting import local_datetime
from app.models import Department, Report, TaskForceReport, user_department
from app.security import TASK_FORCE_LEAD
from app.services.case_base import transaction
from workflows.calendar import WorkingDayCalendar
from workflows.periods import Period
from workflows.task_force_reports import (
    FIELDS,
    NOTIFICATION_KIND,
    NotATaskForce,
    OverviewForbidden,
    check_write,
    clean_texts,
    due_date,
    may_overview,
    may_read,
    may_write,
    open_periods,
    reminder_due,
    report_kind,
    report_period,
    timeliness,
)
from workflows.vocabulary import Actor, Role

LOCKED_STATES = ("signed", "issued")


def task_forces(actor: Actor | None = None) -> list[Department]:
    """The action task forces (专班 with an action), all of them or those the actor writes for."""
    query = select(Department).where(Department.kind == "task_force", Department.action_id.is_not(None))
    if actor is not None and not ({Role.OFFICE, Role.ADMIN} & actor.roles):
        if Role.TASK_FORCE_LEAD not in actor.roles:
            return []
        query = query.where(Department.id.in_(actor.department_ids or [-1]))
    return list(db.session.scalars(query.order_by(Department.name)))


def _task_force(actor: Actor, department_id) -> Department:
    """The task force a submission is for: the one named, or the lead's only one."""
    if department_id in (None, ""):
        mine = task_forces(actor)
        if len(mine) == 1 and Role.TASK_FORCE_LEAD in actor.roles and not ({Role.OFFICE, Role.ADMIN} & actor.roles):
            return mine[0]
        raise NotATaskForce()
    try:
        department = db.session.get(Department, int(department_id))
    except (TypeError, ValueError, OverflowError):
        department = None
    if department is None or department.kind != "task_force" or department.action_id is None:
        raise NotATaskForce()
    return department


def report_locked(period: Period) -> bool:
    """Whether the period's report (旬简报 or 月通报) has been signed or issued."""
    return db.session.scalar(select(Report.id).where(
        Report.kind == report_kind(period), Report.period_key == period.key,
        Report.doc_state.in_(LOCKED_STATES)).limit(1)) is not None


def submission(period: Period, department_id: int) -> TaskForceReport | None:
    return db.session.scalar(select(TaskForceReport).where(
        TaskForceReport.kind == report_kind(period), TaskForceReport.period_key == period.key,
        TaskForceReport.department_id == department_id))


def submit(actor: Actor, period_key, *, department_id=None, **values) -> TaskForceReport:
    """Write (or rewrite) a task force's submission for a dekad or month, in one transaction."""
    with transaction():
        period = report_period(period_key)
        department = _task_force(actor, department_id)
        check_write(actor, department.id, period=period, report_locked=report_locked(period))
        texts = clean_texts(values)
        row = submission(period, department.id)
        now = utcnow()
        if row is None:
            row = TaskForceReport(kind=report_kind(period), period_key=period.key, department_id=department.id,
                                  submitted_by_id=actor.user_id, submitted_at=now)
            db.session.add(row)
        row.highlights, row.difficulties, row.next_steps = (texts[f] for f, _ in FIELDS)
        row.updated_by_id, row.updated_at = actor.user_id, now
        db.session.flush()
    return row


def as_json(row: TaskForceReport | None, period: Period, department: Department, today=None) -> dict:
    """A submission (or its absence) as the API and the page show it."""
    today = today or local_today()
    on = local_day(row.submitted_at) if row else None
    when = timeliness(period, on, today)
    return {
        "period_key": period.key, "period": period.label_zh, "kind": report_kind(period),
        "department_id": department.id, "department": department.name,
        "due_date": due_date(period).isoformat(), "status": when.status,
        "submitted": row is not None,
        "submitted_at": row.submitted_at.isoformat() + "Z" if row else None,
        "submitted_by_id": row.submitted_by_id if row else None,
        "editable": not report_locked(period),
        **{f: (getattr(row, f) if row else "") for f, _ in FIELDS},
    }


def due_for(actor: Actor, today: dt.date | None = None) -> list[dict]:
    """Each open period (running and just ended dekad and month) for each task force the actor
    writes for: due date, status and the texts so far."""
    today = today or local_today()
    rows = []
    for department in task_forces(actor):
        for period in open_periods(today):
            rows.append(as_json(submission(period, department.id), period, department, today))
    return rows


def get_one(actor: Actor, period_key, department_id=None) -> dict:
    """One submission the actor may write (403 otherwise)."""
    period = report_period(period_key)
    department = _task_force(actor, department_id)
    check_write(actor, department.id, period=period, report_locked=False)
    return as_json(submission(period, department.id), period, department)


# --- the office's overview: who has reported ----------------------------------------------------


def _person(user: User | None) -> str:
    if user is None:
        return ""
    return f"{user.last_name or ''}{user.first_name or ''}".strip() or user.username


def overview(actor: Actor, period_key=None, today: dt.date | None = None) -> list[dict]:
    """For the office and the leaders: each period (the running and the just-ended dekad and
    month, or the one asked for), every action task force — 已按时报送 / 逾期报送 / 未报送, when,
    by whom — and the counts. Others: OverviewForbidden (403)."""
    if not may_overview(actor):
        raise OverviewForbidden()
    today = today or local_today()
    periods = [report_period(period_key)] if period_key not in (None, "") else open_periods(today)
    departments = task_forces()
    found = {}
    for row, user in db.session.execute(
            select(TaskForceReport, User).outerjoin(User, User.id == TaskForceReport.submitted_by_id)
            .where(TaskForceReport.period_key.in_([p.key for p in periods]))):
        found[(row.kind, row.period_key, row.department_id)] = (row, user)
    blocks = []
    for period in periods:
        rows, counts = [], {"on_time": 0, "late": 0, "missing": 0, "not_due": 0}
        for department in departments:
            row, user = found.get((report_kind(period), period.key, department.id), (None, None))
            when = timeliness(period, local_day(row.submitted_at) if row else None, today)
            counts[when.status] += 1
            rows.append({"department_id": department.id, "department": department.name,
                         "status": when.status, "submitted": row is not None,
                         "submitted_at": local_datetime(row.submitted_at) if row else "",
                         "submitted_by": _person(user)})
        blocks.append({"period_key": period.key, "period": period.label_zh, "kind": report_kind(period),
                       "due_date": due_date(period).isoformat(), "running": period.start <= today <= period.end,
                       "rows": rows, "counts": counts, "report_locked": report_locked(period)})
    return blocks


def read_one(actor: Actor, period_key, department_id) -> dict:
    """One task force's submission to read: the office, the leaders, its own lead (403 others)."""
    period = report_period(period_key)
    department = _task_force(actor, department_id)
    if not may_read(actor, department.id):
        raise OverviewForbidden()
    row = submission(period, department.id)
    out = as_json(row, period, department)
    out["submitted_by"] = _person(db.session.get(User, row.submitted_by_id)) if row and row.submitted_by_id else ""
    out["submitted_at_local"] = local_datetime(row.submitted_at) if row else ""
    out["may_write"] = may_write(actor, department.id)
    return out


# --- the report, the evaluation --------------------------------------------------------------


def timeliness_of(period: Period, today: dt.date | None = None) -> dict[int, object]:
    """Task force id → Timeliness of its submission for `period` (every action task force)."""
    today = today or local_today()
    found = {r.department_id: r for r in db.session.scalars(select(TaskForceReport).where(
        TaskForceReport.kind == report_kind(period), TaskForceReport.period_key == period.key))}
    return {d.id: timeliness(period, local_day(found[d.id].submitted_at) if d.id in found else None, today)
            for d in task_forces()}


# --- the reminder ----------------------------------------------------------------------------


def _leads_of(department_ids) -> dict[int, list[int]]:
    rows = db.session.execute(
        select(user_department.c.department_id, User.id)
        .join(User, User.id == user_department.c.user_id)
        .join(assoc_user_role, assoc_user_role.c.user_id == User.id)
        .join(RoleRow, RoleRow.id == assoc_user_role.c.role_id)
        .where(user_department.c.department_id.in_(list(department_ids) or [-1]),
               RoleRow.name == TASK_FORCE_LEAD,
               User.active.is_not(False)))
    leads: dict[int, list[int]] = {}
    for department_id, user_id in rows:
        leads.setdefault(department_id, []).append(user_id)
    return leads


def reminder_rows(on: dt.date, calendar: WorkingDayCalendar) -> list[dict]:
    """Notification rows owed on working day `on`: a task force that has not yet written its
    submission for a period due within REMIND_WORKING_DAYS is reminded, each lead once."""
    from app.services.notifications import date_text  # the office's way of writing a date

    periods = [p for p in open_periods(on) if reminder_due(p, on, calendar)]
    if not periods:
        return []
    departments = task_forces()
    leads = _leads_of(d.id for d in departments)
    rows = []
    for period in periods:
        for department in departments:
            if submission(period, department.id) is not None:
                continue
            report = "旬简报" if report_kind(period) == "dekad" else "月通报"
            title = f"【报送提醒】{department.name}：请于{date_text(due_date(period))}前报送{period.label_zh}亮点、难点堵点和下步计划"
            body = (f"{period.label_zh}{report}将汇总各专班报送的亮点、难点堵点和下步计划。\n"
                    f"报送截止：{date_text(due_date(period))}。逾期或未报送将计入调度评价。\n"
                    "请在“报告—专班报送”中填写。")
            for user_id in sorted(leads.get(department.id, ())):
                rows.append({"case_id": None, "kind": NOTIFICATION_KIND,
                             "recipient_id": user_id, "due_date": due_date(period), "day": on,
                             "source_key": f"tfr:{period.key}:{department.id}",
                             "title": title[:200], "body": body})
    return rows
