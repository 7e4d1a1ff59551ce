"""The outbox: events written in the same transaction as the change that raised them.

A relay (tasks/, issue #4) hands pending rows to Celery after commit, so a broker
outage never fails a user's action and no event is lost.
"""

from __future__ import annotations

from app.extensions import db
from app.models import OutboxEvent
from app.services.after_commit import enqueue_after_commit

# Event kinds (stable names; payloads are small JSON objects with ids).
CASE_TRANSITIONED = "case.transitioned"  # {transition, from_state, to_state, actor_id, history_id}
CASE_URGED = "case.urged"  # {actor_id, history_id, comment}
CASE_PROGRESS = "case.progress"  # {actor_id, progress_update_id}
EXTENSION_REQUESTED = "extension.requested"  # {extension_id, actor_id}
EXTENSION_DECIDED = "extension.decided"  # {extension_id, status, actor_id}
CASE_COMMENTED = "case.commented"  # {actor_id, history_id}
CASE_DEADLINE_CHANGED = "case.deadline_changed"  # {actor_id, history_id, old, new}
LEAD_PROPOSED = "lead.proposed"  # {actor_id, history_id, proposal_id}
LEAD_PROPOSAL_DECIDED = "lead.decided"  # {actor_id, history_id, proposal_id, status}
INSTRUCTION_ADDED = "instruction.added"  # {actor_id, history_id, instruction_id}
INSTRUCTION_ANSWERED = "instruction.answered"  # {actor_id, history_id, instruction_id}
PROBLEM_RAISED = "problem.raised"  # {actor_id, history_id, problem_id}
PROBLEM_SOLVED = "problem.solved"  # {actor_id, history_id, problem_id}
RECTIFICATION_ASSIGNED = "rectification.assigned"  # {actor_id, history_id, finding_id}


def record_event(kind: str, case_id: int | None, **payload) -> OutboxEvent:
    """Add an outbox row to the current transaction (the caller commits)."""
    event = OutboxEvent(kind=kind, case_id=case_id, payload=payload)
    db.session.add(event)
    enqueue_after_commit("outbox.relay_pending")  # sent after commit; beat catches up if not
    return event
