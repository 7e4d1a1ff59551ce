"""Reading cases for pages: the case page's context and its history."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.labels import STATE_LABELS, TRANSITION_LABELS, label
from app.models import Case, CaseHistory


def to_local(value: dt.datetime | None) -> str:
    """A stored UTC datetime in the office's time zone, as text."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    return value.replace(tzinfo=dt.UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def history_of(case_id: int) -> list[CaseHistory]:
    """A case's history, oldest first."""
    return list(
        db.session.scalars(
            select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.at, CaseHistory.id)
        )
    )


def history_summary(entry: CaseHistory) -> str:
    """One line saying what a history entry records."""
    if entry.kind == "transition":
        return f"{label(TRANSITION_LABELS, entry.transition)}：{label(STATE_LABELS, entry.from_state)} → {label(STATE_LABELS, entry.to_state)}"
    from app.labels import HISTORY_KIND_LABELS

    return label(HISTORY_KIND_LABELS, entry.kind)


def case_page_context(case_id: int) -> dict:
    """What the case page shows beside FAB's fields (the caller checked visibility)."""
    case = db.session.get(Case, case_id)
    history = [
        {
            "at_local": to_local(e.at),
            "actor_name": e.actor_name,
            "summary": history_summary(e),
            "comment": e.comment,
            "entry": e,
        }
        for e in history_of(case_id)
    ]
    return {"case": case, "history": history}
