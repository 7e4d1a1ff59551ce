"""The outbox relay: turn committed OutboxEvent rows into notifications, once each.

Who hears about what (the actor never notifies themself):

| event                          | kind                | to                                        |
|--------------------------------|---------------------|-------------------------------------------|
| urge (催办)                    | urge                | lead department's caseworkers and owner   |
| transition submit              | submitted           | the action's task-force leads (to verify) |
| transition return              | returned            | caseworkers and owner                     |
| transition verify              | verified            | supervision office (to close)             |
| transition reassign            | assigned            | the new lead department's caseworkers     |
| transition reopen              | reopened            | caseworkers and owner                     |
| extension requested            | extension_requested | supervision office                        |
| extension decided              | extension_decided   | the requester and the caseworkers         |
| deadline changed (admin)       | deadline_changed    | caseworkers and owner                     |
| lead unit proposed (专班)      | lead_proposed       | supervision office                        |
| proposal decided               | lead_proposal_decided | the proposer; accepted: also `assigned` to the new lead's caseworkers |
| instruction (领导批示)         | instruction         | lead department's caseworkers and owner   |
| instruction answered           | instruction_answered | the instructing leader (or office user)  |
| problem (难点堵点)             | problem             | the addressed unit's caseworkers (or the leaders) and the office |
| problem solved                 | problem_solved      | who raised it, the lead unit's caseworkers and owner |
| rectification (督查整改)       | rectification       | the finding's unit's caseworkers          |
| accept, close, progress, comment | —                 | (visible in the case history only)        |

Events are claimed with FOR UPDATE SKIP LOCKED, so two relays never take the same row;
the notifications' natural key (source_key = the history row or event) makes a replayed
event harmless anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.clock import local_day
from app.extensions import db
from app.models import (
    Case,
    CaseHistory,
    ExtensionRequest,
    Instruction,
    LeadProposal,
    Problem,
    OutboxEvent,
    utcnow,
)
from app.services import outbox
from app.services.notifications import (
    add_notifications,
    caseworkers_by_department,
    compose,
    leader_user_ids,
    office_user_ids,
    task_force_leads_by_action,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # an event failing this often is left for an admin (status page)
TRANSITION_KINDS = {
    "submit": "submitted",
    "return": "returned",
    "verify": "verified",
    "reassign": "assigned",
    "reopen": "reopened",
}


@dataclass
class RelayResult:
    """What one relay run did."""

    relayed: int = 0
    notifications: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def relay_pending(limit: int = 200, batch: int = 5) -> RelayResult:
    """Relay up to `limit` pending outbox events, `batch` events per transaction.

    Short transactions matter after an outage: inserting a notification takes a key-share
    lock on its case, which a transition's SELECT … FOR UPDATE waits for. One transaction
    over a 200-event backlog held users' transitions for 13 s (docs/reliability.md); five
    events per commit hold them well under a second.
    """
    from app.services.reminders import record_run

    result = RelayResult()
    while limit > 0:
        claimed = _relay_batch(min(batch, limit), result)
        limit -= claimed
        if claimed < batch:
            break
    record_run("outbox.relay")
    db.session.commit()
    return result


def _relay_batch(size: int, result: RelayResult) -> int:
    """Claim and relay up to `size` events in one transaction (committed); how many claimed."""
    events = list(
        db.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.relayed_at.is_(None), OutboxEvent.attempts < MAX_ATTEMPTS)
            .order_by(OutboxEvent.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
    )
    for event in events:
        try:
            with db.session.begin_nested():
                created = add_notifications(notifications_for(event))
        except Exception:  # one bad event must not block the others
            log.exception("Outbox event %s (%s) could not be relayed", event.id, event.kind)
            event.attempts += 1
            result.failed += 1
            continue
        event.relayed_at = utcnow()
        event.attempts += 1
        result.relayed += 1
        result.notifications += len(created)
    db.session.commit()
    return len(events)


def notifications_for(event: OutboxEvent) -> list[dict]:
    """The notification rows an event asks for (empty for events nobody is told about)."""
    case = db.session.get(Case, event.case_id) if event.case_id else None
    if case is None:
        return []
    payload = event.payload or {}
    history = db.session.get(CaseHistory, payload["history_id"]) if payload.get("history_id") else None
    actor = history.actor_name if history else _user_name(payload.get("actor_id"))
    comment = payload.get("comment") or (history.comment if history else None)
    fields: dict = {"actor": actor, "comment": comment}
    # The office and leaders told are those of the case's own organisation (or the nearest above).
    organisation = case.plan.organisation_id if case.plan is not None else None
    if event.kind == outbox.CASE_URGED:
        kind, to = "urge", _caseworkers_and_owner(case)
    elif event.kind == outbox.CASE_TRANSITIONED:
        kind = TRANSITION_KINDS.get(payload.get("transition"))
        if kind is None:
            return []
        to = {
            "submitted": lambda: task_force_leads_by_action([case.action_id]).get(case.action_id, ()),
            "verified": lambda: office_user_ids(organisation),
            "assigned": lambda: _caseworkers(_new_department(case, history)),
        }.get(kind, lambda: _caseworkers_and_owner(case))()
    elif event.kind in (outbox.EXTENSION_REQUESTED, outbox.EXTENSION_DECIDED):
        request = db.session.get(ExtensionRequest, payload.get("extension_id"))
        if request is None:
            return []
        fields["new_deadline"] = request.new_deadline
        if event.kind == outbox.EXTENSION_REQUESTED:
            kind, to = "extension_requested", office_user_ids(organisation)
            fields["comment"] = request.reason
            fields["actor"] = _user_name(request.requested_by_id)
        else:
            kind = "extension_decided"
            to = _caseworkers_and_owner(case) | {request.requested_by_id}
            fields["approved"] = request.status == "approved"
            fields["comment"] = request.decision_comment
    elif event.kind == outbox.CASE_DEADLINE_CHANGED:
        kind, to = "deadline_changed", _caseworkers_and_owner(case)
        fields["new_deadline"] = case.deadline
    elif event.kind == outbox.LEAD_PROPOSED:
        kind, to = "lead_proposed", office_user_ids(organisation)
    elif event.kind == outbox.INSTRUCTION_ADDED:
        kind, to = "instruction", _caseworkers_and_owner(case)
    elif event.kind == outbox.INSTRUCTION_ANSWERED:
        row = db.session.get(Instruction, payload.get("instruction_id"))
        if row is None:
            return []
        kind, to = "instruction_answered", {row.created_by_id}
    elif event.kind in (outbox.PROBLEM_RAISED, outbox.PROBLEM_SOLVED):
        row = db.session.get(Problem, payload.get("problem_id"))
        if row is None:
            return []
        if event.kind == outbox.PROBLEM_RAISED:
            addressees = _caseworkers(row.department_id) if row.department_id else leader_user_ids(organisation)
            kind, to = "problem", set(addressees) | office_user_ids(organisation)
            # The link opens the problem's own page, as the in-app notification does: the
            # addressed unit may not see the case (its page would be 404 for it).
            fields["path"] = f"/caseedit/{case.id}/problem/{row.id}"
        else:
            kind, to = "problem_solved", _caseworkers_and_owner(case) | {row.created_by_id}
    elif event.kind == outbox.RECTIFICATION_ASSIGNED:
        kind, to = "rectification", _caseworkers_and_owner(case)
        fields["new_deadline"] = case.deadline
    elif event.kind == outbox.LEAD_PROPOSAL_DECIDED:
        proposal = db.session.get(LeadProposal, payload.get("proposal_id"))
        if proposal is None:
            return []
        fields["approved"] = proposal.status == "accepted"
        rows = _rows(event, case, history, "lead_proposal_decided", {proposal.proposed_by_id}, fields)
        if proposal.status == "accepted":
            rows += _rows(event, case, history, "assigned", _caseworkers(proposal.department_id), fields)
        return rows
    else:
        return []
    return _rows(event, case, history, kind, to, fields)


def _rows(event: OutboxEvent, case: Case, history, kind: str, to, fields: dict) -> list[dict]:
    """One notification row per recipient (never the actor)."""
    recipients = sorted(set(to) - {(event.payload or {}).get("actor_id"), None})
    if not recipients:
        return []
    title, body = compose(kind, case, **fields)
    source = f"history:{history.id}" if history else f"outbox:{event.id}"
    day = local_day(event.created_at)
    return [
        {
            "case_id": case.id,
            "kind": kind,
            "recipient_id": user_id,
            "due_date": case.deadline,
            "day": day,
            "source_key": source,
            "title": title,
            "body": body,
        }
        for user_id in recipients
    ]




def _caseworkers(department_id: int | None) -> frozenset[int]:
    return caseworkers_by_department([department_id]).get(department_id, frozenset())


def _caseworkers_and_owner(case: Case) -> set[int]:
    return set(_caseworkers(case.lead_department_id)) | ({case.owner_id} - {None})


def _new_department(case: Case, history: CaseHistory | None) -> int | None:
    data = (history.data or {}) if history else {}
    return data.get("new_department_id") or case.lead_department_id


def _user_name(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id else None
    return f"{user.first_name}{user.last_name}" if user else None
