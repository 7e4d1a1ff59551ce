"""三看 facts from set-based SQL (issue 14): the same facts as the per-case computation, in the
same number of statements for N and 5N cases.

The data is the plan driven through March–June 2024 (fixtures_reports.seed_progress: on time,
late, overdue and urged, extended, returned, closed, an extension refused, indicators with
actuals), plus what that fixture lacks: stale reminders (one task reminded twice a day, for
two recipients), a deadline moved after June by the admin, a missed milestone, a submission
waiting for verification past its deadline. The oracle is the per-case code the SQL replaced
(tests/integration/evaluation_oracle.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select, text

from app.extensions import db

PERIODS = ("2024-03", "2024-04", "2024-05", "2024-06", "2024-Q2", "2024-Q3", "2024")


def _plan_id():
    from app.models import Plan

    return db.session.scalar(select(Plan.id).where(Plan.kind == "overall").order_by(Plan.id.desc()))


@pytest.fixture(scope="module")
def varied(app, report_progress):
    """The fixture's data with stale reminders, a later deadline change, a missed milestone and
    a submission left waiting."""
    from app.models import Case, CaseHistory, Milestone
    from app.notification_models import Notification

    with app.app_context():
        facts = report_progress
        cases = list(db.session.scalars(select(Case).where(Case.plan_id == _plan_id()).order_by(Case.id)))
        office = db.session.scalar(text("SELECT id FROM ab_user WHERE username = 'office'"))
        worker = db.session.scalar(text("SELECT id FROM ab_user WHERE username = 'worker1'"))
        for n, case in enumerate(cases[:12]):
            for day in (dt.date(2024, 4, 12 + n % 3), dt.date(2024, 6, 3 + n)):
                for recipient in (office, worker):
                    db.session.add(Notification(case_id=case.id, kind="stale", recipient_id=recipient,
                                                day=day, milestone_key=0, source_key=f"t{n}-{recipient}"))
        moved = db.session.get(Case, next(iter(facts.overdue)))  # overdue in June, moved in July
        db.session.add(CaseHistory(case_id=moved.id, at=dt.datetime(2024, 7, 3, 2), actor_name="admin",
                                   kind="deadline_change", data={"old": moved.deadline.isoformat(),
                                                                 "new": "2024-09-30"}, comment="调整时限"))
        moved.deadline = dt.date(2024, 9, 30)
        late_milestone = cases[20]
        db.session.add(Milestone(case_id=late_milestone.id, title="阶段目标", due_date=dt.date(2024, 5, 20)))
        db.session.commit()
        waiting = next(c for c in cases[30:] if c.state == "in_progress")
        db.session.execute(text('UPDATE "case" SET deadline = :d, original_deadline = :d WHERE id = :id'),
                           {"d": dt.date(2024, 6, 5), "id": waiting.id})
        db.session.commit()
        # Submitted after its deadline and left waiting: history as the workflow writes it.
        db.session.add(CaseHistory(case_id=waiting.id, at=dt.datetime(2024, 6, 11, 2), actor_name="worker1",
                                   kind="transition", transition="submit", from_state="in_progress",
                                   to_state="submitted", comment="已完成"))
        db.session.execute(text('UPDATE "case" SET state = \'submitted\' WHERE id = :id'), {"id": waiting.id})
        db.session.commit()
        # Actuals of this year's months (the fixture's are recorded under today's month): below,
        # at and above target, one recorded only in July, one for a later month.
        from app.models import Indicator, IndicatorActual

        indicators = list(db.session.scalars(select(Indicator).where(
            Indicator.plan_id == _plan_id(), Indicator.value.is_not(None)).order_by(Indicator.id).limit(24)))
        for n, ind in enumerate(indicators):
            value = float(ind.value) * (0.2, 0.6, 1.0, 1.5)[n % 4]
            recorded = dt.datetime(2024, 7, 2, 2) if n % 7 == 6 else dt.datetime(2024, 5 + n % 2, 10 + n % 9, 2)
            db.session.add(IndicatorActual(indicator_id=ind.id, period=f"2024-0{4 + n % 3}", value=value,
                                           recorded_at=recorded))
            if n % 5 == 0:
                db.session.add(IndicatorActual(indicator_id=ind.id, period="2024-09", value=value * 2,
                                               recorded_at=dt.datetime(2024, 6, 20, 2)))
        db.session.commit()
        yield facts
        db.session.remove()


def _both(period_key: str, plan_id):
    from app.services.evaluation import scheme_in_force
    from app.services.evaluation_facts import gather
    from tests.integration import evaluation_oracle
    from workflows.evaluation import evaluation_period

    scheme = scheme_in_force()
    period = evaluation_period(period_key)
    return evaluation_oracle.gather(scheme, period, plan_id), gather(scheme, period, plan_id), scheme


def test_the_sql_facts_are_the_per_case_facts(app, varied):
    """Every unit, every task, dekad, event, indicator and score, for months, quarters and the
    year, for the plan and for all plans: equal; and so every score and every explanation."""
    from workflows.evaluation_scoring import evaluate

    seen = {"outcomes": set(), "events": set(), "dekads": set(), "lights": set()}
    with app.app_context():
        for plan_id in (_plan_id(), None):
            for key in PERIODS:
                old, new, scheme = _both(key, plan_id)
                assert [u.unit for u in new] == [u.unit for u in old], key
                for o, n in zip(old, new, strict=True):
                    assert n.tasks == o.tasks, (key, o.unit)
                    assert n.dekads == o.dekads, (key, o.unit)
                    assert n.events == o.events, (key, o.unit)
                    assert n.indicators == o.indicators, (key, o.unit)
                    assert n.scores == o.scores, (key, o.unit)
                    seen["outcomes"] |= {t.outcome for t in n.tasks}
                    seen["events"] |= {k for k, v in n.events.items() if v}
                    seen["dekads"] |= {d.reported for d in n.dekads}
                    seen["lights"] |= {i.light for i in n.indicators}
                    seen["texts"] = seen.get("texts", set()) | {i.text for i in n.indicators}
                assert [r.as_dict() for r in evaluate(scheme, new)] == [r.as_dict() for r in evaluate(scheme, old)]
        db.session.remove()
    # The data is varied enough to mean something.
    assert seen["outcomes"] == {"on_time", "late_done", "overdue", "not_due", "late_submitted"}
    assert seen["events"] >= {"red_light", "return", "urge", "late_report", "waiting_verification"}
    assert seen["dekads"] == {True, False}
    assert len(seen["lights"] - {None}) >= 2 and None in seen["lights"], sorted(seen["texts"])[:20]


def _statements(app, period_key: str) -> tuple[int, int]:
    """(statements, tasks) of gathering the plan's facts for a period."""
    from app.services.evaluation import scheme_in_force
    from app.services.evaluation_facts import gather
    from workflows.evaluation import evaluation_period

    with app.app_context():
        scheme, plan_id = scheme_in_force(), _plan_id()
        gather(scheme, evaluation_period(period_key), plan_id)  # warm: settings, calendar
        count = [0]

        def counted(*_args):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", counted)
        try:
            units = gather(scheme, evaluation_period(period_key), plan_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", counted)
        db.session.remove()
    return count[0], sum(len(u.tasks) for u in units if u.group == "district_department")


def _copy_cases(app, times: int) -> None:
    """Each case of the plan `times` more times, with its history, progress and milestones."""
    from app.models import Case, CaseHistory, Milestone, ProgressUpdate

    with app.app_context():
        top = db.session.scalar(select(func.max(Case.id)))
        for k in range(1, times + 1):
            offset = k * (top + 1)
            columns = [c.name for c in Case.__table__.columns if c.name != "id"]
            chosen = ", ".join(f'"{c}"' for c in columns)
            values = ", ".join(f"source_key || '-copy{k}'" if c == "source_key" else f'"{c}"' for c in columns)
            db.session.execute(text(f'INSERT INTO "case" (id, {chosen}) SELECT id + {offset}, {values} '
                                    f'FROM "case" WHERE id <= {top}'))
            for table in (CaseHistory.__table__, ProgressUpdate.__table__, Milestone.__table__):
                columns = [c.name for c in table.columns if c.name not in ("id", "case_id")]
                chosen = ", ".join(f'"{c}"' for c in columns)
                db.session.execute(text(f'INSERT INTO "{table.name}" (case_id, {chosen}) '
                                        f'SELECT case_id + {offset}, {chosen} FROM "{table.name}" '
                                        f"WHERE case_id <= {top}"))
        db.session.commit()
        db.session.remove()


def test_the_statements_do_not_grow_with_the_cases(app, varied):
    """The same statements for N and 5N cases (and the facts still the per-case ones)."""
    before = {key: _statements(app, key) for key in ("2024-06", "2024")}
    _copy_cases(app, 4)
    after = {key: _statements(app, key) for key in ("2024-06", "2024")}
    for key in before:
        assert after[key][1] == 5 * before[key][1] > 0, key
        assert after[key][0] == before[key][0], (key, before[key], after[key])
        assert before[key][0] <= 16
    with app.app_context():
        old, new, _scheme = _both("2024-Q2", _plan_id())
        assert new == old
        db.session.remove()
