"""Reading cases for pages and reports: history, targets with actual values, timeline."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.formatting import history_summary, local_datetime
from app.models import Case, CaseHistory, ProgressUpdate

DASH = "—"


def to_local(value: dt.datetime | None) -> str:
    """A stored UTC datetime in the office's time zone, as text (app.formatting.local_datetime)."""
    return local_datetime(value)


def history_of(case_id: int) -> list[CaseHistory]:
    """A case's history, oldest first."""
    return list(
        db.session.scalars(
            select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.at, CaseHistory.id)
        )
    )


def history_entries(case_id: int) -> list[dict]:
    """A case's history, oldest first, ready for display (the caller checked visibility)."""
    return [
        {
            "at_local": to_local(e.at),
            "actor_name": e.actor_name,
            "summary": history_summary(e),
            "comment": e.comment,
            "entry": e,
        }
        for e in history_of(case_id)
    ]


def case_targets(case: Case) -> list[dict]:
    """The case's indicators with their latest actual (by statistical period), gap and light."""
    from app.reports.targets import latest_actuals, status

    latest = latest_actuals(i.id for i in case.indicators)
    rows = []
    for i in case.indicators:
        actual = latest.get(i.id)
        rows.append({
            "indicator": i,
            "target": target_text(i),
            "actual": f"{number(actual.value)}{i.unit}"
            if actual is not None and actual.value is not None else DASH,
            "actual_at": to_local(actual.recorded_at) if actual is not None else "",
            "status": status(i, actual),
        })
    return rows


def target_text(indicator) -> str:
    """A target as the plan states it: ≥ 8.5%, ≤ 3, or just the value for "="."""
    if indicator.value is None:
        return DASH
    value = number(indicator.value)
    if indicator.value_max is not None:
        value = f"{value}–{number(indicator.value_max)}"
    prefix = "" if indicator.comparator == "=" else f"{indicator.comparator} "
    return f"{prefix}{value}{indicator.unit}"


def number(value) -> str:
    """A Decimal without trailing zeros (8.5000 → 8.5)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def case_timeline(case: Case) -> list[dict]:
    """History and progress of the case as one list, oldest first (as the API's history)."""
    updates = {
        u.id: u
        for u in db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.case_id == case.id))
    }
    names = {i.id: i for i in case.indicators}
    entries = []
    for item in history_entries(case.id):
        entry, data = item["entry"], item["entry"].data or {}
        update = updates.get(data.get("progress_update_id")) if entry.kind == "progress" else None
        entries.append({
            **item,
            "kind": entry.kind,
            "transition": entry.transition,
            "data": data,
            "update": update,
            "actuals": [
                f"{names[a.indicator_id].name} {number(a.value)}{names[a.indicator_id].unit}"
                for a in (update.actuals if update else [])
                if a.indicator_id in names
            ],
            "files": update.evidence_files if update else [],
            "changed_fields": _changed_fields(data) if entry.kind == "edit" else [],
            "sort_at": entry.at,
        })
    entries += _missed_milestone_entries(case)
    entries.sort(key=lambda e: e["sort_at"])
    return entries


def _missed_milestone_entries(case: Case) -> list[dict]:
    """A 时间节点 that passed without being reported done, at the end of its day (a missed
    one reported later keeps this entry: it was missed)."""
    from flask_babel import gettext

    from app.clock import end_of_local_day, local_today

    today = local_today()
    entries = []
    for m in case.milestones:
        ended = end_of_local_day(m.due_date)
        if today <= m.due_date or (m.done_at is not None and m.done_at < ended):
            continue
        entries.append({
            "at_local": to_local(ended), "actor_name": gettext("System"),
            "summary": gettext("Milestone missed"), "comment": None, "entry": None,
            "kind": "milestone_missed", "transition": None,
            "data": {"title": m.title, "due_date": m.due_date.isoformat(),
                     "done_late": m.done_at is not None},
            "update": None, "actuals": [], "files": [], "changed_fields": [],
            "sort_at": ended,
        })
    return entries


def _changed_fields(data: dict) -> list[str]:
    """The names of the fields an edit changed, in the user's language."""
    from app.services.case_edit import CASE_FIELD_LABELS

    return [str(CASE_FIELD_LABELS.get(name, name)) for name in (data.get("changes") or {})]
