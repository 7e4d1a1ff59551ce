"""领导批示 (issue 12, part 4): a leader or the office adds an instruction on a case; the case's
lead unit is notified and answers it; the instruction shows as 待答复 until then.

Each act is one transaction: the instruction row, the case's history entry (`instruction`,
`instruction_answer`) and an outbox event (the relay tells the lead unit's caseworkers and
the owner of an instruction, the instructing user of the answer — through their channels).
Who may is workflows.permissions' (`can_instruct`, `can_answer_instruction`).
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Instruction, utcnow
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
from workflows.errors import N_
from workflows.vocabulary import Actor

MAX_INSTRUCTION = 2000  # characters of an instruction or an answer


class InstructionNotFound(CaseNotFound):
    code = "instruction_not_found"
    msgid = N_("The instruction does not exist, or you may not see it.")


class InstructionAnswered(WorkflowError):
    """An instruction is answered once; the answer stays as written (409)."""

    code = "instruction_answered"
    status = 409
    msgid = N_("This instruction has been answered already.")


def open_instructions(case_id: int) -> list[Instruction]:
    """The case's instructions waiting for the lead unit's answer (待答复), oldest first."""
    return list(db.session.scalars(
        select(Instruction).where(Instruction.case_id == case_id, Instruction.status == "open")
        .order_by(Instruction.id)))


def instructions_of(case_id: int) -> list[Instruction]:
    """Every instruction of a case, oldest first."""
    return list(db.session.scalars(
        select(Instruction).where(Instruction.case_id == case_id).order_by(Instruction.id)))


def add_instruction(case_id, actor: Actor, *, text) -> Instruction:
    """A leader (or the office) instructs on a case they see; the lead unit is told."""
    with transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        if not permissions.can_instruct(case_facts(case, has_evidence=False), actor):
            raise NotAllowed("instruct")
        text = clean_text(text, required_msgid=N_("The instruction is empty."),
                          max_len=MAX_INSTRUCTION)
        row = Instruction(case_id=case.id, text=text, created_by_id=actor.user_id,
                          created_by_name=actor_name(actor), created_at=utcnow(), status="open")
        db.session.add(row)
        db.session.flush()
        entry = add_history(case, actor, "instruction", comment=text,
                            data={"instruction_id": row.id})
        outbox.record_event(outbox.INSTRUCTION_ADDED, case.id, actor_id=actor.user_id,
                            history_id=entry.id, instruction_id=row.id)
    return row


def answer_instruction(case_id, instruction_id, actor: Actor, *, text) -> Instruction:
    """A caseworker of the lead unit answers an open instruction (once)."""
    with transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        try:
            number = int(instruction_id)
        except (TypeError, ValueError):
            number = 0
        row = db.session.get(Instruction, number, with_for_update=True) if 1 <= number < 2**31 else None
        if row is None or row.case_id != case.id:
            raise InstructionNotFound()
        permissions.ensure("answer_instruction", case_facts(case, has_evidence=False), actor)
        if row.status != "open":
            raise InstructionAnswered()
        text = clean_text(text, required_msgid=N_("The answer is empty."), max_len=MAX_INSTRUCTION)
        row.status, row.answer = "answered", text
        row.answered_by_id, row.answered_by_name, row.answered_at = actor.user_id, actor_name(actor), utcnow()
        entry = add_history(case, actor, "instruction_answer", comment=text,
                            data={"instruction_id": row.id, "instruction": row.text})
        outbox.record_event(outbox.INSTRUCTION_ANSWERED, case.id, actor_id=actor.user_id,
                            history_id=entry.id, instruction_id=row.id)
    return row


def instruction_json(row: Instruction) -> dict:
    """An instruction as the API answers it."""
    return {
        "id": row.id, "case_id": row.case_id, "text": row.text, "status": row.status,
        "created_by_id": row.created_by_id, "created_by": row.created_by_name,
        "created_at": row.created_at.isoformat() + "Z" if row.created_at else None,
        "answer": row.answer, "answered_by_id": row.answered_by_id,
        "answered_by": row.answered_by_name,
        "answered_at": row.answered_at.isoformat() + "Z" if row.answered_at else None,
    }
