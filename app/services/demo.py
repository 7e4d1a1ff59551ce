"""Demo departments and users for trying Duban on the loaded plan.

Never run implicitly in production: `flask demo` refuses there unless forced.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Action, Case, Department, user_department
from app.security import ADMIN, CASEWORKER, LEADER, OFFICE, TASK_FORCE_LEAD
from app.services.plans import latest_plan


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    department: str | None
    description: str


class DemoError(RuntimeError):
    """The demo cannot be set up (no plan loaded, production mode)."""


def _action_one_departments(plan_id: int) -> list[tuple[str, int]]:
    """Departments leading action-1 cases, most cases first."""
    rows = db.session.execute(
        select(Department.name, func.count(Case.id))
        .join(Case, Case.lead_department_id == Department.id)
        .join(Action, Case.action_id == Action.id)
        .where(Action.plan_id == plan_id, Action.index == 1, Department.kind == "district_department")
        .group_by(Department.name)
        .order_by(func.count(Case.id).desc(), Department.name)
    )
    return [(name, count) for name, count in rows]


def demo_users() -> list[DemoUser]:
    """The demo logins, with departments chosen from the loaded plan."""
    plan = latest_plan()
    if plan is None:
        raise DemoError("尚未导入方案：请先运行 flask plan load")
    action_one = _action_one_departments(plan.id)
    if not action_one:
        raise DemoError("方案中行动一没有指定牵头单位的任务，无法为 worker1 选择单位")
    worker1_department = action_one[0][0]
    worker1_cases = select(Case.id).join(Department, Case.lead_department_id == Department.id).where(
        Department.name == worker1_department
    )
    # worker2: a district department that leads cases, none of which worker1 leads or
    # partners — so it sees none of worker1's cases.
    from app.models import case_partner

    partner_of_worker1 = select(case_partner.c.department_id).where(case_partner.c.case_id.in_(worker1_cases))
    worker2_department = db.session.scalar(
        select(Department.name)
        .join(Case, Case.lead_department_id == Department.id)
        .where(
            Department.kind == "district_department",
            Department.name != worker1_department,
            Department.id.not_in(partner_of_worker1),
        )
        .group_by(Department.name)
        .order_by(func.count(Case.id).desc(), Department.name)
        .limit(1)
    )
    task_force = db.session.scalar(
        select(Department.name)
        .join(Action, Department.action_id == Action.id)
        .where(Action.plan_id == plan.id, Action.index == 1, Department.kind == "task_force")
    )
    office = db.session.scalar(
        select(Department.name).where(Department.kind == "office", Department.name.contains("督查"))
    )
    return [
        DemoUser("admin", "系统", "管理员", ADMIN, None, "系统管理员"),
        DemoUser("office", "督查室", "干部", OFFICE, office, "政府督查室"),
        DemoUser("lead1", "行动一专班", "负责人", TASK_FORCE_LEAD, task_force, "行动一专班负责人"),
        DemoUser("worker1", "经办人", "一", CASEWORKER, worker1_department, f"经办人（{worker1_department}）"),
        DemoUser("worker2", "经办人", "二", CASEWORKER, worker2_department, f"经办人（{worker2_department}）"),
        DemoUser("leader", "区", "领导", LEADER, None, "区领导（查阅，作领导批示，签发公文）"),
    ]


def create_demo(password: str | None = None, *, force: bool = False) -> tuple[list[DemoUser], str]:
    """Create or refresh the demo users; return them and the password used."""
    if current_app.config.get("ENV_NAME") == "production" and not force:
        raise DemoError("生产环境不创建演示用户（如确需创建，请加 --force）")
    password = password or current_app.config.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
    sm = current_app.appbuilder.sm
    users = demo_users()
    for demo in users:
        role = sm.find_role(demo.role)
        user = sm.find_user(username=demo.username)
        if user is None:
            user = sm.add_user(
                demo.username, demo.first_name, demo.last_name,
                f"{demo.username}@duban.local", [role], password=password,
            )
            if not user:
                raise DemoError(f"无法创建用户 {demo.username}")
        else:
            user.roles = [role]
            sm.reset_password(user.id, password)
        if demo.department:
            department = db.session.scalar(select(Department).where(Department.name == demo.department))
            db.session.execute(user_department.delete().where(user_department.c.user_id == user.id))
            db.session.execute(user_department.insert().values(user_id=user.id, department_id=department.id))
    db.session.commit()
    return users, password
