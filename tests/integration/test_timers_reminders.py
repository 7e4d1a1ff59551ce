"""Reminder timers on the real calendar: the right working days, once each, escalations, catch-up.

Time is always given explicitly (`flask reminders tick --at …` or the service argument).
The 2024 Spring Festival: 02-10..02-17 off, Sunday 02-04 and Sunday 02-18 make-up working days.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

from tests.integration.fixtures_timers import at_shanghai

DEADLINE = "2024-02-19"  # the Monday after the Spring Festival holiday
HOLIDAY = {f"2024-02-{d}" for d in range(10, 18)}


def _february():
    return [f"2024-02-{d:02d}" for d in range(1, 30)]


def _due_case(timers, deadline=DEADLINE) -> int:
    case_id = timers.worker1_cases()[0]
    timers.set_cases([case_id], deadline=dt.date.fromisoformat(deadline), start_date=dt.date(2024, 1, 1))
    return case_id


def test_reminders_around_the_spring_festival_fall_on_working_days_once_each(timers):
    case_id = _due_case(timers)
    created_by_day = {}
    for day in _february():
        result = timers.tick(f"{day}T09:30")
        created_by_day[day] = result["created"]
        if day in HOLIDAY:
            assert result["skipped"] == "not_working_day" and not result["evaluated"], day
    rows = timers.notifications(case_id=case_id)

    due_soon = [r for r in rows if r["kind"] == "due_soon"]
    assert [(r["day"], r["recipient"]) for r in due_soon] == [
        ("2024-02-06", "worker1"), ("2024-02-08", "worker1"), ("2024-02-18", "worker1"),
    ]
    assert "距完成时限还有5个工作日" in due_soon[0]["title"]
    assert "距完成时限还有1个工作日" in due_soon[2]["title"]  # on the make-up Sunday
    assert not any(created_by_day[d] for d in HOLIDAY), "nothing is recorded on holidays"

    overdue_days = [r["day"] for r in rows if r["kind"] == "overdue"]
    assert overdue_days == [
        "2024-02-20", "2024-02-21", "2024-02-22", "2024-02-23",
        "2024-02-26", "2024-02-27", "2024-02-28", "2024-02-29",
    ]
    escalations = [(r["day"], r["recipient"]) for r in rows if r["kind"] == "escalation"]
    assert escalations == [("2024-02-22", "lead1"), ("2024-02-26", "office")]
    assert all(r["due_date"] == DEADLINE for r in rows)

    # The whole month again, as a second beat process would: nothing new.
    assert sum(timers.tick(f"{day}T11:00")["created"] for day in _february()) == 0
    assert len(timers.notifications(case_id=case_id)) == len(rows)


def test_no_reminders_outside_office_hours(timers):
    case_id = _due_case(timers)
    early = timers.tick("2024-02-06T08:45")
    late = timers.tick("2024-02-06T17:30")
    assert (early["skipped"], late["skipped"]) == ("outside_office_hours", "outside_office_hours")
    assert timers.notifications(case_id=case_id) == []
    assert timers.tick("2024-02-06T09:00")["created"] == 1  # office hours start


def test_a_missed_stretch_catches_up_with_the_latest_marks_only(timers):
    case_id = _due_case(timers)
    timers.tick("2024-02-01T09:30")
    # Beat down from 02-02 to 02-06 (4 working days, with the make-up Sunday 02-04): on 02-07
    # four working days are left, so the 5-day mark (which fell on 02-06) is sent now, once,
    # keyed to 02-06.
    late = timers.tick("2024-02-07T10:00")
    assert late["missed_working_days"] == 4 and late["created"] == 1
    # Down again until 02-18 (one working day left): only the 1-day mark, not the missed 3.
    timers.tick("2024-02-18T10:00")
    # Down until 02-28: today's overdue message plus each escalation once, no replay of the
    # overdue days in between.
    result = timers.tick("2024-02-28T10:00")
    assert result["created"] == 3
    rows = timers.notifications(case_id=case_id)
    assert [(r["kind"], r["day"]) for r in rows] == [
        ("due_soon", "2024-02-06"),
        ("due_soon", "2024-02-18"),
        ("overdue", "2024-02-28"),
        ("escalation", "2024-02-22"),
        ("escalation", "2024-02-26"),
    ]
    assert "还有4个工作日" in rows[0]["title"]  # the true count on the day it was sent


def test_two_concurrent_ticks_record_each_notification_once(app, timers):
    from app.extensions import db
    from app.services.reminders import run_reminders

    # Every case of the plan is due 2024-12-31: on 2025-01-08 all are 5 working days overdue.
    at = at_shanghai("2025-01-08", "09:30")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def tick():
        with app.app_context():
            try:
                barrier.wait(10)
                results.append(run_reminders(at))
            except Exception as exc:  # the assertion below reports it
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    everything = timers.notifications()
    # 2025-01-08 is also 2 working days before the dekad's end: the task forces' reminders (专班报送)
    voice = [r for r in everything if r["kind"] == "task_force_report_due"]
    assert sum(r.task_force_reminders for r in results) == len(voice)
    rows = [r for r in everything if r["kind"] != "task_force_report_due"]
    keys = Counter((r["case_id"], r["kind"], r["recipient"], r["day"]) for r in rows)
    assert rows and max(keys.values()) == 1
    assert sum(r.created for r in results) == len(rows) == results[0].due == results[1].due
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["escalation"] > 0 and kinds["overdue"] > 0
    assert timers.tick("2025-01-08T09:45")["created"] == 0


def test_submissions_waiting_and_silent_cases_are_reminded_per_period(timers):
    waiting, silent = timers.worker1_cases()[:2]
    # Submitted on Friday 2024-03-01 (10:00 Shanghai): 3 working days later is Wednesday 03-06.
    timers.set_cases([waiting], state="submitted", submitted_at=dt.datetime(2024, 3, 1, 2, 0))
    # Last progress on 2024-03-01: 10 days of silence on 03-11, 20 on 03-21.
    timers.set_cases(
        [silent], state="in_progress", assigned_at=dt.datetime(2024, 2, 1, 2, 0),
        last_progress_at=dt.datetime(2024, 3, 1, 2, 0),
    )
    for day in ("2024-03-05", "2024-03-06", "2024-03-07", "2024-03-11", "2024-03-12", "2024-03-21"):
        timers.tick(f"{day}T09:30")
    awaiting = timers.notifications(case_id=waiting, kind="awaiting_verification")
    assert [(r["day"], r["recipient"]) for r in awaiting] == [
        ("2024-03-06", "lead1"),  # after 3 working days
        ("2024-03-11", "lead1"),  # after 6
        ("2024-03-19", "lead1"),  # after 12, sent on 03-21; the 9 (03-14, no tick) is skipped
    ]
    assert "已报送3个工作日" in awaiting[0]["title"]
    stale = timers.notifications(case_id=silent, kind="stale")
    assert [(r["day"], r["recipient"]) for r in stale] == [
        ("2024-03-11", "worker1"), ("2024-03-21", "worker1"),
    ]
    assert "已10天未报送进展" in stale[0]["title"]


def test_a_milestone_gets_its_own_due_soon_reminders(timers):
    from app.models import Milestone

    case_id = timers.worker1_cases()[0]
    milestone_id = timers.add(
        Milestone, case_id=case_id, title="完成项目签约", due_date=dt.date(2024, 6, 28)
    )
    timers.tick("2024-06-21T10:00")  # Friday: 5 working days before Friday 06-28
    rows = timers.notifications(case_id=case_id, kind="due_soon")
    assert [(r["day"], r["due_date"], r["milestone_id"]) for r in rows] == [
        ("2024-06-21", "2024-06-28", milestone_id)
    ]
    assert "完成项目签约" in rows[0]["title"]


def test_changed_rules_apply_at_the_next_tick(timers):
    case_id = _due_case(timers)
    timers.set_setting("reminders.due_soon_working_days", [2])
    timers.tick("2024-02-06T09:30")
    assert timers.notifications(case_id=case_id) == []
    timers.tick("2024-02-09T09:30")  # Friday before the holiday: 2 working days left
    assert [r["day"] for r in timers.notifications(case_id=case_id)] == ["2024-02-09"]


def test_an_unknown_calendar_year_is_an_error_not_a_guess(timers, client):
    from tests.integration.conftest import login

    result = timers.cli("reminders", "tick", "--at", "2031-03-03T10:00")
    assert result.exit_code == 1
    assert "工作日历不认识 2031 年" in result.stderr
    assert timers.notifications() == []
    # Admins see it on the timer pages until a tick succeeds again.
    login(client, "admin")
    for page in ("/reminders/status", "/reminders/", "/calendaroverrideview/list/"):
        html = client.get(page).get_data(as_text=True)
        assert "工作日历不认识 2031 年" in html, page
    timers.tick("2024-03-04T10:00")
    assert "2031" not in client.get("/reminders/status").get_data(as_text=True)


def test_an_office_year_entered_by_hand_is_used(timers):
    from app.models import CalendarOverride

    # 2031 is not in the package: the office enters its holidays and lists the year.
    timers.add(CalendarOverride, date=dt.date(2031, 3, 3), is_working_day=False, note="测试假日")
    timers.set_setting("calendar.office_years", [2031])
    assert timers.tick("2031-03-03T10:00")["skipped"] == "not_working_day"
    assert timers.tick("2031-03-04T10:00")["evaluated"] is True
