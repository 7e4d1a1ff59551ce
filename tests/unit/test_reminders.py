"""Reminder rules on the real 2024 calendar: right working days, once each, no flood."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflows.calendar import UnknownCalendarYear, WorkingDayCalendar
from workflows.reminders import (
    CaseReminderFacts,
    DueNotification,
    NotificationKind,
    ReminderRules,
    catch_up_days,
    due_notifications,
    in_office_hours,
    local_day,
    next_send_time,
)
from workflows.vocabulary import State

D = date.fromisoformat
CAL = WorkingDayCalendar()
RULES = ReminderRules()
SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKERS, OWNER, LEADS, OFFICE = frozenset({1, 2}), 3, frozenset({4}), frozenset({5, 6})


def make_case(deadline, state=State.IN_PROGRESS, **changes) -> CaseReminderFacts:
    """A case with two caseworkers, an owner, a task-force lead and two office users."""
    facts = {
        "case_id": 42,
        "state": state,
        "deadline": D(deadline),
        "milestones": (),
        "last_progress_at": None,
        "assigned_at": D(deadline) - timedelta(days=5),  # recent enough never to be stale
        "submitted_at": None,
        "caseworker_ids": WORKERS,
        "owner_id": OWNER,
        "task_force_lead_ids": LEADS,
        "office_ids": OFFICE,
    } | changes
    return CaseReminderFacts(**facts)


def days(first, last):
    """Every calendar day from first to last, inclusive."""
    day, end = D(first), D(last)
    while day <= end:
        yield day
        day += timedelta(days=1)


def run_daily(case, first, last, rules=RULES):
    """Evaluate each day like beat, recording each key once: {key: (first day seen, n)}."""
    recorded = {}
    for day in days(first, last):
        for note in due_notifications(case, day, rules, CAL):
            recorded.setdefault(note.key, (day, note))
    return recorded


def sent_on(recorded, kind):
    """{day first recorded: set of recipients} for one kind."""
    out = {}
    for day, note in recorded.values():
        if note.kind == kind:
            out.setdefault(day, set()).add(note.recipient_id)
    return out


# --- due soon around the Spring Festival ------------------------------------------------------


def test_due_after_spring_festival_gets_due_soon_on_the_right_working_days():
    # Due Monday 2024-02-19; 02-10..02-17 off; Sunday 02-18 a make-up working day.
    recorded = run_daily(make_case("2024-02-19"), "2024-01-20", "2024-02-19")
    due_soon = sent_on(recorded, NotificationKind.DUE_SOON)
    assert due_soon == {
        D("2024-02-06"): WORKERS | {OWNER},  # 5 working days: 07, 08, 09, 18, 19
        D("2024-02-08"): WORKERS | {OWNER},  # 3: 09, 18, 19
        D("2024-02-18"): WORKERS | {OWNER},  # 1: 19
    }
    marks = {note.day: note.mark for _, note in recorded.values()}
    assert marks == {D("2024-02-06"): 5, D("2024-02-08"): 3, D("2024-02-18"): 1}


@pytest.mark.parametrize("day", list(days("2024-02-10", "2024-02-17")))
def test_nothing_at_all_during_the_holiday(day):
    overdue_case = make_case("2024-02-01", last_progress_at=D("2024-01-01"))
    for case in (make_case("2024-02-19"), overdue_case):
        assert due_notifications(case, day, RULES, CAL) == []


def test_deadline_inside_the_holiday():
    # Due Wednesday 2024-02-14 (a holiday): counts like a deadline on Friday 02-09.
    recorded = run_daily(make_case("2024-02-14"), "2024-01-25", "2024-02-29")
    assert set(sent_on(recorded, NotificationKind.DUE_SOON)) == {
        D("2024-02-04"),  # 5 (a make-up Sunday): 05, 06, 07, 08, 09
        D("2024-02-06"),  # 3
        D("2024-02-08"),  # 1: only Friday 02-09 left
    }
    overdue = sent_on(recorded, NotificationKind.OVERDUE)
    assert min(overdue) == D("2024-02-18")  # first working day after the deadline
    assert sent_on(recorded, NotificationKind.ESCALATION) == {
        D("2024-02-20"): LEADS,  # 3 overdue working days: 18, 19, 20
        D("2024-02-22"): OFFICE,  # 5
    }


def test_deadline_on_holiday_saturday_marks_thursday_as_one_day_left():
    recorded = run_daily(make_case("2024-02-17"), "2024-02-01", "2024-02-17")
    assert max(sent_on(recorded, NotificationKind.DUE_SOON)) == D("2024-02-08")


def test_due_today_counts_as_the_one_day_mark_reached():
    late_assignment = make_case("2024-02-19", assigned_at=D("2024-02-19"))
    notes = due_notifications(late_assignment, D("2024-02-19"), RULES, CAL)
    assert {(n.kind, n.day, n.mark) for n in notes} == {
        (NotificationKind.DUE_SOON, D("2024-02-18"), 1)
    }


def test_milestones_get_due_soon_but_no_overdue():
    case = make_case("2024-12-31", milestones=((7, D("2024-02-19")), (8, D("2024-06-28"))))
    recorded = run_daily(case, "2024-02-01", "2024-03-31")
    kinds = {(note.kind, note.milestone_id, note.due_date) for _, note in recorded.values()}
    assert kinds == {(NotificationKind.DUE_SOON, 7, D("2024-02-19"))}
    assert set(sent_on(recorded, NotificationKind.DUE_SOON)) == {
        D("2024-02-06"),
        D("2024-02-08"),
        D("2024-02-18"),
    }


# --- overdue and escalation around National Day -----------------------------------------------


def test_overdue_every_working_day_and_escalation_once():
    # Due Friday 2024-09-27; Sunday 09-29 a make-up day; 10-01..10-07 off; Saturday 10-12 working.
    recorded = run_daily(make_case("2024-09-27"), "2024-09-20", "2024-10-31")
    overdue = sent_on(recorded, NotificationKind.OVERDUE)
    assert sorted(overdue)[:8] == [
        D(d)
        for d in (
            "2024-09-29",
            "2024-09-30",
            "2024-10-08",
            "2024-10-09",
            "2024-10-10",
            "2024-10-11",
            "2024-10-12",
            "2024-10-14",
        )
    ]
    assert all(recipients == WORKERS | {OWNER} for recipients in overdue.values())
    assert sent_on(recorded, NotificationKind.ESCALATION) == {
        D("2024-10-08"): LEADS,  # 3 overdue working days: 09-29, 09-30, 10-08
        D("2024-10-10"): OFFICE,  # 5
    }
    escalations = [n for _, n in recorded.values() if n.kind == NotificationKind.ESCALATION]
    assert len(escalations) == len(LEADS) + len(OFFICE)  # once per recipient, ever


@pytest.mark.parametrize("state", [State.VERIFIED, State.CLOSED])
def test_done_cases_owe_nothing(state):
    case = make_case("2024-09-27", state, submitted_at=D("2024-09-01"))
    assert run_daily(case, "2024-09-01", "2024-12-31") == {}


def test_submitted_but_unverified_is_still_overdue():
    case = make_case("2024-09-27", State.SUBMITTED, submitted_at=D("2024-09-27"))
    kinds = {n.kind for n in due_notifications(case, D("2024-10-10"), RULES, CAL)}
    assert NotificationKind.OVERDUE in kinds and NotificationKind.ESCALATION in kinds


def test_extension_starts_a_new_cycle():
    before = due_notifications(make_case("2024-09-27"), D("2024-10-10"), RULES, CAL)
    extended = make_case("2024-10-08")
    after = due_notifications(extended, D("2024-10-10"), RULES, CAL)
    assert {n.due_date for n in after} == {D("2024-10-08")}
    assert not {n.key for n in before} & {n.key for n in after}


# --- idempotency and catching up --------------------------------------------------------------


def test_same_day_twice_gives_the_same_keys():
    case = make_case("2024-09-27", last_progress_at=D("2024-09-01"))
    first = due_notifications(case, D("2024-10-10"), RULES, CAL)
    second = due_notifications(case, D("2024-10-10"), RULES, CAL)
    assert first == second
    assert len({n.key for n in first}) == len(first)  # no duplicate within one evaluation


def test_key_is_the_natural_key():
    note = DueNotification(42, NotificationKind.DUE_SOON, 1, D("2024-02-19"), D("2024-02-06"), 7, 5)
    assert note.key == (42, "due_soon", D("2024-02-19"), 1, D("2024-02-06"), 7)


def test_missed_marks_fire_once_and_only_the_latest():
    # Beat was down 02-05 .. 02-08 and runs again on Friday 02-09 (2 working days left).
    notes = due_notifications(make_case("2024-02-19"), D("2024-02-09"), RULES, CAL)
    assert {(n.day, n.mark) for n in notes} == {(D("2024-02-08"), 3)}  # not the missed 5
    # …and the same key as if it had been sent on time, so a duplicate if it had been.
    on_time = due_notifications(make_case("2024-02-19"), D("2024-02-08"), RULES, CAL)
    assert {n.key for n in notes} == {n.key for n in on_time}


def test_back_after_a_long_outage_without_flooding():
    # Due 2024-02-19; beat down from 02-20 to 02-27, back on 02-28 (7 overdue working days).
    case = make_case("2024-02-19", last_progress_at=D("2024-02-20"))
    notes = due_notifications(case, D("2024-02-28"), RULES, CAL)
    summary = sorted((n.kind, n.day, n.recipient_id) for n in notes)
    assert summary == sorted(
        [(NotificationKind.OVERDUE, D("2024-02-28"), r) for r in WORKERS | {OWNER}]
        + [(NotificationKind.ESCALATION, D("2024-02-22"), r) for r in LEADS]
        + [(NotificationKind.ESCALATION, D("2024-02-26"), r) for r in OFFICE]
    )


@pytest.mark.parametrize(
    ("last_run", "now", "expected"),
    [
        (None, "2024-02-19", ["2024-02-19"]),
        ("2024-02-18", "2024-02-19", ["2024-02-19"]),
        ("2024-02-01", "2024-02-19", ["2024-02-19"]),  # days missed: only today
        ("2024-02-19", "2024-02-19", []),  # already evaluated today
        ("2024-02-09", "2024-02-12", []),  # a holiday: Monday 02-18 catches up
        (None, "2024-02-17", []),
    ],
)
def test_catch_up_days(last_run, now, expected):
    last = D(last_run) if last_run else None
    assert catch_up_days(last, D(now), CAL) == [D(d) for d in expected]


# --- stale and awaiting verification ----------------------------------------------------------


def test_stale_once_per_dekad_of_silence():
    case = make_case("2024-12-31", last_progress_at=D("2024-03-01"), assigned_at=D("2024-02-01"))
    recorded = run_daily(case, "2024-03-01", "2024-04-05")
    stale = {n.day: (day, n.mark) for day, n in recorded.values() if n.kind == "stale"}
    assert stale == {
        D("2024-03-11"): (D("2024-03-11"), 10),  # Monday, 10 days after
        D("2024-03-21"): (D("2024-03-21"), 20),
        D("2024-03-31"): (D("2024-04-01"), 30),  # the mark falls on a Sunday: sent Monday
    }
    assert {n.recipient_id for _, n in recorded.values()} == WORKERS  # not the owner


def test_stale_counts_from_assignment_when_no_progress_yet():
    case = make_case("2024-12-31", State.ASSIGNED, assigned_at=D("2024-03-01"))
    notes = due_notifications(case, D("2024-03-11"), RULES, CAL)
    assert {(n.kind, n.due_date, n.day) for n in notes} == {
        ("stale", D("2024-03-01"), D("2024-03-11"))
    }


def test_reassignment_restarts_the_stale_clock():
    case = make_case("2024-12-31", last_progress_at=D("2024-01-02"), assigned_at=D("2024-03-05"))
    assert due_notifications(case, D("2024-03-11"), RULES, CAL) == []


def test_no_stale_reminder_while_waiting_for_verification():
    case = make_case(
        "2024-12-31",
        State.SUBMITTED,
        last_progress_at=D("2024-01-02"),
        submitted_at=D("2024-03-08"),
    )
    kinds = {n.kind for n in due_notifications(case, D("2024-03-11"), RULES, CAL)}
    assert "stale" not in kinds


def test_awaiting_verification_every_three_working_days():
    # Submitted Thursday 2024-09-26: working days after it 27, 29, 30 | 10-08, 09, 10 | 11, 12, 14
    case = make_case("2024-12-31", State.SUBMITTED, submitted_at=D("2024-09-26"))
    recorded = run_daily(case, "2024-09-26", "2024-10-14")
    assert sent_on(recorded, NotificationKind.AWAITING_VERIFICATION) == {
        D("2024-09-30"): LEADS,
        D("2024-10-10"): LEADS,
        D("2024-10-14"): LEADS,
    }
    assert {n.due_date for _, n in recorded.values()} == {D("2024-09-26")}


def test_no_awaiting_verification_once_verified_or_returned():
    for state in (State.VERIFIED, State.IN_PROGRESS):
        case = make_case("2024-12-31", state, submitted_at=D("2024-09-26"))
        kinds = {n.kind for n in due_notifications(case, D("2024-10-10"), RULES, CAL)}
        assert NotificationKind.AWAITING_VERIFICATION not in kinds


# --- configurable rules -----------------------------------------------------------------------


def test_rules_are_configurable():
    rules = replace(
        RULES,
        due_soon_working_days=(2,),
        escalate_to_lead_after=1,
        escalate_to_office_after=2,
    )
    recorded = run_daily(make_case("2024-09-27"), "2024-09-20", "2024-10-08", rules)
    assert set(sent_on(recorded, NotificationKind.DUE_SOON)) == {D("2024-09-25")}
    assert sent_on(recorded, NotificationKind.ESCALATION) == {
        D("2024-09-29"): LEADS,
        D("2024-09-30"): OFFICE,
    }


def test_case_without_owner_or_leads():
    case = make_case("2024-09-27", owner_id=None, task_force_lead_ids=frozenset())
    notes = due_notifications(case, D("2024-10-08"), RULES, CAL)
    assert {n.recipient_id for n in notes} == WORKERS


def test_unknown_year_is_an_error_not_silence():
    with pytest.raises(UnknownCalendarYear):
        due_notifications(make_case("2027-03-01"), D("2027-02-22"), RULES, CAL)
    with pytest.raises(UnknownCalendarYear):  # the 5-day mark may fall in 2027: cannot tell
        due_notifications(make_case("2027-01-08"), D("2026-12-28"), RULES, CAL)


def test_far_deadline_in_an_unknown_year_is_simply_not_due():
    case = make_case("2027-06-30", milestones=((7, D("2027-03-31")),))
    assert due_notifications(case, D("2026-06-01"), RULES, CAL) == []


# --- office hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2024-02-18 10:00", True),  # make-up Sunday
        ("2024-02-17 10:00", False),  # holiday Saturday
        ("2024-02-19 08:59", False),
        ("2024-02-19 09:00", True),
        ("2024-02-19 17:29", True),
        ("2024-02-19 17:30", False),
    ],
)
def test_in_office_hours(local, expected):
    moment = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
    assert in_office_hours(moment, RULES, CAL) is expected


def test_office_hours_use_the_office_time_zone():
    utc = datetime(2024, 2, 19, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    assert in_office_hours(utc, RULES, CAL)
    assert local_day(datetime(2024, 2, 18, 17, 0, tzinfo=UTC), RULES) == D("2024-02-19")
    with pytest.raises(ValueError):
        in_office_hours(datetime(2024, 2, 19, 10, 0), RULES, CAL)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2024-02-09 18:00", "2024-02-18 09:00"),  # Friday evening before the holiday
        ("2024-02-12 11:00", "2024-02-18 09:00"),  # inside the holiday
        ("2024-02-19 07:00", "2024-02-19 09:00"),
        ("2024-02-19 10:15", "2024-02-19 10:15"),
    ],
)
def test_next_send_time(local, expected):
    moment = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
    sent = next_send_time(moment, RULES, CAL)
    assert sent == datetime.fromisoformat(expected).replace(tzinfo=SHANGHAI)
    assert sent.utcoffset() == timedelta(hours=8)
    assert in_office_hours(sent, RULES, CAL)


def test_default_rules_follow_domain_md():
    assert RULES.due_soon_working_days == (5, 3, 1)
    assert (RULES.escalate_to_lead_after, RULES.escalate_to_office_after) == (3, 5)
    assert RULES.stale_after_days == 10
    assert RULES.awaiting_verification_working_days == 3
    assert RULES.office_hours == (time(9, 0), time(17, 30))
    assert RULES.timezone == "Asia/Shanghai"


# --- the due window: the tick's SQL pre-selection never misses a case ----------------------


def _random_cases(rng, around: date, n: int) -> list[CaseReminderFacts]:
    """Open cases with deadlines, milestones, progress and submissions scattered around `around`."""
    cases = []
    for case_id in range(n):
        state = rng.choice((State.ASSIGNED, State.IN_PROGRESS, State.IN_PROGRESS, State.SUBMITTED))
        near = lambda spread: around + timedelta(days=rng.randint(-spread, spread))  # noqa: E731
        milestones = tuple((1000 + case_id * 10 + k, near(40)) for k in range(rng.choice((0, 0, 1, 2))))
        assigned = near(60)
        cases.append(make_case(
            near(60).isoformat(), state, case_id=case_id, milestones=milestones,
            assigned_at=assigned,
            last_progress_at=None if rng.random() < 0.3 else assigned + timedelta(days=rng.randint(0, 40)),
            submitted_at=near(20) if state == State.SUBMITTED else None,
        ))
    return cases


@pytest.mark.parametrize("rules", [
    RULES,
    replace(RULES, due_soon_working_days=(2,), stale_after_days=7, awaiting_verification_working_days=1),
    replace(RULES, due_soon_working_days=(), escalate_to_lead_after=1, escalate_to_office_after=60),
    replace(RULES, due_soon_working_days=(60, 10), stale_after_days=30, awaiting_verification_working_days=5),
])
def test_the_due_window_holds_every_case_a_rule_fires_on_over_a_year(rules):
    import random

    from workflows.reminders import due_window

    rng = random.Random(14)
    selected = fired = 0
    for on in (d for d in days("2024-01-01", "2024-12-31") if CAL.is_working_day(d)):
        window = due_window(on, rules, CAL)
        for case in _random_cases(rng, on, 40):
            due = due_notifications(case, on, rules, CAL)
            assert window.may_be_due(case) or not due, (on, case, due)
            selected += window.may_be_due(case)
            fired += bool(due)
    # A superset, and on cases in known years with recipients an exact one: the window's
    # bounds are the rules' own, not a rough margin the tick would pay for.
    assert selected == fired > 5000


def test_a_quiet_case_is_outside_the_window():
    from workflows.reminders import due_window

    window = due_window(D("2024-03-15"), RULES, CAL)
    quiet = make_case("2024-04-30", milestones=((7, D("2024-04-01")),),
                      assigned_at=D("2024-01-08"), last_progress_at=D("2024-03-10"))
    assert not window.may_be_due(quiet) and not due_notifications(quiet, D("2024-03-15"), RULES, CAL)
    # One more day of silence (10 days since 03-06), or a milestone in 5 working days: due.
    assert window.may_be_due(replace(quiet, last_progress_at=D("2024-03-05")))
    assert window.may_be_due(replace(quiet, milestones=((7, D("2024-03-22")),)))
    assert not window.may_be_due(replace(quiet, milestones=((7, D("2024-03-25")),)))


def test_dates_the_calendar_does_not_know_are_in_the_window_or_stop_it():
    from workflows.calendar import known_years
    from workflows.reminders import due_window

    last = D(f"{max(known_years())}-12-31")
    # Within the due-soon reach of the last known year's end: every case raises, so does the window.
    on = CAL.add_working_days(last, -3)
    with pytest.raises(UnknownCalendarYear):
        due_window(on, RULES, CAL)
    with pytest.raises(UnknownCalendarYear):
        due_notifications(make_case("2030-01-01"), on, RULES, CAL)
    # Earlier: a submission or a milestone in an unknown year raises, and is selected.
    on = D(f"{max(known_years())}-06-15")
    on = on if CAL.is_working_day(on) else CAL.next_working_day(on)
    window = due_window(on, RULES, CAL)
    future = replace(make_case("2099-06-01", State.SUBMITTED), submitted_at=last + timedelta(days=40))
    ancient = make_case("2099-06-01", milestones=((7, D("2003-05-05")),))
    for case in (future, ancient):
        with pytest.raises(UnknownCalendarYear):
            due_notifications(case, on, RULES, CAL)
        assert window.may_be_due(case)
