"""Fixtures for the case-workflow tests: demo lookups, API calls as a user, cases in a state."""

from __future__ import annotations

import pytest
from sqlalchemy import select

# The demo departments (app/services/demo.py picks them from the plan).
WORKER1_DEPARTMENT = "区商务局"
WORKER2_DEPARTMENT = "区科学技术局"

# How to bring a case from assigned to each state: (user, transition, comment).
PATH = {
    "in_progress": [("worker1", "accept", None)],
    "submitted": [("worker1", "accept", None), ("worker1", "submit", "已完成招商对接")],
    "verified": [
        ("worker1", "accept", None),
        ("worker1", "submit", "已完成招商对接"),
        ("lead1", "verify", None),
    ],
    "closed": [
        ("worker1", "accept", None),
        ("worker1", "submit", "已完成招商对接"),
        ("lead1", "verify", None),
        ("office", "close", None),
    ],
}



def service_act(name: str):
    """A case act of the services by name (apply_transition, add_progress, urge, …)."""
    from app.services import bulk, case_acts, case_json, evidence, progress, transitions

    for module in (transitions, progress, case_acts, bulk, evidence, case_json):
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"no case act {name}")


class WorkflowHelper:
    """Lookups and shortcuts on the demo data, for one test."""

    def __init__(self, app, client, api):
        self.app = app
        self.client = client
        self.api = api

    # --- lookups (each in its own app context, so no session leaks into the requests)

    def _scalar(self, query):
        from app.extensions import db

        with self.app.app_context():
            try:
                return db.session.scalar(query)
            finally:
                db.session.remove()

    def _scalars(self, query):
        from app.extensions import db

        with self.app.app_context():
            try:
                return list(db.session.scalars(query))
            finally:
                db.session.remove()

    def department_id(self, name: str) -> int:
        from app.models import Department

        return self._scalar(select(Department.id).where(Department.name == name))

    def user_id(self, username: str) -> int:
        from flask_appbuilder.security.sqla.models import User

        return self._scalar(select(User.id).where(User.username == username))

    def worker1_cases(self, action_index: int | None = 1) -> list[int]:
        """Ids of the cases worker1's department leads (in action 1 by default)."""
        from app.models import Action, Case

        query = (
            select(Case.id)
            .join(Action, Case.action_id == Action.id)
            .where(Case.lead_department_id == self.department_id(WORKER1_DEPARTMENT))
            .order_by(Case.id)
        )
        if action_index is not None:
            query = query.where(Action.index == action_index)
        return self._scalars(query)

    def case(self, case_id: int) -> dict:
        """A case's columns as a dict (read fresh from the database)."""
        from app.models import Case

        with self.app.app_context():
            from app.extensions import db

            try:
                row = db.session.get(Case, case_id)
                return {c.name: getattr(row, c.name) for c in Case.__table__.columns}
            finally:
                db.session.remove()

    def history(self, case_id: int, kind: str | None = None) -> list:
        """A case's history rows (as plain dicts), oldest first."""
        from app.models import CaseHistory

        query = select(CaseHistory).where(CaseHistory.case_id == case_id)
        if kind:
            query = query.where(CaseHistory.kind == kind)
        query = query.order_by(CaseHistory.at, CaseHistory.id)
        from app.extensions import db

        with self.app.app_context():
            try:
                return [
                    {c.name: getattr(r, c.name) for c in CaseHistory.__table__.columns}
                    for r in db.session.scalars(query)
                ]
            finally:
                db.session.remove()

    def count(self, model, **where) -> int:
        from sqlalchemy import func

        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return self._scalar(query)

    # --- acting

    def call(self, username: str, method: str, path: str, **kwargs):
        """An API request as a demo user (bearer token)."""
        headers = {**kwargs.pop("headers", {}), **self.api(username)}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def transition(self, username: str, case_id: int, transition: str, **body):
        return self.call(
            username, "POST", f"/api/v1/case/{case_id}/transition",
            json={"transition": transition, **body},
        )

    def act(self, username: str, function: str, *args, **kwargs):
        """Call a case act of the services (service_act) as a demo user, in its own app context."""
        from app.extensions import db
        from app.security import actor_for

        with self.app.app_context():
            try:
                from flask_appbuilder import Model

                user = self.app.appbuilder.sm.find_user(username=username)
                result = service_act(function)(*args, actor_for(user), **kwargs)
                return result.id if isinstance(result, Model) else result  # ids outlive the session
            finally:
                db.session.remove()

    def drive(self, case_id: int, state: str) -> None:
        """Bring an assigned case to `state` through the service, as the right users."""
        for username, transition, comment in PATH.get(state, []):
            self.act(username, "apply_transition", case_id, transition=transition, comment=comment)
        assert self.case(case_id)["state"] == state


@pytest.fixture()
def wf(app, client, api):
    """Helpers for workflow tests (use with fresh_db when the test writes)."""
    return WorkflowHelper(app, client, api)

