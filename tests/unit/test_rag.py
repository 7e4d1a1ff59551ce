"""红黄绿灯 and overdue."""

from datetime import date

import pytest

from workflows.calendar import WorkingDayCalendar
from workflows.rag import (
    Rag,
    elapsed_share,
    is_overdue,
    missed_milestones,
    overdue_working_days,
    rag_status,
)
from workflows.vocabulary import State

D = date.fromisoformat
CAL = WorkingDayCalendar()


def rag(state=State.IN_PROGRESS, *, deadline, today, start="2024-01-01", percent=100, **rules):
    """rag_status with the real calendar and readable dates."""
    return rag_status(
        state=state,
        deadline=D(deadline),
        today=D(today),
        start=D(start),
        percent_done=percent,
        calendar=CAL,
        **rules,
    )


@pytest.mark.parametrize("state", [State.VERIFIED, State.CLOSED])
def test_done_is_green_even_past_the_deadline(state):
    assert rag(state, deadline="2024-03-01", today="2024-06-01", percent=0) == Rag.GREEN


@pytest.mark.parametrize("state", [State.ASSIGNED, State.IN_PROGRESS, State.SUBMITTED])
def test_past_deadline_and_not_verified_is_red(state):
    assert rag(state, deadline="2024-03-01", today="2024-03-02") == Rag.RED


def test_deadline_on_a_day_off_is_red_the_next_calendar_day():
    assert rag(deadline="2024-02-17", today="2024-02-18") == Rag.RED


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2024-02-05", Rag.GREEN),  # 6 working days left: 02-06..02-09, 02-18, 02-19
        ("2024-02-06", Rag.YELLOW),  # 5 left, though 13 calendar days
        ("2024-02-12", Rag.YELLOW),  # inside the holiday: 2 left
        ("2024-02-19", Rag.YELLOW),  # due today
        ("2024-02-20", Rag.RED),
    ],
)
def test_near_deadline_counts_working_days(today, expected):
    assert rag(deadline="2024-02-19", today=today, start="2024-02-01") == expected


def test_soon_is_configurable():
    status = rag(deadline="2024-02-19", today="2024-02-06", start="2024-02-01", soon_working_days=4)
    assert status == Rag.GREEN


@pytest.mark.parametrize(
    ("percent", "margin", "expected"),
    [
        (30, 20, Rag.GREEN),  # 182 of 365 days gone: 49.9 % − 20 = 29.9
        (29, 20, Rag.YELLOW),
        (None, 20, Rag.YELLOW),  # no progress reported counts as 0
        (10, 40, Rag.GREEN),
        (9, 40, Rag.YELLOW),
    ],
)
def test_behind_pace_is_yellow(percent, margin, expected):
    status = rag(deadline="2024-12-31", today="2024-07-01", percent=percent, pace_margin=margin)
    assert status == expected


def test_no_progress_early_on_is_green():
    assert rag(deadline="2024-12-31", today="2024-01-20", percent=None) == Rag.GREEN


@pytest.mark.parametrize(
    ("start", "deadline", "today", "share"),
    [
        ("2024-01-01", "2024-01-11", "2024-01-06", 0.5),
        ("2024-01-01", "2024-01-11", "2023-12-01", 0.0),  # before start: clamped
        ("2024-01-01", "2024-01-11", "2024-02-01", 1.0),  # after deadline: clamped
        ("2024-01-11", "2024-01-11", "2024-01-11", 1.0),  # no time at all
        ("2024-01-11", "2024-01-01", "2023-12-01", 0.0),
    ],
)
def test_elapsed_share(start, deadline, today, share):
    assert elapsed_share(D(start), D(deadline), D(today)) == share


def test_is_overdue():
    assert is_overdue(State.SUBMITTED, D("2024-02-19"), D("2024-02-20"))
    assert not is_overdue(State.SUBMITTED, D("2024-02-19"), D("2024-02-19"))
    assert not is_overdue(State.VERIFIED, D("2024-02-19"), D("2024-05-20"))
    assert not is_overdue(State.CLOSED, D("2024-02-19"), D("2024-05-20"))


@pytest.mark.parametrize(
    ("deadline", "today", "days"),
    [
        ("2024-02-09", "2024-02-17", 0),  # past the deadline, but only holidays since
        ("2024-02-09", "2024-02-18", 1),
        ("2024-02-09", "2024-02-20", 3),
        ("2024-09-27", "2024-10-08", 3),  # 09-29, 09-30, 10-08
        ("2024-02-19", "2024-02-01", 0),  # not yet due
    ],
)
def test_overdue_working_days(deadline, today, days):
    assert overdue_working_days(D(deadline), D(today), CAL) == days


def test_far_deadline_in_an_unknown_year_is_green_not_an_error():
    assert rag(deadline="2027-06-30", today="2026-06-01", start="2026-01-01") == Rag.GREEN


# --------------------------------------------------------------------------- milestones (issue 11)


def test_missed_milestones_are_the_open_ones_past_their_date():
    milestones = [(D("2024-03-31"), False), (D("2024-04-30"), True), (D("2024-06-30"), False)]
    assert missed_milestones(milestones, D("2024-05-06")) == [D("2024-03-31")]
    assert missed_milestones(milestones, D("2024-03-31")) == []  # due today is not missed yet


def test_a_missed_milestone_turns_the_case_yellow_then_red():
    on_track = {"deadline": "2024-12-31", "start": "2024-01-01", "percent": 60}
    assert rag(today="2024-06-03", **on_track) == Rag.GREEN
    # milestone due Friday 2024-05-31, not reported: yellow on Monday (1 working day late)
    assert rag(today="2024-06-03", missed=[D("2024-05-31")], **on_track) == Rag.YELLOW
    # 2024-06-10 is the 端午 holiday: the 5th working day late is 2024-06-07
    assert rag(today="2024-06-06", missed=[D("2024-05-31")], **on_track) == Rag.YELLOW
    assert rag(today="2024-06-07", missed=[D("2024-05-31")], **on_track) == Rag.RED
    assert rag(today="2024-06-03", missed=[D("2024-05-31")], milestone_red_working_days=1,
               **on_track) == Rag.RED


def test_done_cases_stay_green_whatever_their_milestones():
    assert rag(State.VERIFIED, deadline="2024-12-31", today="2024-07-01", missed=[D("2024-03-31")]) == Rag.GREEN
