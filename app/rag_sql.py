"""红黄绿灯 as SQL: the light of every case of a list in the database, not in Python.

The lists' light filter and its counts read every case the list selects; computed in Python
that is every visible case loaded per page view (the office sees all of them: a province's
million). The rules are `workflows.rag.rag_status`; every working-day question they ask is
about *today*, so it becomes a date threshold computed once per request, and the light is a
CASE over columns and two milestone EXISTS. `tests/integration/test_rag_sql.py` checks that it
gives the same light as `app.rag.rag_for` for every case on many days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Float, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Integer

from app.clock import local_today
from app.models import Case, Milestone
from app.rag import rag_settings
from app.working_days import current_calendar
from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar
from workflows.rag import DONE_STATES, Rag


class days_between(FunctionElement):
    """Calendar days from the first date to the second (an integer), on either database."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"({compiler.process(end, **kw)} - {compiler.process(start, **kw)})"


@compiles(days_between)
def _days_between_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return (f"CAST(julianday({compiler.process(end, **kw)}) - "
            f"julianday({compiler.process(start, **kw)}) AS INTEGER)")


@dataclass(frozen=True)
class Thresholds:
    """Today's working-day questions answered as dates."""

    today: date
    soon_before: date | None  # deadline < this: within `soon_working_days` (working days)
    soon_calendar_days: int  # the calendar-day rule when the calendar does not know the year
    milestone_red_on_or_before: date | None  # a missed milestone due on or before: red
    pace_margin: int


def thresholds(today: date | None = None, calendar: WorkingDayCalendar | None = None,
               settings: dict | None = None) -> Thresholds:
    today = today or local_today()
    calendar = calendar or current_calendar()
    settings = settings or rag_settings()
    soon = settings["soon_working_days"]
    try:
        # within_working_days(today, deadline, n) is add_working_days(today, n + 1) > deadline.
        soon_before = calendar.add_working_days(today, soon + 1)
    except UnknownCalendarYear:
        soon_before = None
    return Thresholds(
        today=today, soon_before=soon_before, soon_calendar_days=soon,
        milestone_red_on_or_before=_milestone_red_date(today, calendar,
                                                       settings["milestone_red_working_days"]),
        pace_margin=settings["pace_margin"],
    )


def _milestone_red_date(today: date, calendar: WorkingDayCalendar, red_after: int) -> date | None:
    """The latest due date from which `red_after` working days have passed by today."""
    day = today - timedelta(days=1)  # a milestone is missed only after its due date
    try:
        # working_days_between(day, today) only grows as `day` goes back: walk until it is enough.
        for _ in range(red_after * 3 + 60):
            if calendar.working_days_between(day, today) >= red_after:
                return day
            day -= timedelta(days=1)
    except UnknownCalendarYear:
        return None  # as rag_for: without the calendar a missed milestone stays yellow
    return None


def _missed(before: date) -> ColumnElement[bool]:
    """The case has a milestone not reported done and due before `before`."""
    return exists(
        select(literal(1)).where(
            Milestone.case_id == Case.id, Milestone.done_at.is_(None), Milestone.due_date < before
        )
    )


def light(t: Thresholds | None = None) -> ColumnElement[str]:
    """The case's light ('green', 'yellow', 'red') as an SQL expression on Case."""
    return light_of(t or thresholds(), state=Case.state, deadline=Case.deadline, start_date=Case.start_date,
                    percent_done=Case.percent_done, missed=_missed)


def light_of(t: Thresholds, *, state, deadline, start_date, percent_done,
             missed: Callable[[date], ColumnElement[bool]]) -> ColumnElement[str]:
    """The light over any columns: a case as it stood at a moment (a report's snapshot,
    `t.today` its day) has its own state, deadline and percentage; `missed(before)` is true
    when it had a milestone not reported done and due before `before`."""
    today = literal(t.today)
    done = state.in_([str(s) for s in DONE_STATES])
    red = [deadline < today]
    if t.milestone_red_on_or_before is not None:
        red.append(missed(t.milestone_red_on_or_before + timedelta(days=1)))
    if t.soon_before is not None:
        soon = deadline < literal(t.soon_before)
    else:
        soon = days_between(today, deadline) <= t.soon_calendar_days
    total = days_between(start_date, deadline)
    share = case(
        (total <= 0, case((start_date <= today, 1.0), else_=0.0)),
        else_=_least(1.0, _greatest(0.0, cast(days_between(start_date, today), Float)
                                            / cast(total, Float))),
    )
    behind = cast(func.coalesce(percent_done, 0), Float) < share * 100 - t.pace_margin
    return case(
        (done, str(Rag.GREEN)),
        (or_(*red), str(Rag.RED)),
        (or_(missed(t.today), soon, behind), str(Rag.YELLOW)),
        else_=str(Rag.GREEN),
    )


def _least(a, b):
    return case((a < b, a), else_=b)


def _greatest(a, b):
    return case((a > b, a), else_=b)


def light_is(value: str, t: Thresholds | None = None) -> ColumnElement[bool]:
    """WHERE the case's light is `value`."""
    return light(t) == value


def due_soon(working_days: int, today: date | None = None,
             calendar: WorkingDayCalendar | None = None) -> ColumnElement[bool]:
    """即将到期 (`app.services.dashboard.is_due_soon`) as SQL: open, not yet overdue, due
    within `working_days` working days (calendar days when the calendar lacks the year)."""
    today = today or local_today()
    calendar = calendar or current_calendar()
    try:
        soon = Case.deadline < literal(calendar.add_working_days(today, working_days + 1))
    except UnknownCalendarYear:
        soon = days_between(literal(today), Case.deadline) <= working_days
    return and_(Case.state.not_in([str(s) for s in DONE_STATES]), Case.deadline >= literal(today), soon)
