"""A lead unit proposed by a task force (牵头单位建议): the rules.

A case may come without a lead unit (a plan's task nobody was named for). The lead of the
case's task force proposes one, with a reason; the supervision office accepts the proposal
(the unit becomes the case's lead, which then accepts the case as usual) or rejects it with a
reason. One proposal of a case is pending at a time; a decided proposal stays decided.
Who may propose is `permissions.CASE_ACTS["propose_lead"]`; who decides, the role grant
`decide_lead_proposal`.
"""

from __future__ import annotations

from workflows import permissions
from workflows.errors import Conflict, Forbidden, InvalidInput
from workflows.vocabulary import Actor, CaseFacts, relations

MAX_REASON = 2000


class MayNotProposeLead(Forbidden):
    code = "may_not_propose_lead"
    msgid = "Only the lead of the case's task force proposes a lead department."


class CaseHasLead(Conflict):
    code = "case_has_lead"
    msgid = "This case has a lead department already; the supervision office reassigns it."


class ProposalPending(Conflict):
    code = "lead_proposal_pending"
    msgid = "A proposed lead department (%(department)s) is waiting for the office's decision."


class ProposalDecided(Conflict):
    code = "lead_proposal_decided"
    msgid = "This proposal was decided already."


class MayNotDecideProposal(Forbidden):
    code = "may_not_decide_lead_proposal"
    msgid = "Only the supervision office accepts or rejects a proposed lead department."


class ProposalReasonMissing(InvalidInput):
    code = "missing_input"
    msgid = "Give a reason."


class ProposalReasonTooLong(InvalidInput):
    code = "text_too_long"
    msgid = "The reason is too long (at most %(max)s characters)."


class DecisionMissing(InvalidInput):
    code = "decision_missing"
    msgid = "Choose to accept or to reject the proposal."


def _reason(text, *, required: bool) -> str:
    value = text.strip() if isinstance(text, str) else ""
    if required and not value:
        raise ProposalReasonMissing()
    if len(value) > MAX_REASON:
        raise ProposalReasonTooLong(max=MAX_REASON)
    return value


def may_propose(case: CaseFacts, actor: Actor) -> bool:
    """Whether the actor may propose a lead unit for this case now (it has none)."""
    return case.lead_department_id is None and permissions.may("propose_lead", case, actor)


def check_propose(case: CaseFacts, actor: Actor, *, pending_department: str | None, reason) -> str:
    """The reason to record, or the refusal: 403 who, 409 the case, 422 the reason."""
    if not relations(case, actor) & permissions.CASE_ACTS["propose_lead"].who:
        raise MayNotProposeLead()
    permissions.ensure("propose_lead", case, actor)  # a closed case: 409
    if case.lead_department_id is not None:
        raise CaseHasLead()
    if pending_department is not None:
        raise ProposalPending(department=pending_department)
    return _reason(reason, required=True)


def check_decide(actor: Actor, *, status: str, accept, comment) -> str:
    """The comment to record (required when rejecting), or the refusal."""
    if not permissions.has_grant(actor, "decide_lead_proposal"):
        raise MayNotDecideProposal()
    if status != "pending":
        raise ProposalDecided()
    if accept not in (True, False):
        raise DecisionMissing()
    return _reason(comment, required=not accept)

