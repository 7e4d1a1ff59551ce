"""难点堵点 (issue 12, part 4): a caseworker of the lead unit or the case's task-force lead
raises a problem needing coordination, addressed to a coordinating unit or (without one) to the
leaders; the addressee or the office records the coordination answer and the problem is solved.

Each act is one transaction: the problem row, the case's history entry (`problem`,
`problem_solved`) and an outbox event (the relay tells the addressee and the office of a
problem, the one who raised it and the lead unit of the answer). Who may is
workflows.permissions' (`can_raise_problem`, `can_resolve_problem`). The addressed unit's users
answer a problem on a case they do not otherwise see (only that problem's route lets them).
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Case, Department, Problem, utcnow
from app.services import outbox
from app.services.case_base import (
    CaseNotFound,
    actor_name,
    add_history,
    case_facts,
    clean_text,
    get_visible_case,
    transaction,
)
from workflows import permissions
from workflows.case_workflow import NotAllowed, WorkflowError
from workflows.errors import N_, InvalidInput
from workflows.vocabulary import Actor

MAX_PROBLEM = 2000  # characters of a problem or an answer


class ProblemNotFound(CaseNotFound):
    code = "problem_not_found"
    msgid = N_("The problem does not exist, or you may not see it.")


class ProblemSolved(WorkflowError):
    """A problem is answered once; the answer stays as written (409)."""

    code = "problem_solved"
    status = 409
    msgid = N_("This problem has been solved already.")


def open_problems(case_id: int) -> list[Problem]:
    """The case's problems waiting for coordination (待协调), oldest first."""
    return list(db.session.scalars(
        select(Problem).where(Problem.case_id == case_id, Problem.status == "open").order_by(Problem.id)))


def _department(department_id) -> Department | None:
    if department_id is None or department_id == "":
        return None
    if isinstance(department_id, bool) or not isinstance(department_id, int | str):
        raise InvalidInput(N_("Choose an existing coordinating unit."))
    try:
        number = int(department_id)
    except ValueError:
        number = 0
    row = db.session.get(Department, number) if 1 <= number < 2**31 else None
    if row is None:
        raise InvalidInput(N_("Choose an existing coordinating unit."))
    return row


def raise_problem(case_id, actor: Actor, *, text, department_id=None) -> Problem:
    """The lead unit or the task force raises a problem; the addressee and the office are told."""
    with transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        permissions.ensure("raise_problem", case_facts(case, has_evidence=False), actor)
        text = clean_text(text, required_msgid=N_("The problem is empty."), max_len=MAX_PROBLEM)
        department = _department(department_id)
        row = Problem(case_id=case.id, text=text, department_id=department.id if department else None,
                      created_by_id=actor.user_id, created_by_name=actor_name(actor),
                      created_at=utcnow(), status="open")
        db.session.add(row)
        db.session.flush()
        entry = add_history(case, actor, "problem", comment=text, data={
            "problem_id": row.id, "department_id": row.department_id,
            "department": department.name if department else None})
        outbox.record_event(outbox.PROBLEM_RAISED, case.id, actor_id=actor.user_id,
                            history_id=entry.id, problem_id=row.id)
    return row


def _problem_and_case(case_id, problem_id, actor: Actor, *, lock: bool) -> tuple[Problem, Case]:
    """The problem and its case, for its addressee (who may not see the case otherwise) or for
    one who sees the case; else ProblemNotFound / CaseNotFound (404, saying nothing more)."""
    try:
        number, case_number = int(problem_id), int(case_id)
    except (TypeError, ValueError):
        number, case_number = 0, 0
    row = db.session.get(Problem, number, with_for_update=lock) if 1 <= number < 2**31 else None
    if row is not None and row.case_id == case_number and permissions.is_problem_addressee(
            row.department_id, actor):
        query = select(Case).where(Case.id == row.case_id)
        if lock:
            query = query.with_for_update(of=Case, key_share=True).execution_options(populate_existing=True)
        return row, db.session.scalars(query).unique().one()
    case = get_visible_case(case_id, actor, for_update=lock)
    if row is None or row.case_id != case.id:
        raise ProblemNotFound()
    return row, case


def problem_for(case_id, problem_id, actor: Actor) -> tuple[Problem, Case, bool]:
    """A problem to show its addressee or one who sees the case, and whether they may answer it."""
    row, case = _problem_and_case(case_id, problem_id, actor, lock=False)
    return row, case, row.status == "open" and permissions.can_resolve_problem(
        case_facts(case, has_evidence=False), row.department_id, actor)


def problem_id_of(source_key: str | None) -> int | None:
    """The problem a `problem` notification is about (its source is the history row)."""
    from app.models import CaseHistory

    if not source_key or not source_key.startswith("history:"):
        return None
    entry = db.session.get(CaseHistory, int(source_key.split(":", 1)[1]))
    return (entry.data or {}).get("problem_id") if entry is not None else None


def resolve_problem(case_id, problem_id, actor: Actor, *, text) -> Problem:
    """The addressee or the office answers an open problem (once): it is solved."""
    with transaction():
        row, case = _problem_and_case(case_id, problem_id, actor, lock=True)
        if not permissions.can_resolve_problem(case_facts(case, has_evidence=False), row.department_id, actor):
            raise NotAllowed("resolve_problem")
        if row.status != "open":
            raise ProblemSolved()
        text = clean_text(text, required_msgid=N_("The answer is empty."), max_len=MAX_PROBLEM)
        row.status, row.answer = "solved", text
        row.solved_by_id, row.solved_by_name, row.solved_at = actor.user_id, actor_name(actor), utcnow()
        entry = add_history(case, actor, "problem_solved", comment=text,
                            data={"problem_id": row.id, "problem": row.text})
        outbox.record_event(outbox.PROBLEM_SOLVED, case.id, actor_id=actor.user_id,
                            history_id=entry.id, problem_id=row.id)
    return row


def problem_json(row: Problem) -> dict:
    """A problem as the API answers it."""
    return {
        "id": row.id, "case_id": row.case_id, "text": row.text, "status": row.status,
        "department_id": row.department_id,
        "department": row.department.name if row.department is not None else None,
        "created_by_id": row.created_by_id, "created_by": row.created_by_name,
        "created_at": row.created_at.isoformat() + "Z" if row.created_at else None,
        "answer": row.answer, "solved_by_id": row.solved_by_id, "solved_by": row.solved_by_name,
        "solved_at": row.solved_at.isoformat() + "Z" if row.solved_at else None,
    }
