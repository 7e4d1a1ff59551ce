"""红黄绿灯 (RAG status) and overdue (逾期) for a case.

Overdue means past the deadline (calendar days) and not yet verified, as in the glossary: a
deadline is a date, so a case due on a Saturday is overdue on Sunday. Working days only
measure how near a deadline is and how long a case has been overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum

from workflows.calendar import WorkingDayCalendar
from workflows.vocabulary import State

DONE_STATES = frozenset({State.VERIFIED, State.CLOSED})


class Rag(StrEnum):
    """Traffic-light status of a case."""

    GREEN = "green"  # on track (or done)
    YELLOW = "yellow"  # at risk: deadline near, or behind the expected pace
    RED = "red"  # overdue


def is_overdue(state: State, deadline: date, today: date) -> bool:
    """Whether the case is past its deadline and not yet verified."""
    return state not in DONE_STATES and today > deadline


def overdue_working_days(deadline: date, today: date, calendar: WorkingDayCalendar) -> int:
    """Working days after the deadline up to and including today (0 when not past it)."""
    return max(0, calendar.working_days_between(deadline, today))


def elapsed_share(start: date, deadline: date, today: date) -> float:
    """Share of the case's time (start..deadline, calendar days) gone by today, in 0..1."""
    total = (deadline - start).days
    if total <= 0:  # no time given at all: everything is due at once
        return 1.0 if today >= start else 0.0
    return min(1.0, max(0.0, (today - start).days / total))


def missed_milestones(milestones: Iterable[tuple[date, bool]], today: date) -> list[date]:
    """Due dates of the milestones (due date, done) that passed without being reported done."""
    return sorted(due for due, done in milestones if not done and today > due)


def rag_status(
    *,
    state: State,
    deadline: date,
    today: date,
    start: date,
    percent_done: int | None,
    calendar: WorkingDayCalendar,
    soon_working_days: int = 5,
    pace_margin: int = 20,
    missed: Sequence[date] = (),
    milestone_red_working_days: int = 5,
) -> Rag:
    """Green when done or on track, red when overdue, yellow when near or behind pace.

    A missed milestone (时间节点, `missed`: their due dates) turns the case yellow, and red
    once the earliest is `milestone_red_working_days` working days past its due date.
    """
    if state in DONE_STATES:
        return Rag.GREEN
    if is_overdue(state, deadline, today):
        return Rag.RED
    if missed:
        late = overdue_working_days(min(missed), today, calendar)
        return Rag.RED if late >= milestone_red_working_days else Rag.YELLOW
    if calendar.within_working_days(today, deadline, soon_working_days):
        return Rag.YELLOW
    expected = elapsed_share(start, deadline, today) * 100 - pace_margin
    if (percent_done or 0) < expected:
        return Rag.YELLOW
    return Rag.GREEN
