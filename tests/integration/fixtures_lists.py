"""Fixtures for the list (Excel) and plan-draft tests: signed-in clients, CLI runs, DB reads."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select


class ListsHelper:
    """Shortcuts for one test: read the database, upload workbooks, run `flask lists`."""

    def __init__(self, app):
        self.app = app

    def query(self, fn):
        """Run fn() in a fresh app context and return its result (no session leaks)."""
        from app.extensions import db

        with self.app.app_context():
            try:
                return fn(db.session)
            finally:
                db.session.remove()

    def case_count(self) -> int:
        from app.models import Case

        return self.query(lambda s: s.scalar(select(func.count(Case.id))))

    def case(self, **where):
        """One case as a plain dict (title, deadline, lead, partners, targets, milestones)."""
        from app.models import Case

        def read(session):
            case = session.scalars(select(Case).filter_by(**where)).one()
            return {
                "id": case.id, "key": case.source_key, "title": case.title, "text": case.text,
                "deadline": case.deadline, "original_deadline": case.original_deadline,
                "lead": case.lead_department.name if case.lead_department else None,
                "partners": sorted(d.name for d in case.partner_departments),
                "owner": case.owner.username if case.owner else None, "list_kind": case.list_kind,
                "action": case.action.index if case.action else None, "version": case.version,
                "targets": [(i.comparator, float(i.value), float(i.value_max) if i.value_max is not None else None,
                             i.unit, i.name) for i in case.indicators],
                "milestones": [(m.title, m.due_date) for m in case.milestones],
            }

        return self.query(read)

    def cli(self, *args):
        return self.app.test_cli_runner().invoke(args=list(args))

    def upload(self, client, data: bytes, name: str = "清单.xlsx"):
        return client.post("/lists/import", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")

    @staticmethod
    def confirm_url(html: str) -> str | None:
        m = re.search(r'action="(/lists/import/[\w-]+/confirm)"', html)
        return m.group(1) if m else None


@pytest.fixture()
def lists_helper(app):
    return ListsHelper(app)


@pytest.fixture()
def office_client(app, fresh_db):
    """A test client signed in as the supervision office, on a fresh database."""
    from tests.integration.conftest import login

    client = app.test_client()
    login(client, "office")
    return client


def client_for(app, username: str):
    """A new test client signed in as a demo user."""
    from tests.integration.conftest import login

    client = app.test_client()
    login(client, username)
    return client
