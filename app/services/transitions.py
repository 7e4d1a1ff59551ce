"""Firing a workflow transition: the only code that changes Case.state.

The rule (workflows.case_workflow) says whether the actor may fire it now and what it writes
besides the state (`rule.effects`: timestamps, cleared columns, the assignee); this module
applies that generically, plus the one transition with an input of its own (reassign's new
lead department), in one transaction with its history row and outbox event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Case, Department, utcnow
from app.services import outbox
from app.services.case_base import (
    LEAD_DEPARTMENT_KINDS,
    InvalidDepartment,
    InvalidInput,
    add_history,
    case_facts,
    check_version,
    clean_text,
    get_visible_case,
    transaction,
)
from workflows import subtasks
from workflows.case_workflow import TRANSITIONS, Effects, UnknownTransition, check_transition
from workflows.errors import N_
from workflows.vocabulary import Actor, Need


def apply_transition(
    case_id: int,
    actor: Actor,
    transition: str,
    *,
    comment: str | None = None,
    version: int | None = None,
    new_department_id: int | None = None,
    open_sub_tasks_reason: str | None = None,
) -> Case:
    """Fire a workflow transition: the only code that changes Case.state.

    Submitting a case whose sub-tasks are not all verified needs `open_sub_tasks_reason`
    (workflows.subtasks); it is kept in the history row with the open sub-tasks' ids."""
    if not isinstance(transition, str) or transition not in TRANSITIONS:
        raise UnknownTransition(str(transition))
    rule = TRANSITIONS[transition]
    with transaction():
        case = get_visible_case(case_id, actor, for_update=True, with_collections=False)
        check_version(case, version)
        if comment is not None and not isinstance(comment, str):
            raise InvalidInput(N_("Text fields must be text."))
        if new_department_id is not None:
            try:
                new_department_id = int(new_department_id)
            except (TypeError, ValueError):
                raise InvalidDepartment(id=new_department_id) from None
        target = check_transition(
            case_facts(case),
            actor,
            transition,
            comment=comment,
            new_department_id=new_department_id,
        )
        comment = clean_text(comment)  # length, once the rule has accepted it
        source = case.state
        data = None
        now = utcnow()
        if Need.NEW_DEPARTMENT in rule.needs:  # reassign: checked present and different
            data = _move_to(case, new_department_id)
        if transition == "submit":
            data = _open_sub_tasks(case, open_sub_tasks_reason)
        apply_effects(case, rule.effects, actor, now)
        case.state = str(target)
        case.version += 1
        entry = add_history(
            case,
            actor,
            "transition",
            comment=comment,
            data=data,
            transition=transition,
            from_state=source,
            to_state=str(target),
            at=now,
        )
        outbox.record_event(
            outbox.CASE_TRANSITIONED,
            case.id,
            transition=transition,
            from_state=source,
            to_state=str(target),
            actor_id=actor.user_id,
            history_id=entry.id,
        )
        kept = {"id": case.id, "state": case.state, "version": case.version}
    # The commit expired the case. Its callers answer with these three: set them as loaded
    # rather than reload the row and its eager-loaded collections (four statements).
    for name, value in kept.items():
        set_committed_value(case, name, value)
    return case


def _open_sub_tasks(case: Case, reason) -> dict | None:
    """Refuse submitting before open sub-tasks unless a reason is given; what to record."""
    children = db.session.execute(
        select(Case.id, Case.title, Case.state).where(Case.parent_id == case.id).order_by(Case.deadline, Case.id)
    ).all()
    open_rows = [c for c in children if subtasks.is_open(c.state)]
    text = subtasks.check_submit([c.title for c in open_rows], reason)
    if text is None:
        return None
    return {"open_sub_tasks": [c.id for c in open_rows], "open_sub_tasks_reason": text}


def apply_effects(case: Case, effects: Effects, actor: Actor, now: datetime) -> None:
    """Write a rule's side effects on the case row (Frappe's update_field, generically)."""
    for column in effects.clear:
        setattr(case, column, None)
    for column in effects.stamp:
        setattr(case, column, now)
    if effects.take_assignee and case.assignee_id is None:
        case.assignee_id = actor.user_id


def _move_to(case: Case, department_id: int) -> dict:
    """Make `department_id` the lead department; what it was, for the history row."""
    department = db.session.get(Department, department_id)
    if department is None or department.kind not in LEAD_DEPARTMENT_KINDS:
        raise InvalidDepartment(id=department_id)
    data = {
        "old_department_id": case.lead_department_id,
        "old_department": case.lead_department_name,
        "new_department_id": department.id,
        "new_department": department.name,
        "old_owner_id": case.owner_id,
        "old_assignee_id": case.assignee_id,
    }
    case.lead_department_id = department.id
    return data

