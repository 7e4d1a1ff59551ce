"""牵头单位建议: a task-force lead proposes a lead unit for a lead-less case; the office decides.

Each act is one transaction: the proposal row, the case's history entry (`lead_proposed`,
`lead_proposal_decided`) and an outbox event (the office is told of a proposal; the proposer,
and on acceptance the new lead unit's caseworkers, of the decision). Accepting makes the unit
the case's lead (lead_basis "named"); the case stays 已交办 for that unit to accept.
The rules are workflows.lead_proposals'.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Department, LeadProposal, utcnow
from app.services import outbox
from app.services.case_base import (
    LEAD_DEPARTMENT_KINDS,
    CaseNotFound,
    InvalidDepartment,
    add_history,
    case_facts,
    get_visible_case,
    transaction,
)
from workflows.errors import N_
from workflows.lead_proposals import check_decide, check_propose
from workflows.vocabulary import Actor


class LeadProposalNotFound(CaseNotFound):
    code = "lead_proposal_not_found"
    msgid = N_("The proposal does not exist, or you may not see it.")


def pending_proposal(case_id: int) -> LeadProposal | None:
    """The case's proposal waiting for the office, if any."""
    return db.session.scalar(select(LeadProposal).where(
        LeadProposal.case_id == case_id, LeadProposal.status == "pending"))


def proposals_of(case_id: int) -> list[LeadProposal]:
    """Every proposal of a case, oldest first."""
    return list(db.session.scalars(
        select(LeadProposal).where(LeadProposal.case_id == case_id).order_by(LeadProposal.id)))


def _department(department_id) -> Department:
    try:
        department = db.session.get(Department, int(department_id))
    except (TypeError, ValueError):
        department = None
    if department is None or department.kind not in LEAD_DEPARTMENT_KINDS:
        raise InvalidDepartment(id=department_id if department_id not in (None, "") else "—")
    return department


def propose(case_id, actor: Actor, *, department_id, reason) -> LeadProposal:
    """The case's task-force lead proposes `department_id` as its lead unit."""
    with transaction():
        case = get_visible_case(case_id, actor, for_update=True)
        pending = pending_proposal(case.id)
        text = check_propose(case_facts(case, has_evidence=False), actor,
                             pending_department=pending.department.name if pending else None,
                             reason=reason)
        department = _department(department_id)
        proposal = LeadProposal(case_id=case.id, department_id=department.id, reason=text,
                                proposed_by_id=actor.user_id, proposed_at=utcnow(), status="pending")
        db.session.add(proposal)
        db.session.flush()
        entry = add_history(case, actor, "lead_proposed", comment=text, data={
            "proposal_id": proposal.id, "department_id": department.id, "department": department.name})
        outbox.record_event(outbox.LEAD_PROPOSED, case.id, actor_id=actor.user_id,
                            history_id=entry.id, proposal_id=proposal.id)
    return proposal


def decide(proposal_id, actor: Actor, *, accept, comment=None) -> LeadProposal:
    """The office accepts (the unit leads the case) or rejects (with a reason) a proposal."""
    with transaction():
        try:
            row = db.session.get(LeadProposal, int(proposal_id))
        except (TypeError, ValueError):
            row = None
        if row is None:
            raise LeadProposalNotFound()
        try:
            case = get_visible_case(row.case_id, actor, for_update=True)
        except CaseNotFound:
            raise LeadProposalNotFound() from None
        db.session.refresh(row, with_for_update=True)
        text = check_decide(actor, status=row.status, accept=accept, comment=comment)
        if accept and case.lead_department_id is not None:  # reassigned meanwhile
            from workflows.lead_proposals import CaseHasLead

            raise CaseHasLead()
        now = utcnow()
        row.status = "accepted" if accept else "rejected"
        row.decided_by_id, row.decided_at, row.decision_comment = actor.user_id, now, text or None
        data = {"proposal_id": row.id, "department_id": row.department_id,
                "department": row.department.name, "status": row.status}
        if accept:
            case.lead_department_id = row.department_id
            case.lead_basis = "named"
            case.version += 1
        entry = add_history(case, actor, "lead_proposal_decided", comment=text or None, data=data)
        outbox.record_event(outbox.LEAD_PROPOSAL_DECIDED, case.id, actor_id=actor.user_id,
                            history_id=entry.id, proposal_id=row.id, status=row.status)
    return row


def proposal_json(row: LeadProposal) -> dict:
    """A proposal as the API answers it."""
    return {
        "id": row.id, "case_id": row.case_id, "department_id": row.department_id,
        "department": row.department.name if row.department else None, "reason": row.reason,
        "status": row.status, "proposed_by_id": row.proposed_by_id,
        "decided_by_id": row.decided_by_id, "decision_comment": row.decision_comment,
    }
