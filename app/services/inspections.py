"""督查 → 整改 → 销号 (issue 12, part 4): the office records an inspection and its findings; each
finding becomes a rectification case (整改事项) for its unit, with the finding's deadline.

A rectification case is an ordinary `Case` of the inspection's plan (list kind task, led by the
finding's unit, in the finding's action, whose task-force lead verifies it; the office closes
it — 销号), pointed at by exactly one `Finding.case_id`; `Case.source` names the inspection.
So the lists, queues, reminders, 红黄绿灯, the evaluation and the reports treat it like any case,
and the 督查通报 lists the findings with their state at the period's end
(app/reports/figures.rectification_at).

One transaction: the inspection, its findings, their cases, a `created` history entry on each
case (with the inspection and the finding) and an outbox event per case (the relay tells the
unit's caseworkers: `rectification`). Who may is workflows.permissions
(`can_record_inspection`, `can_see_inspections`); the input's rules are workflows.inspections.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.clock import local_today
from app.extensions import db
from app.formatting import date_zh
from app.models import Action, Case, Department, Finding, Inspection, Plan, utcnow
from app.services import outbox
from app.services.case_base import LEAD_DEPARTMENT_KINDS, actor_name, add_history, transaction
from app.services.plan_scope import default_plan
from workflows import permissions
from workflows.errors import N_, Forbidden, NotFound
from workflows.inspections import (
    FindingInputError,
    InspectionInputError,
    case_title,
    read_inspection,
)
from workflows.vocabulary import Actor


class MayNotRecordInspection(Forbidden):
    code = "inspection_not_allowed"
    msgid = N_("Only the supervision office records inspections.")


class InspectionNotFound(NotFound):
    code = "inspection_not_found"
    msgid = N_("The inspection does not exist, or you may not see it.")


def _plan(values, actions: dict[int, Action], actor: Actor) -> Plan:
    if values.plan_id is not None:
        plan = db.session.get(Plan, values.plan_id)
        if plan is None:
            raise InspectionInputError(N_("Choose an existing plan."))
        return plan
    first = next((actions[f.action_id] for f in values.findings if f.action_id in actions), None)
    plan = first.plan if first is not None else default_plan(actor)
    if plan is None:
        raise InspectionInputError(N_("Choose an existing plan."))
    return plan


def record_inspection(actor: Actor, data: dict) -> Inspection:
    """The office records an inspection; each finding becomes a rectification case of its unit."""
    if not permissions.can_record_inspection(actor):
        raise MayNotRecordInspection()
    with transaction():
        values = read_inspection(data, local_today())
        action_ids = {f.action_id for f in values.findings} | ({values.action_id} - {None})
        actions = {a.id: a for a in db.session.scalars(select(Action).where(Action.id.in_(action_ids)))}
        if values.action_id is not None and values.action_id not in actions:
            raise InspectionInputError(N_("Choose an existing action."))
        plan = _plan(values, actions, actor)
        departments = {d.id: d for d in db.session.scalars(
            select(Department).where(Department.id.in_({f.department_id for f in values.findings})))}
        for f in values.findings:
            unit = departments.get(f.department_id)
            if unit is None or unit.kind not in LEAD_DEPARTMENT_KINDS:
                raise FindingInputError(N_("Finding %(n)s: choose an existing unit."), n=f.n)
            action = actions.get(f.action_id)
            if action is None or action.plan_id != plan.id:
                raise FindingInputError(N_("Finding %(n)s: choose an existing action of the plan."), n=f.n)
        now = utcnow()
        inspection = Inspection(plan_id=plan.id, action_id=values.action_id, inspected_on=values.inspected_on,
                                subject=values.subject, inspectors=values.inspectors,
                                created_by_id=actor.user_id, created_by_name=actor_name(actor), created_at=now)
        db.session.add(inspection)
        db.session.flush()
        source = f"督查整改：{values.subject}（{date_zh(values.inspected_on)}）"[:200]
        seq = db.session.scalar(select(func.max(Case.seq)).where(Case.plan_id == plan.id)) or 0
        for f in values.findings:
            seq += 1
            case = Case(
                plan_id=plan.id, action_id=f.action_id, source_key=f"rectify-{uuid.uuid4().hex[:12]}",
                seq=seq, title=case_title(f.text),
                text=f"{f.text}\n\n（{date_zh(values.inspected_on)}督查发现，督查对象：{values.subject}，"
                     f"督查人员：{values.inspectors}）",
                source=source, list_kind="task", lead_department_id=f.department_id, lead_basis="named",
                start_date=values.inspected_on, deadline=f.deadline, original_deadline=f.deadline,
                requires_evidence=values.requires_evidence, state="assigned",
                assigned_at=now, state_changed_at=now, created_at=now,
            )
            db.session.add(case)
            db.session.flush()
            finding = Finding(inspection_id=inspection.id, position=f.n, text=f.text,
                              department_id=f.department_id, deadline=f.deadline, case_id=case.id)
            db.session.add(finding)
            db.session.flush()
            entry = add_history(case, actor, "created", comment=f.text, data={
                "source": source, "inspection_id": inspection.id, "finding_id": finding.id,
                "inspected_on": values.inspected_on.isoformat(), "subject": values.subject,
                "department": departments[f.department_id].name, "deadline": f.deadline.isoformat()})
            outbox.record_event(outbox.RECTIFICATION_ASSIGNED, case.id, actor_id=actor.user_id,
                                history_id=entry.id, finding_id=finding.id)
    return inspection


def inspections_for(actor: Actor, plan_id: int | None = None) -> list[Inspection]:
    """The inspections the actor may see (the office, admins, leaders: all), newest first."""
    if not permissions.can_see_inspections(actor):
        return []
    query = select(Inspection).order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
    if plan_id is not None:
        query = query.where(Inspection.plan_id == plan_id)
    return list(db.session.scalars(query))


def inspection_for(inspection_id, actor: Actor) -> Inspection:
    """One inspection with its findings, for who may see inspections; else 404."""
    try:
        number = int(inspection_id)
    except (TypeError, ValueError):
        number = 0
    row = db.session.get(Inspection, number) if 1 <= number < 2**31 else None
    if row is None or not permissions.can_see_inspections(actor):
        raise InspectionNotFound()
    return row


def form_choices(actor: Actor) -> tuple[list[Action], list[Department]]:
    """The form's choices: the actions of the actor's plan and the units that can lead a case."""
    plan = default_plan(actor)
    actions = list(db.session.scalars(
        select(Action).where(Action.plan_id == plan.id).order_by(Action.index))) if plan is not None else []
    units = list(db.session.scalars(
        select(Department).where(Department.kind.in_(LEAD_DEPARTMENT_KINDS)).order_by(Department.name)))
    return actions, units


def finding_of_case(case_id: int) -> Finding | None:
    """The finding a rectification case comes from (None: not a rectification case)."""
    return db.session.scalar(select(Finding).where(Finding.case_id == case_id))


def finding_json(row: Finding) -> dict:
    case = row.case
    return {
        "id": row.id, "position": row.position, "text": row.text,
        "department_id": row.department_id, "department": row.department.name,
        "deadline": row.deadline.isoformat(), "case_id": row.case_id,
        "case_state": case.state, "case_deadline": case.deadline.isoformat(),
        "action_id": case.action_id,
    }


def inspection_json(row: Inspection) -> dict:
    """An inspection as the API answers it."""
    return {
        "id": row.id, "plan_id": row.plan_id, "action_id": row.action_id,
        "inspected_on": row.inspected_on.isoformat(), "subject": row.subject, "inspectors": row.inspectors,
        "created_by_id": row.created_by_id, "created_by": row.created_by_name,
        "created_at": row.created_at.isoformat() + "Z" if row.created_at else None,
        "findings": [finding_json(f) for f in row.findings],
    }
