"""The living demo's people: a demo user for every leading department and task force.

Part of the living demo (app/services/living_demo.py): the demo unit that takes the
lead-less cases, and the caseworkers and task-force leads added for the plan's departments.
"""

from __future__ import annotations

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import Action, Case, Department, Plan, user_department
from app.security import CASEWORKER, TASK_FORCE_LEAD
from app.services.demo import DemoError

DEMO_UNIT = "演示承办单位"


def _members(department_id: int, role_name: str) -> list[User]:
    return [
        u
        for u in db.session.scalars(
            select(User)
            .join(user_department, user_department.c.user_id == User.id)
            .where(user_department.c.department_id == department_id)
            .order_by(User.id)
        )
        if any(r.name == role_name for r in u.roles)
    ]


def _next_name(prefix: str, start: int) -> str:
    sm = current_app.appbuilder.sm
    n = start
    while sm.find_user(username=f"{prefix}{n}") is not None:
        n += 1
    return f"{prefix}{n}"


def _add_user(username: str, first: str, last: str, role_name: str, department: Department,
              password: str) -> User:
    sm = current_app.appbuilder.sm
    user = sm.add_user(username, first, last, f"{username}@duban.local", [sm.find_role(role_name)],
                       password=password)
    if not user:
        raise DemoError(f"无法创建演示用户 {username}")
    db.session.execute(user_department.insert().values(user_id=user.id, department_id=department.id))
    return user


def ensure_unit_users(plan: Plan, password: str) -> tuple[list[str], list[str]]:
    """A caseworker for every department leading a case, a lead for every action's task force."""
    caseworkers, leads = [], []
    leading = db.session.scalars(
        select(Department)
        .where(Department.id.in_(select(Case.lead_department_id).where(Case.plan_id == plan.id)))
        .order_by(Department.id)
    )
    for department in leading:
        if not _members(department.id, CASEWORKER):
            name = _next_name("worker", 3)
            _add_user(name, "经办人", name.removeprefix("worker"), CASEWORKER, department, password)
            caseworkers.append(name)
    task_forces = db.session.execute(
        select(Department, Action.index)
        .join(Action, Department.action_id == Action.id)
        .where(Action.plan_id == plan.id, Department.kind == "task_force")
        .order_by(Action.index)
    ).all()
    for department, index in task_forces:
        if not _members(department.id, TASK_FORCE_LEAD):
            name = _next_name("lead", index)
            _add_user(name, f"行动{index}专班", "负责人", TASK_FORCE_LEAD, department, password)
            leads.append(name)
    db.session.commit()
    return caseworkers, leads


def _demo_unit() -> Department:
    unit = db.session.scalar(select(Department).where(Department.name == DEMO_UNIT))
    if unit is None:
        unit = Department(name=DEMO_UNIT, kind="district_department")
        db.session.add(unit)
        db.session.commit()
    return unit


def _first_user(department_id: int | None, role_name: str) -> User | None:
    if department_id is None:
        return None
    members = _members(department_id, role_name)
    return members[0] if members else None


def _office_user() -> User:
    from app.security import OFFICE

    user = current_app.appbuilder.sm.find_user(username="office")
    if user is None or not any(r.name == OFFICE for r in user.roles):
        raise DemoError("缺少演示用户 office：请先运行 flask demo --users-only")
    return user
