"""Case history and progress updates as JSON-ready dicts (the API and the timeline)."""

from __future__ import annotations

from app.labels import HISTORY_KIND_LABELS, STATE_LABELS, TRANSITION_LABELS, label
from app.models import CaseHistory, ProgressUpdate
from app.services.case_base import ensure_case_visible
from app.services.cases import history_of, history_summary, to_local
from workflows.vocabulary import Actor


def history_json(case_id: int, actor: Actor) -> list[dict]:
    """The case's history as JSON-ready dicts, oldest first (CaseNotFound if not visible)."""
    return [history_entry_json(e) for e in history_of(ensure_case_visible(case_id, actor))]


def history_entry_json(entry: CaseHistory) -> dict:
    """One history row for the API and the timeline."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat() + "Z",
        "at_local": to_local(entry.at),
        "kind": entry.kind,
        "kind_label": label(HISTORY_KIND_LABELS, entry.kind),
        "transition": entry.transition,
        "transition_label": label(TRANSITION_LABELS, entry.transition),
        "from_state": entry.from_state,
        "from_state_label": label(STATE_LABELS, entry.from_state),
        "to_state": entry.to_state,
        "to_state_label": label(STATE_LABELS, entry.to_state),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "comment": entry.comment,
        "data": entry.data,
        "summary": history_summary(entry),
    }


def progress_json(update: ProgressUpdate) -> dict:
    """A progress update for the API."""
    return {
        "id": update.id,
        "case_id": update.case_id,
        "note": update.note,
        "percent_done": update.percent_done,
        # A partner department's note: a contribution, which does not set the case's percent.
        "contribution": bool(getattr(update, "contribution", False)),
        "created_at": update.created_at.isoformat() + "Z",
        "indicators": {str(a.indicator_id): str(a.value) for a in update.actuals},
        "evidence": [
            {"id": f.id, "name": f.original_name, "size": f.size, "content_type": f.content_type}
            for f in update.evidence_files
        ],
    }
