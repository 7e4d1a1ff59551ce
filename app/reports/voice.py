"""专班报送 in the dekad brief and the monthly bulletin: for each action of the plan, what its task
force wrote for the period (亮点, 难点堵点, 下步计划), or plainly that it did not report.
Rules (due date, late, missing): workflows.task_force_reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.clock import local_day
from app.extensions import db
from app.models import Action, Department, TaskForceReport
from app.reports.figures import cn_number, short_action
from workflows.periods import Period
from workflows.task_force_reports import FIELDS, MISSING_TEXT, report_kind, timeliness


def task_force_voice(period: Period, plan_id: int, today: dt.date) -> list[dict]:
    """One section per action (in plan order), with its task force's texts for `period`."""
    actions = list(db.session.scalars(select(Action).where(Action.plan_id == plan_id).order_by(Action.index)))
    forces = {d.action_id: d for d in db.session.scalars(select(Department).where(
        Department.kind == "task_force", Department.action_id.in_([a.id for a in actions] or [-1])))}
    rows = {r.department_id: r for r in db.session.scalars(select(TaskForceReport).where(
        TaskForceReport.kind == report_kind(period), TaskForceReport.period_key == period.key))}
    sections = []
    for action in actions:
        force = forces.get(action.id)
        row = rows.get(force.id) if force else None
        when = timeliness(period, local_day(row.submitted_at) if row else None, today)
        sections.append({
            "number": cn_number(action.index), "short": short_action(action.title),
            "task_force": force.name if force else "",
            "submitted": row is not None, "status": when.status,
            "parts": [(label, getattr(row, name) if row else MISSING_TEXT) for name, label in FIELDS],
        })
    return sections
