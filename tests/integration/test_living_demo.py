"""The living demo (`flask demo`): the plan as an office in the middle of its year.

Built once for this module on a copy of the seed database (the other tests keep the plain
seed: the database is put back afterwards).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import DEMO_PASSWORD, SEED_DB, TEST_DB, login, recreate_database

PLAN_FILE = Path(__file__).resolve().parents[2] / "app/data/plans/hecheng-eight-actions-2024.yaml"


def _counts():
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from app.models import (
        Case,
        CaseHistory,
        Department,
        ExtensionRequest,
        IndicatorActual,
        Notification,
        Plan,
        ProgressUpdate,
        Report,
    )

    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Case, CaseHistory, Department, ExtensionRequest, IndicatorActual,
                      Notification, Plan, ProgressUpdate, Report, User)
    }


@pytest.fixture(scope="module")
def living(app, seed_database):
    """The test database with the living demo built on it (as of today)."""
    from app.extensions import db
    from app.services.living_demo import build_living_demo

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    recreate_database(TEST_DB, template=SEED_DB)
    with app.app_context():
        result = build_living_demo(DEMO_PASSWORD)
        counts = _counts()
        db.session.remove()
    yield {"result": result, "counts": counts}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    recreate_database(TEST_DB, template=SEED_DB)


def test_every_state_and_all_three_lights_on_the_dashboard(app, living, client):
    from app.security import actor_for
    from app.services.dashboard import dashboard

    with app.app_context():
        office = app.appbuilder.sm.find_user(username="office")
        totals = dashboard(actor_for(office))["totals"]
    assert all(totals["states"][s] > 0 for s in ("assigned", "in_progress", "submitted", "verified", "closed")), totals
    assert all(totals["rag"][r] > 0 for r in ("red", "yellow", "green")), totals
    # Mostly green: an office part-way through its year, not a wall of red.
    assert totals["rag"]["green"] > totals["rag"]["yellow"] + totals["rag"]["red"]
    assert totals["rag"]["red"] < totals["cases"] * 0.15

    login(client, "leader")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "演示数据" in page
    state_headers = ["已交办", "办理中", "已报送", "已核验", "已办结"]
    assert all(h in page for h in state_headers)
    # The totals row of the per-action table: every state and light counted, none zero.
    row = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S)
    assert row, "no totals row on the dashboard"
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<th class="num">(.*?)</th>', row.group(1), re.S)]
    # 合计, the five states, the three lights (then the average percentage).
    assert len(cells) == 10 and all(int(n) > 0 for n in cells[:9]), cells


def test_cases_are_placed_in_this_year_around_today(app, living):
    from app.extensions import db
    from app.models import Case, Plan
    from app.services.calendar import current_calendar, local_today

    with app.app_context():
        today = local_today()
        plan = db.session.scalar(select(Plan))
        cases = list(db.session.scalars(select(Case)))
        calendar = current_calendar()
        assert plan.year == today.year
        assert all(c.start_date == dt.date(today.year, 1, 1) for c in cases)
        assert all(c.deadline.year == today.year for c in cases)
        open_cases = [c for c in cases if c.state not in ("verified", "closed")]
        assert any(c.deadline < today for c in open_cases), "no open case is past its deadline"
        assert any(today <= c.deadline and calendar.within_working_days(today, c.deadline, 5)
                   for c in open_cases), "no case is due in the next working days"
        assert any(c.percent_done and 0 < c.percent_done < 100 for c in cases)


def test_the_stories_went_through_the_workflow(app, living):
    """History, progress, evidence, returns, extensions and urges are real service rows."""
    from app.extensions import db
    from app.models import (
        Case,
        CaseHistory,
        EvidenceFile,
        ExtensionRequest,
        IndicatorActual,
        Notification,
        Report,
    )
    from app.reports.snapshot import cases_at
    from app.services.calendar import local_today

    with app.app_context():
        today = local_today()
        cases = list(db.session.scalars(select(Case)))
        # Every case that left 已交办 did so by a recorded transition, by a named person.
        moved = [c for c in cases if c.state != "assigned"]
        for case in moved:
            kinds = db.session.scalars(
                select(CaseHistory.transition).where(CaseHistory.case_id == case.id,
                                                     CaseHistory.kind == "transition")
            ).all()
            assert "accept" in kinds, case.id
        # Rebuilt from history as of today, every case is where it is now.
        rebuilt = {c.id: c.state for c in cases_at(today)}
        assert rebuilt == {c.id: c.state for c in cases}
        # History is dated through the year, not all today.
        days = {d.date() for d in db.session.scalars(select(CaseHistory.at))}
        assert len(days) > 60
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) > 0
        assert db.session.scalar(select(func.count()).select_from(IndicatorActual)) > 0
        assert db.session.scalar(select(func.count(CaseHistory.id)).where(
            CaseHistory.transition == "return")) >= 2
        assert db.session.scalar(select(func.count(CaseHistory.id)).where(CaseHistory.kind == "urge")) >= 1
        statuses = db.session.scalars(select(ExtensionRequest.status)).all()
        assert "approved" in statuses and "pending" in statuses
        assert db.session.scalar(select(func.count()).select_from(Notification)) > 0
        assert db.session.scalars(select(Report.status)).all() == ["done"]


def test_every_case_has_a_unit_and_every_unit_a_demo_user(app, living, client):
    from app.extensions import db
    from app.models import Case, Department, user_department
    from app.security import CASEWORKER, TASK_FORCE_LEAD
    from app.services.living_demo import DEMO_UNIT, _members

    with app.app_context():
        cases = list(db.session.scalars(select(Case)))
        assert all(c.lead_department_id for c in cases)
        unit = db.session.scalar(select(Department).where(Department.name == DEMO_UNIT))
        assert any(c.lead_department_id == unit.id for c in cases)
        for department_id in {c.lead_department_id for c in cases}:
            assert _members(department_id, CASEWORKER), department_id
        for force in db.session.scalars(select(Department).where(
                Department.kind == "task_force", Department.action_id.is_not(None))):
            assert _members(force.id, TASK_FORCE_LEAD), force.name
        # The documented logins still work and keep their departments.
        worker1 = app.appbuilder.sm.find_user(username="worker1")
        assert db.session.scalar(select(func.count()).select_from(user_department)
                                 .where(user_department.c.user_id == worker1.id)) == 1
    for username in ("admin", "office", "lead1", "worker1", "worker2", "leader"):
        client.get("/logout/")
        assert "logout" in login(client, username).get_data(as_text=True).lower(), username
    client.get("/logout/")


def test_running_it_again_and_reloading_the_plan_change_nothing(app, living):
    from app.extensions import db
    from app.models import Case
    from app.services.living_demo import build_living_demo
    from app.services.plans import load_plan

    with app.app_context():
        before = {c.id: (c.state, c.deadline, c.version) for c in db.session.scalars(select(Case))}
        again = build_living_demo(DEMO_PASSWORD)
        assert not again.built
        result = load_plan()
        assert result.demo and result.created == 0 and result.updated == 0
        assert _counts() == living["counts"]
        assert {c.id: (c.state, c.deadline, c.version) for c in db.session.scalars(select(Case))} == before
        db.session.remove()
    # The shipped plan file is the document: still the 2024 plan.
    assert re.search(r"^year: 2024$", PLAN_FILE.read_text(encoding="utf-8"), re.M)
