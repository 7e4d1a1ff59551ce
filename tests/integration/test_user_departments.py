"""The admin gives users their departments and task forces in FAB's user form (issue 10, item 8).

What a user sees follows user_department: a caseworker sees the cases their units lead or
partner in, a task-force lead the cases of their task force's action.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.integration.conftest import DEMO_PASSWORD, login
from tests.integration.fixtures_workflow import WORKER1_DEPARTMENT


def _ids(app):
    from flask_appbuilder.security.sqla.models import Role, User

    from app.extensions import db
    from app.models import Action, Case, Department, user_department

    with app.app_context():
        try:
            worker2 = db.session.scalar(select(User).where(User.username == "worker2"))
            old_unit = db.session.scalar(
                select(user_department.c.department_id).where(user_department.c.user_id == worker2.id))
            unit = db.session.scalar(select(Department.id).where(Department.name == WORKER1_DEPARTMENT))
            action2 = db.session.scalar(select(Action).where(Action.index == 2))
            task_force = db.session.scalar(
                select(Department).where(Department.kind == "task_force",
                                         Department.action_id == action2.id))

            def first_case(**where):
                query = select(Case.id).order_by(Case.id)
                for name, value in where.items():
                    query = query.where(getattr(Case, name) == value)
                return db.session.scalar(query)

            return {
                "worker2": worker2.id, "old_unit": old_unit, "unit": unit,
                "task_force": task_force.id, "task_force_name": str(task_force),
                "unit_case": first_case(lead_department_id=unit),
                "old_case": first_case(lead_department_id=old_unit),
                "action2_case": first_case(action_id=action2.id),
                "caseworker_role": db.session.scalar(select(Role.id).where(Role.name == "Caseworker")),
                "lead_role": db.session.scalar(select(Role.id).where(Role.name == "TaskForceLead")),
            }
        finally:
            db.session.remove()


def _sees(app, username: str, case_id: int, password: str = DEMO_PASSWORD) -> bool:
    client = app.test_client()
    login(client, username, password)
    status = client.get(f"/caseview/show/{case_id}").status_code
    assert status in (200, 404), status
    return status == 200


def _selected(page: str, field: str) -> set[str]:
    """The values chosen in a <select name=field> of the page."""
    select_html = re.search(rf'<select[^>]*name="{field}".*?</select>', page, re.S).group(0)
    options = re.findall(r"<option[^>]*>", select_html)
    return {re.search(r'value="(\d+)"', o).group(1) for o in options if "selected" in o}


def test_admin_moves_a_caseworker_to_another_unit_and_their_cases_follow(app, fresh_db):
    ids = _ids(app)
    assert _sees(app, "worker2", ids["old_case"]) and not _sees(app, "worker2", ids["unit_case"])

    admin = app.test_client()
    login(admin, "admin")
    form = admin.get(f"/users/edit/{ids['worker2']}")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    # The two fields, in Chinese, with the user's current unit chosen.
    assert 'name="units"' in page and 'name="task_forces"' in page
    assert re.search(r'<label for="units"[^>]*>\s*单位\s', page)
    assert re.search(r'<label for="task_forces"[^>]*>\s*专班\s', page)
    assert str(ids["old_unit"]) in _selected(page, "units")
    assert ids["task_force_name"] in page  # a task force is offered in 专班 …
    units_html = re.search(r'<select[^>]*name="units".*?</select>', page, re.S).group(0)
    assert ids["task_force_name"] not in units_html  # … not in 单位

    saved = admin.post(f"/users/edit/{ids['worker2']}", data={
        "first_name": "经办人", "last_name": "二", "username": "worker2", "active": "y",
        "email": "worker2@duban.local", "roles": [str(ids["caseworker_role"])],
        "units": [str(ids["unit"])],
    }, follow_redirects=True)
    assert saved.status_code == 200

    assert _sees(app, "worker2", ids["unit_case"]), "the new unit's cases are visible"
    assert not _sees(app, "worker2", ids["old_case"]), "the old unit's cases are gone"
    shown = admin.get(f"/users/show/{ids['worker2']}").get_data(as_text=True)
    assert WORKER1_DEPARTMENT in shown


def test_admin_adds_a_task_force_lead_who_sees_their_action(app, fresh_db):
    ids = _ids(app)
    admin = app.test_client()
    login(admin, "admin")
    added = admin.post("/users/add", data={
        "first_name": "行动二专班", "last_name": "负责人", "username": "lead2", "active": "y",
        "email": "lead2@duban.local", "roles": [str(ids["lead_role"])],
        "task_forces": [str(ids["task_force"])],
        "password": "Lead2-Passw0rd", "conf_password": "Lead2-Passw0rd",
    }, follow_redirects=True)
    assert added.status_code == 200
    assert _sees(app, "lead2", ids["action2_case"], "Lead2-Passw0rd")
    # Without a task force the same role sees nothing of action 2.
    assert not _sees(app, "lead1", ids["action2_case"])
