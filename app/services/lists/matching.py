"""Matching an import's names against the database: actions, departments, users, cases."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Action, Case, CaseHistory, Department, Indicator, IndicatorActual, Plan
from workflows.lists.cells import norm, strip_role_note
from workflows.lists.matching import find_action, suggest


def did_you_mean(suggestions: list[str]) -> str:
    """"; did you mean: A、B" in the user's language, or "" without suggestions."""
    if not suggestions:
        return ""
    return _("; did you mean: %(names)s", names="、".join(suggestions))


def users_by_name(users) -> dict[str, list]:
    """Normalised user name, "first last" and "last first" → the users so called."""
    found: dict[str, list] = {}
    for user in users:
        for key in {user.username, f"{user.first_name}{user.last_name}", f"{user.last_name}{user.first_name}"}:
            found.setdefault(norm(key), [])
            if user not in found[norm(key)]:
                found[norm(key)].append(user)
    return found


class Lookups:
    """Everything a plan of an import needs from the database, read once."""

    def __init__(self, plan: Plan):
        from flask_appbuilder.security.sqla.models import User

        self.plan = plan
        self.actions = list(db.session.scalars(
            select(Action).where(Action.plan_id == plan.id).order_by(Action.index)))
        self.departments = list(db.session.scalars(select(Department).order_by(Department.name)))
        self.department_by_key: dict[str, Department] = {}
        for dept in self.departments:
            self.department_by_key.setdefault(norm(dept.name), dept)
        for dept in self.departments:
            if dept.short_name:
                self.department_by_key.setdefault(norm(dept.short_name), dept)
        self.cases = list(db.session.scalars(select(Case).where(Case.plan_id == plan.id)))
        self.case_by_key = {c.source_key: c for c in self.cases}
        self.case_by_text: dict[tuple[int | None, str], Case] = {}
        for case in self.cases:
            for text in (case.text, case.title):
                if text:
                    self.case_by_text.setdefault((case.action_id, norm(text)), case)
        self.touched = set(db.session.scalars(
            select(CaseHistory.case_id).where(CaseHistory.case_id.in_(select(Case.id).where(Case.plan_id == plan.id)))
            .distinct()))
        self.users = list(db.session.scalars(select(User)))
        self.user_by_key = users_by_name(self.users)
        self.with_actuals = set(db.session.scalars(
            select(IndicatorActual.indicator_id).join(Indicator, Indicator.id == IndicatorActual.indicator_id)
            .where(Indicator.plan_id == plan.id).distinct()))

    def action(self, text: str) -> tuple[Action | None, list[str]]:
        """The action a cell names: "（一）大力实施…", "行动一", "1", "产业培塑行动" …"""
        return find_action(text, self.actions)

    def department(self, text: str) -> Department | None:
        return self.department_by_key.get(norm(strip_role_note(text)))

    def department_names(self) -> list[str]:
        return [d.name for d in self.departments] + [d.short_name for d in self.departments if d.short_name]

    def user_names(self) -> list[str]:
        return [f"{u.first_name}{u.last_name}" for u in self.users] + [u.username for u in self.users]

    def suggest_department(self, name: str) -> str:
        return did_you_mean(suggest(name, self.department_names()))
