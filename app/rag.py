"""红黄绿灯 of case rows: workflows.rag with the calendar and settings of the database.

Below the services (it writes nothing): the reports, the lists and the API read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import select

from app.clock import local_today
from app.extensions import db
from app.models import Case, Milestone
from app.settings import get_setting
from app.working_days import current_calendar
from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar
from workflows.rag import DONE_STATES, Rag, elapsed_share, is_overdue, missed_milestones, rag_status
from workflows.vocabulary import State


def rag_settings() -> dict:
    """The configurable RAG margins (Setting table, with domain.md's defaults)."""
    return {
        "soon_working_days": int(get_setting("rag.soon_working_days", 5)),
        "pace_margin": int(get_setting("rag.pace_margin", 20)),
        # A missed 时间节点 turns a case yellow, then red after this many working days.
        "milestone_red_working_days": int(get_setting("rag.milestone_red_working_days", 5)),
    }


def milestone_marks(case) -> list[tuple[date, bool]]:
    """(due date, reported done) of a case's milestones (a report snapshot carries its own)."""
    marks = getattr(case, "milestone_marks", None)
    if marks is not None:
        return list(marks)
    return [(m.due_date, m.done_at is not None) for m in getattr(case, "milestones", None) or ()]


def marks_by_case(case_ids) -> dict[int, list[tuple[date, bool]]]:
    """(due date, reported done) of the milestones of many cases, in one query."""
    ids = list(case_ids)
    marks: dict[int, list[tuple[date, bool]]] = {}
    for start in range(0, len(ids), 10_000):  # bounded bind parameters, whatever the list's size
        for case_id, due, done_at in db.session.execute(
            select(Milestone.case_id, Milestone.due_date, Milestone.done_at)
            .where(Milestone.case_id.in_(ids[start:start + 10_000]))
        ):
            marks.setdefault(case_id, []).append((due, done_at is not None))
    return marks


def rag_for(
    case: Case,
    today: date | None = None,
    calendar: WorkingDayCalendar | None = None,
    settings: Mapping | None = None,
    marks: list[tuple[date, bool]] | None = None,
) -> Rag:
    """红黄绿灯 of a case today (pass calendar and settings when computing many; `marks` when
    the case is a list row without its milestones)."""
    today = today or local_today()
    calendar = calendar or current_calendar()
    settings = settings or rag_settings()
    state = State(case.state)
    missed = missed_milestones(milestone_marks(case) if marks is None else marks, today)
    try:
        return rag_status(
            state=state, deadline=case.deadline, today=today, start=case.start_date,
            percent_done=case.percent_done, calendar=calendar, missed=missed, **settings,
        )
    except UnknownCalendarYear:
        # No official calendar for that year yet: a light must still show, so count
        # calendar days for "near the deadline" rather than failing the page.
        if state in DONE_STATES:
            return Rag.GREEN
        if is_overdue(state, case.deadline, today):
            return Rag.RED
        if missed:
            return Rag.YELLOW
        if (case.deadline - today).days <= settings["soon_working_days"]:
            return Rag.YELLOW
        expected = elapsed_share(case.start_date, case.deadline, today) * 100
        if (case.percent_done or 0) < expected - settings["pace_margin"]:
            return Rag.YELLOW
        return Rag.GREEN


def rag_by_id(cases: Sequence[Case], today: date | None = None) -> dict[int, Rag]:
    """RAG of many cases with one calendar and one settings read."""
    today = today or local_today()
    calendar = current_calendar()
    settings = rag_settings()
    marks = marks_by_case(c.id for c in cases)
    return {c.id: rag_for(c, today, calendar, settings, marks.get(c.id, [])) for c in cases}
