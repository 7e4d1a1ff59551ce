"""三看三评三比: the office scores units per period; the scores rank departments in reports."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Department, Evaluation
from tests.integration.conftest import login


def department_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Department.id).where(Department.name == name))


def add(client, **form):
    return client.post("/evaluationview/add", data=form, follow_redirects=True)


def test_office_scores_a_unit_once_per_period(app, fresh_db):
    office = app.test_client()
    login(office, "office")
    commerce = department_id(app, "区商务局")
    page = add(office, period_key="2024-q2", department=commerce, kan_score="90", ping_score="85",
               bi_score="88", remarks="主动作为")
    assert page.status_code == 200
    with app.app_context():
        row = db.session.scalar(select(Evaluation).where(Evaluation.department_id == commerce))
        assert row.period_key == "2024-Q2" and float(row.total) == 263.0
        assert row.scored_by_id is not None

    again = add(office, period_key="2024-Q2", department=commerce, kan_score="1", ping_score="1",
                bi_score="1").get_data(as_text=True)
    assert "该单位本期已有评分" in again
    bad = add(office, period_key="第二季度", department=commerce, kan_score="101", ping_score="1",
              bi_score="1").get_data(as_text=True)
    assert "2024-Q2" in bad  # the accepted formats are named
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Evaluation)) == 1


def test_only_the_office_and_admin_may_score(app, fresh_db):
    for username in ("worker1", "lead1", "leader"):
        client = app.test_client()
        login(client, username)
        add(client, period_key="2024-Q2", department=department_id(app, "区商务局"),
            kan_score="99", ping_score="99", bi_score="99")
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Evaluation)) == 0
    leader = app.test_client()
    login(leader, "leader")
    assert leader.get("/evaluationview/list/").status_code == 200
