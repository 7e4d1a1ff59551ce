"""Departments are kept by the admin: kinds are chosen from a list, the digest can be set."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Department
from tests.integration.conftest import login


def test_admin_adds_a_township_with_the_daily_digest(app, fresh_db):
    admin = app.test_client()
    login(admin, "admin")
    form = admin.get("/departmentview/add").get_data(as_text=True)
    assert "乡镇街道" in form and "成员每日汇总提醒" in form
    admin.post(
        "/departmentview/add",
        data={"name": "盈口乡", "kind": "township", "daily_digest": "y"},
        follow_redirects=True,
    )
    with app.app_context():
        row = db.session.scalar(select(Department).where(Department.name == "盈口乡"))
        assert (row.kind, row.daily_digest) == ("township", True)


def test_an_unknown_kind_is_refused(app, fresh_db):
    admin = app.test_client()
    login(admin, "admin")
    admin.post("/departmentview/add", data={"name": "某某局", "kind": "ministry"}, follow_redirects=True)
    with app.app_context():
        assert db.session.scalar(select(Department).where(Department.name == "某某局")) is None
