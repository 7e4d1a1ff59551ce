"""The reminder tick's work follows the cases due, not the cases in the database (issue 14).

The tick selects in SQL the open cases that may be due (workflows.reminders.DueWindow) and
evaluates the rules on those only. Two things must hold on PostgreSQL: the SQL selection is
exactly DueWindow.may_be_due over every open case — and so never misses a case the full
Python evaluation of every open case fires on — on every day of a year; and ten times more
open cases that are not due change nothing in what a tick does: the same reminders, the
same statements, the same cases loaded.
"""

from __future__ import annotations

import datetime as dt
import random

import psycopg
from sqlalchemy import event, select, text

from tests.integration.conftest import URL, Statements
from tests.integration.fixtures_timers import at_shanghai

TICK_DAY = dt.date(2024, 3, 15)  # a Friday


def _connect():
    return psycopg.connect(host=URL.host, port=URL.port or 5432, user=URL.username,
                           password=URL.password, dbname=URL.database, autocommit=True)


def _scatter(seed: int) -> None:
    """Every case gets a random state, deadline, activity, submission and milestones in 2024,
    at hours that fall on either side of the office's midnight (UTC+8)."""
    rng = random.Random(seed)
    with _connect() as conn:
        ids = [r[0] for r in conn.execute('SELECT id FROM "case" ORDER BY id')]
        for case_id in ids:
            def moment(days_from, days_to):
                day = dt.datetime(2024, 1, 1) + dt.timedelta(days=rng.randint(days_from, days_to))
                return day + dt.timedelta(hours=rng.choice((0, 8, 15, 16, 17, 23)), minutes=rng.choice((0, 59)))
            state = rng.choice(("assigned", "in_progress", "in_progress", "submitted", "verified", "closed"))
            assigned = moment(-30, 330)
            progress = None if rng.random() < 0.3 else assigned + dt.timedelta(days=rng.randint(0, 60))
            submitted = moment(-10, 365) if state == "submitted" else None
            conn.execute(
                'UPDATE "case" SET state = %s, deadline = %s, assigned_at = %s, last_progress_at = %s, '
                "submitted_at = %s WHERE id = %s",
                (state, dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(-20, 380)), assigned,
                 progress, submitted, case_id),
            )
            for _ in range(rng.choice((0, 0, 1, 3))):
                conn.execute(
                    "INSERT INTO milestone (case_id, title, due_date, done_at) VALUES (%s, %s, %s, %s)",
                    (case_id, "阶段目标", dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(-10, 370)),
                     None if rng.random() < 0.7 else dt.datetime(2024, 6, 1)),
                )


def test_the_sql_selection_is_the_due_window_and_misses_nothing_over_a_year(timers):
    from app.extensions import db
    from app.models import Case
    from app.services.calendar import current_calendar
    from app.services.reminders import _open, candidate_ids, case_reminder_facts, reminder_rules
    from workflows.calendar import UnknownCalendarYear
    from workflows.reminders import due_notifications, due_window

    _scatter(seed=14)
    with timers.app.app_context():
        rules, calendar = reminder_rules(), current_calendar()
        every_open = list(db.session.scalars(select(Case.id).where(_open())))
        facts = case_reminder_facts(rules, every_open)[0]  # what the tick used to evaluate
        assert len(facts) > 50
        days = [dt.date(2024, 1, 2) + dt.timedelta(days=k) for k in range(0, 365, 2)]
        fired = checked = 0
        for on in (d for d in days if calendar.is_working_day(d)):
            window = due_window(on, rules, calendar)
            selected = set(db.session.scalars(select(candidate_ids(window, rules).c.id)))
            selected_open = {f.case_id for f in facts} & selected
            assert selected_open == {f.case_id for f in facts if window.may_be_due(f)}, on
            for f in facts:
                try:
                    due = due_notifications(f, on, rules, calendar)
                except UnknownCalendarYear:
                    due = [f]
                if due:
                    assert f.case_id in selected, (on, f)
                    fired += 1
            checked += 1
        db.session.remove()
    assert checked > 100 and fired > 10 * checked  # the year had due cases every day


def _quiet_and_due(timers, due_count: int) -> list[int]:
    """The seed's open cases made quiet on TICK_DAY (deadline in June, progress two days ago),
    except `due_count` of them, worker1's first: overdue, silent, one waiting for verification,
    two with a milestone due soon."""
    mine = timers.worker1_cases()[:4]
    with _connect() as conn:
        conn.execute("""UPDATE "case" SET state = 'in_progress', deadline = '2024-06-28',
                        assigned_at = '2024-01-08 02:00', last_progress_at = '2024-03-13 02:00',
                        submitted_at = NULL WHERE state NOT IN ('verified', 'closed')""")
        ids = mine + [r[0] for r in conn.execute(
            """SELECT id FROM "case" WHERE state = 'in_progress' AND NOT id = ANY(%s) ORDER BY id LIMIT %s""",
            (mine, due_count - len(mine)))]
        conn.execute("""UPDATE "case" SET deadline = '2024-03-08', last_progress_at = '2024-02-20 02:00'
                        WHERE id = ANY(%s)""", (ids,))
        conn.execute("""UPDATE "case" SET state = 'submitted', submitted_at = '2024-03-01 02:00'
                        WHERE id = %s""", (ids[0],))
        conn.execute("""INSERT INTO milestone (case_id, title, due_date)
                        SELECT id, '阶段目标', '2024-03-20' FROM "case" WHERE id = ANY(%s)""", (ids[1:3],))
    return ids


def _copy_quiet_cases(copies: int) -> int:
    """`copies` more of every quiet open case (not due on TICK_DAY), with their milestones."""
    with _connect() as conn:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'case' "
            "AND column_name <> 'id' ORDER BY ordinal_position")]
        names = ", ".join(f'"{c}"' for c in columns)
        for k in range(1, copies + 1):
            values = ", ".join(f"'q{k}-' || left(source_key, 56)" if c == "source_key" else f'"{c}"' for c in columns)
            conn.execute(f"""INSERT INTO "case" ({names}) SELECT {values} FROM "case"
                             WHERE state = 'in_progress' AND deadline = '2024-06-28'""")
        conn.execute("""INSERT INTO milestone (case_id, title, due_date)
                        SELECT id, '阶段目标', '2024-05-31' FROM "case" WHERE source_key LIKE 'q%-%' AND deadline = '2024-06-28'""")
        return conn.execute("""SELECT count(*) FROM "case" WHERE state NOT IN ('verified', 'closed')""").fetchone()[0]


def _tick(app) -> tuple[dict, int, set]:
    """A tick on TICK_DAY: its result, its statements, and what it recorded (then forgotten)."""
    from app.extensions import db
    from app.services.reminders import run_reminders

    with app.app_context():
        with Statements(app) as statements:
            result = run_reminders(at_shanghai(TICK_DAY.isoformat(), "10:00")).as_dict()
        recorded = {tuple(r) for r in db.session.execute(text(
            "SELECT case_id, kind, recipient_id, day FROM notification WHERE case_id IS NOT NULL"))}
        db.session.remove()
    with _connect() as conn:  # the next tick of the same day starts from nothing recorded
        conn.execute("DELETE FROM notification")
        conn.execute("DELETE FROM timer_run")
    return result, statements.count, recorded


def test_ten_times_more_cases_not_due_change_nothing_in_the_tick(timers):
    due_ids = _quiet_and_due(timers, due_count=12)
    before, statements_before, recorded_before = _tick(timers.app)
    open_before = _copy_quiet_cases(copies=10)
    after, statements_after, recorded_after = _tick(timers.app)

    assert open_before > 10 * 100  # the seed's open cases, ten more times, are in the table
    assert before["evaluated"] and before["created"] > 12
    assert {case_id for case_id, *_ in recorded_before} == set(due_ids)
    kinds = {kind for _, kind, *_ in recorded_before}
    assert {"overdue", "escalation", "stale", "awaiting_verification", "due_soon"} <= kinds
    # The same reminders, the same statements, the same cases loaded: the due ones only.
    assert recorded_after == recorded_before
    assert (after["created"], after["due"], after["by_kind"]) == (before["created"], before["due"], before["by_kind"])
    assert after["cases"] == before["cases"] == len(due_ids)
    assert statements_after == statements_before


def test_a_later_tick_of_the_day_inserts_nothing(timers):
    from app.extensions import db
    from app.services.reminders import run_reminders

    _quiet_and_due(timers, due_count=12)
    inserts = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATION "):
            inserts.append(statement)

    with timers.app.app_context():
        engine = db.engine
        first = run_reminders(at_shanghai(TICK_DAY.isoformat(), "10:00"))
        db.session.remove()
        event.listen(engine, "before_cursor_execute", count)
        try:
            later = run_reminders(at_shanghai(TICK_DAY.isoformat(), "10:15"))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        db.session.remove()
    assert first.created == first.due > 12
    # Everything is recorded already: still due (and counted), but not composed nor inserted.
    assert (later.due, later.created, later.by_kind) == (first.due, 0, first.by_kind)
    assert inserts == []
