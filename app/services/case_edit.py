"""Cases by hand (立项) and edits, each change in the case's history, in one transaction.

The rules are workflows.case_form's (values and who may change which field); here the ids
are checked against the database and the rows written. A new case starts 已交办 (assigned)
like a loaded one; its history begins with a `created` entry, and every edit adds an `edit`
entry with each changed field's old and new value.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext
from sqlalchemy import func, select

from app import labels
from app.clock import local_today
from app.extensions import db
from app.models import (
    Action,
    Case,
    CaseHistory,
    Department,
    Indicator,
    Milestone,
    Plan,
    utcnow,
)
from app.services.case_base import LEAD_DEPARTMENT_KINDS, actor_name, get_visible_case
from workflows import subtasks
from workflows.case_form import (
    MayNotCreate,
    MilestoneAfterDeadline,
    NotAnId,
    check_may_edit,
    may_create,
    read_case,
)
from workflows.errors import Conflict
from workflows.targets import classify
from workflows.vocabulary import Actor

# The case fields as errors name them (DomainError.labelled "case_field").
CASE_FIELD_LABELS = {
    "title": lazy_gettext("title"),
    "text": lazy_gettext("text"),
    "source": lazy_gettext("source"),
    "action_id": lazy_gettext("action"),
    "plan_id": lazy_gettext("plan"),
    "parent_id": lazy_gettext("parent case"),
    "weight": lazy_gettext("weight"),
    "lead_department_id": lazy_gettext("lead department"),
    "partner_department_ids": lazy_gettext("partner departments"),
    "owner_id": lazy_gettext("responsible lead"),
    "deadline": lazy_gettext("deadline"),
    "milestones": lazy_gettext("milestones"),
    "targets": lazy_gettext("targets"),
}
labels.VOCABULARIES.setdefault("case_field", CASE_FIELD_LABELS)


class NothingToChange(Conflict):
    code = "nothing_to_change"
    status = 422
    msgid = "Nothing to change."


def _department(dept_id: int | None, field: str, *, lead: bool = False) -> Department | None:
    if dept_id is None:
        return None
    dept = db.session.get(Department, dept_id)
    if dept is None or (lead and dept.kind not in LEAD_DEPARTMENT_KINDS):
        raise NotAnId(field=field)
    return dept


def _plan_and_action(values: dict) -> tuple[Plan, Action | None]:
    """The case's plan and action: an action gives its plan; an implementation plan its action."""
    action = db.session.get(Action, values["action_id"]) if values.get("action_id") else None
    if values.get("action_id") and action is None:
        raise NotAnId(field="action_id")
    plan = db.session.get(Plan, values["plan_id"]) if values.get("plan_id") else None
    if values.get("plan_id") and plan is None:
        raise NotAnId(field="plan_id")
    if plan is None:
        plan = action.plan
    if action is None and plan.action_id:
        action = plan.action
    if action is not None and action.plan_id != plan.id and plan.action_id != action.id:
        raise NotAnId(field="action_id")
    return plan, action


def create_case(actor: Actor, data: dict) -> Case:
    """立项: the office opens a case from a 领导批示, a meeting or a document."""
    if not may_create(actor):
        raise MayNotCreate()
    values = read_case(data, local_today())
    try:
        plan, action = _plan_and_action(values)
        lead = _department(values["lead_department_id"], "lead_department_id", lead=True)
        partners = [_department(i, "partner_department_ids") for i in values.get("partner_department_ids", [])]
        owner = _owner(values.get("owner_id"))
        parent = _parent(values.get("parent_id"), actor)
        seq = (db.session.scalar(select(func.max(Case.seq)).where(Case.plan_id == plan.id)) or 0) + 1
        today = local_today()
        now = utcnow()
        case = Case(
            plan_id=plan.id, action_id=action.id if action else None,
            source_key=f"manual-{uuid.uuid4().hex[:12]}", seq=seq,
            title=values["title"], text=values.get("text", ""), source=values.get("source", ""),
            list_kind="task", lead_department_id=lead.id, lead_basis="named",
            owner_id=owner.id if owner else None, parent_id=parent.id if parent else None,
            weight=values.get("weight"),
            start_date=today, deadline=values["deadline"], original_deadline=values["deadline"],
            state="assigned", assigned_at=now, state_changed_at=now, created_at=now,
        )
        case.partner_departments = [p for p in partners if p.id != lead.id]
        db.session.add(case)
        db.session.flush()
        case.milestones = [Milestone(title=t, due_date=d) for t, d in values.get("milestones", [])]
        _write_targets(case, plan, values.get("targets", []))
        _history(case, actor, "created", data={"source": case.source, "fields": _snapshot(case)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return case


def update_case(actor: Actor, case_id, data: dict) -> Case:
    """Change some fields of a case; one `edit` history entry lists what changed."""
    try:
        case = get_visible_case(case_id, actor, for_update=True)
        fields = [name for name in (data or {}) if name in _EDITABLE]
        check_may_edit(actor, case.action_id, fields)
        values = read_case({k: data[k] for k in fields}, local_today(), partial=True,
                           current_deadline=case.deadline)
        if not values:
            raise NothingToChange()
        before = _snapshot(case)
        if "deadline" in values and "milestones" not in values:
            late = [m for m in case.milestones if m.due_date > values["deadline"]]
            if late:
                raise MilestoneAfterDeadline(title=late[0].title, date=late[0].due_date.isoformat(),
                                             deadline=values["deadline"].isoformat())
        for name in ("title", "text", "source"):
            if name in values:
                setattr(case, name, values[name])
        if "lead_department_id" in values:
            case.lead_department_id = _department(values["lead_department_id"], "lead_department_id",
                                                  lead=True).id
            case.lead_basis = "named"
        if "partner_department_ids" in values:
            case.partner_departments = [
                _department(i, "partner_department_ids") for i in values["partner_department_ids"]
                if i != case.lead_department_id]
        if "owner_id" in values:
            owner = _owner(values["owner_id"])
            case.owner_id = owner.id if owner else None
        if "parent_id" in values:
            parent = _parent(values["parent_id"], actor)
            if parent is not None and parent.id == case.id:
                raise NotAnId(field="parent_id")
            case.parent_id = parent.id if parent else None
        if "weight" in values:
            case.weight = values["weight"]
        if "action_id" in values:
            _plan, action = _plan_and_action({"action_id": values["action_id"], "plan_id": case.plan_id})
            case.action_id = action.id if action else None
        if "deadline" in values:
            case.deadline = values["deadline"]
        if "milestones" in values:
            _write_milestones(case, values["milestones"])
        if "targets" in values:
            _write_targets(case, case.plan, values["targets"])
        db.session.flush()
        after = _snapshot(case)
        changes = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
        if not changes:
            raise NothingToChange()
        case.version = (case.version or 1) + 1
        _history(case, actor, "edit", data={"changes": changes})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return case


_EDITABLE = ("title", "text", "source", "action_id", "parent_id", "weight", "lead_department_id",
             "partner_department_ids", "owner_id", "deadline", "milestones", "targets")


def _owner(user_id):
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None:
        raise NotAnId(field="owner_id")
    return user


def _parent(case_id, actor: Actor):
    if case_id is None:
        return None
    try:
        return get_visible_case(case_id, actor)
    except Exception:
        raise NotAnId(field="parent_id") from None


def _write_milestones(case: Case, wanted) -> None:
    """Keep milestones already reported done; the open ones become exactly `wanted`."""
    keep = {(m.title, m.due_date): m for m in case.milestones}
    result = [m for m in case.milestones if m.done_at is not None]
    for title, due in wanted:
        row = keep.get((title, due))
        if row is None:
            row = Milestone(title=title, due_date=due)
        if row not in result:
            result.append(row)
    case.milestones = sorted(result, key=lambda m: (m.due_date, m.title))


def _write_targets(case: Case, plan: Plan, wanted: list[dict]) -> None:
    """The case's own targets by position; a target with reported actuals keeps its row."""
    current = sorted(case.indicators, key=lambda i: i.position)
    for position, target in enumerate(wanted, start=1):
        if position <= len(current):
            row = current[position - 1]
        else:
            row = Indicator(plan_id=plan.id, case_id=case.id, position=position, year=plan.year, quote="")
            db.session.add(row)
        row.name, row.value, row.unit = target["name"], Decimal(target["value"]), target["unit"]
        row.comparator = target["comparator"]
        row.kind = classify(row.name, "", row.unit, row.comparator)
    for row in current[len(wanted):]:
        db.session.delete(row)
    db.session.flush()
    db.session.expire(case, ["indicators"])


def _snapshot(case: Case) -> dict:
    """The editable fields as plain JSON values, for the history."""
    db.session.flush()
    db.session.refresh(case, ["indicators"]) if case.id else None
    return {
        "title": case.title,
        "text": case.text,
        "source": case.source or "",
        "action_id": case.action_id,
        "parent_id": case.parent_id,
        "weight": case.weight,
        "lead_department_id": case.lead_department_id,
        "partner_department_ids": sorted(d.id for d in case.partner_departments),
        "owner_id": case.owner_id,
        "deadline": case.deadline.isoformat(),
        "milestones": [[m.title, m.due_date.isoformat()] for m in
                       sorted(case.milestones, key=lambda m: (m.due_date, m.title))],
        "targets": [[i.name, f"{i.value:f}" if i.value is not None else None, i.unit, i.comparator]
                    for i in sorted(case.indicators, key=lambda i: i.position)],
    }


def _history(case: Case, actor: Actor, kind: str, *, comment=None, data=None) -> CaseHistory:
    entry = CaseHistory(case_id=case.id, actor_id=actor.user_id, actor_name=actor_name(actor),
                        kind=kind, comment=comment, data=data, at=utcnow())
    db.session.add(entry)
    db.session.flush()
    return entry


# --- sub-tasks (细化实化) ----------------------------------------------------------------------


def children_of(case_id: int) -> list[Case]:
    """The case's sub-tasks, by deadline."""
    return list(db.session.scalars(
        select(Case).where(Case.parent_id == case_id).order_by(Case.deadline, Case.id)))


def rolled_up_percent(case: Case, children: list[Case] | None = None) -> int:
    """A parent's percent done: its sub-tasks' weighted mean (a done one counts 100; no weight:
    1, so equal weights by default); a case without sub-tasks: its own."""
    if children is None:
        # The three columns the mean needs, not the sub-tasks as cases with their collections.
        rows = db.session.execute(
            select(Case.state, Case.percent_done, Case.weight).where(Case.parent_id == case.id)
            .order_by(Case.deadline, Case.id)).all()
    else:
        rows = [(c.state, c.percent_done, c.weight) for c in children]
    return subtasks.rolled_up_percent(rows, case.percent_done)
