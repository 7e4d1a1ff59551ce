"""时间节点 that count: reporting a milestone done, and the milestones' state for pages and lists.

A report is one transaction: the milestone row gets who, when and the note; the case's
history gets a `milestone_done` entry (the timeline shows it). Missed milestones — past their
date and not reported — turn the case yellow, then red (workflows.rag).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext
from sqlalchemy import and_, exists, select

from app import labels
from app.clock import local_today
from app.extensions import db
from app.models import Case, CaseHistory, Milestone, utcnow
from app.services.case_base import actor_name, get_visible_case
from app.services.cases import to_local
from workflows.errors import NotFound
from workflows.milestones import check_report
from workflows.rag import DONE_STATES
from workflows.vocabulary import Actor

labels.HISTORY_KIND_LABELS.setdefault("milestone_done", lazy_gettext("Milestone reported done"))
labels.HISTORY_KIND_LABELS.setdefault("edit", lazy_gettext("Case edited"))
labels.HISTORY_KIND_LABELS.setdefault("created", lazy_gettext("Case created"))


class MilestoneNotFound(NotFound):
    code = "milestone_not_found"
    msgid = "The milestone does not exist, or you may not see it."


def report_done(case_id, milestone_id, actor: Actor, *, note) -> Milestone:
    """A caseworker of the lead unit reports a milestone done, with a note."""
    try:
        case = get_visible_case(case_id, actor, for_update=True)
        milestone = next((m for m in case.milestones if str(m.id) == str(milestone_id)), None)
        if milestone is None:
            raise MilestoneNotFound()
        text = check_report(
            actor, state=case.state, lead_department_id=case.lead_department_id,
            done_at_text=to_local(milestone.done_at) if milestone.done_at else None, note=note,
        )
        now = utcnow()
        milestone.done_at, milestone.done_by_id, milestone.done_note = now, actor.user_id, text
        db.session.add(CaseHistory(
            case_id=case.id, actor_id=actor.user_id, actor_name=actor_name(actor),
            kind="milestone_done", comment=text, at=now,
            data={"milestone_id": milestone.id, "title": milestone.title,
                  "due_date": milestone.due_date.isoformat()},
        ))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return milestone


def milestone_rows(case: Case, today: dt.date | None = None) -> list[dict]:
    """The case's milestones for its page: done (when, by whom, note), missed, or open."""
    today = today or local_today()
    rows = []
    for m in sorted(case.milestones, key=lambda m: (m.due_date, m.id or 0)):
        if m.done_at is not None:
            status = "done"
        elif today > m.due_date:
            status = "missed"
        else:
            status = "open"
        rows.append({
            "id": m.id, "title": m.title, "due_date": m.due_date, "status": status,
            "done_at": to_local(m.done_at) if m.done_at else "",
            "done_by": (m.done_by.get_full_name() or m.done_by.username) if m.done_by else "",
            "note": m.done_note or "",
        })
    return rows


def missed_clause(today: dt.date | None = None):
    """A WHERE clause on Case: open cases with a milestone past its date and not reported done."""
    today = today or local_today()
    return Case.state.not_in([str(s) for s in DONE_STATES]) & exists().where(and_(
        Milestone.case_id == Case.id, Milestone.done_at.is_(None), Milestone.due_date < today))


def due_soon_clause(days: int = 10, today: dt.date | None = None):
    """A WHERE clause on Case: an open milestone due within `days` calendar days."""
    today = today or local_today()
    return Case.state.not_in([str(s) for s in DONE_STATES]) & exists().where(and_(
        Milestone.case_id == Case.id, Milestone.done_at.is_(None),
        Milestone.due_date >= today, Milestone.due_date <= today + dt.timedelta(days=days)))


def missed_due_dates(case) -> list[dt.date]:
    """Due dates of a case's milestones not reported done (the RAG rule picks the past ones)."""
    return [m.due_date for m in case.milestones if m.done_at is None]


def missed_by_case(case_ids) -> dict[int, list[dt.date]]:
    """Open milestones' due dates per case, for many cases at once."""
    ids = list(case_ids)
    result: dict[int, list[dt.date]] = {}
    if not ids:
        return result
    for case_id, due in db.session.execute(
        select(Milestone.case_id, Milestone.due_date)
        .where(Milestone.case_id.in_(ids), Milestone.done_at.is_(None))
    ):
        result.setdefault(case_id, []).append(due)
    return result
