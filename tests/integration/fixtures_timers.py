"""Helpers for the timer and notification tests: shape cases, tick at an instant, read results."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

WORKER1_DEPARTMENT = "区商务局"  # app/services/demo.py: worker1's department (leads action-1 cases)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class TimerHelper:
    """Database shortcuts for one test; every call runs in its own app context."""

    def __init__(self, app):
        self.app = app

    def _run(self, fn):
        from app.extensions import db

        with self.app.app_context():
            try:
                return fn(db)
            finally:
                db.session.remove()

    # --- lookups

    def user_id(self, username: str) -> int:
        from flask_appbuilder.security.sqla.models import User

        return self._run(lambda db: db.session.scalar(select(User.id).where(User.username == username)))

    def department_id(self, name: str) -> int:
        from app.models import Department

        return self._run(
            lambda db: db.session.scalar(select(Department.id).where(Department.name == name))
        )

    def worker1_cases(self) -> list[int]:
        """Action-1 cases led by worker1's department, by id."""
        from app.models import Action, Case, Department

        return self._run(
            lambda db: list(
                db.session.scalars(
                    select(Case.id)
                    .join(Action, Case.action_id == Action.id)
                    .join(Department, Case.lead_department_id == Department.id)
                    .where(Action.index == 1, Department.name == WORKER1_DEPARTMENT)
                    .order_by(Case.id)
                )
            )
        )

    # --- changing data

    def set_cases(self, case_ids, **values) -> None:
        """Set columns of cases directly (dates of the scenario, not a workflow step)."""
        from app.models import Case

        def change(db):
            db.session.execute(update(Case).where(Case.id.in_(list(case_ids))).values(**values))
            db.session.commit()

        self._run(change)

    def set_setting(self, key: str, value) -> None:
        from app.services.settings import set_setting

        def change(db):
            set_setting(key, value)
            db.session.commit()

        self._run(change)

    def add(self, model, **values) -> int:
        def change(db):
            row = model(**values)
            db.session.add(row)
            db.session.commit()
            return getattr(row, "id", None)

        return self._run(change)

    def add_webhook(self, name: str, url: str, fmt: str = "generic", department: str | None = None):
        from app.models import Webhook

        department_id = self.department_id(department) if department else None
        return self.add(Webhook, name=name, url=url, format=fmt, department_id=department_id)

    # --- acting

    def cli(self, *args: str):
        """Run a `flask …` command in-process; returns click's Result."""
        return self.app.test_cli_runner().invoke(args=list(args))

    def tick(self, at: str) -> dict:
        """`flask reminders tick --at AT --json` → its JSON result."""
        result = self.cli("reminders", "tick", "--at", at, "--json")
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)

    def act(self, username: str, function: str, *args, **kwargs):
        """Call a case act of the services as a demo user (the real service)."""
        from app.security import actor_for
        from tests.integration.fixtures_workflow import service_act

        def run(db):
            user = self.app.appbuilder.sm.find_user(username=username)
            result = service_act(function)(*args, actor_for(user), **kwargs)
            return getattr(result, "id", result)

        return self._run(run)

    def call(self, fn_path: str, *args, **kwargs):
        """Call a service function (module:function) in an app context."""
        import importlib

        module, name = fn_path.split(":")

        def run(db):
            return getattr(importlib.import_module(module), name)(*args, **kwargs)

        return self._run(run)

    # --- reading

    def notifications(self, **filters) -> list[dict]:
        """`list_notifications` rows, optionally filtered by case_id, username, kind."""
        from app.services.notifications import list_notifications

        return self._run(lambda db: list_notifications(**filters))

    def deliveries(self) -> list[dict]:
        from app.models import NotificationDelivery

        return self._run(
            lambda db: [
                {c.name: getattr(d, c.name) for c in NotificationDelivery.__table__.columns}
                for d in db.session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id))
            ]
        )

    def count(self, model, *where) -> int:
        from sqlalchemy import func

        return self._run(
            lambda db: db.session.scalar(select(func.count()).select_from(model).where(*where))
        )


def make_app(app, broker_url: str, **config):
    """Another app on the test database with its own Celery broker (and mail to `config`).

    The session `app` stays Celery's default app, so other tests' `.delay()` are unaffected.
    """
    from app import create_app
    from tests.integration.conftest import TEST_DATABASE_URL

    celery = {**app.config["CELERY"], "broker_url": broker_url}
    other = create_app(
        SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL, TESTING=True, WTF_CSRF_ENABLED=False,
        CELERY=celery, **config,
    )
    app.extensions["celery"].set_default()
    return other


@pytest.fixture(scope="session")
def isolated_app(app, smtp_server):
    """The app with mail to `smtp_server` and a broker nobody listens on (a closed port).

    In-process tests of relay and delivery use it, so that no Celery worker running in the
    same session (the shared one) can take their rows first: every after-commit enqueue
    fails fast and is logged, exactly as during a Redis outage.
    """
    from tests.integration.fixtures_celery import free_port

    return make_app(
        app, f"redis://127.0.0.1:{free_port()}/0",
        MAIL_ENABLED=True, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port,
    )


def at_shanghai(day: str, time: str = "09:30") -> dt.datetime:
    """An aware instant at office time."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


@pytest.fixture()
def timers(isolated_app, fresh_db):
    """TimerHelper on `isolated_app` and a fresh copy of the seeded database."""
    return TimerHelper(isolated_app)


@pytest.fixture()
def iclient(isolated_app):
    """A test client of `isolated_app`."""
    return isolated_app.test_client()


@pytest.fixture()
def iapi(iclient):
    """`iapi(username)` → bearer headers for `iclient`."""
    from tests.integration.conftest import api_token

    tokens: dict[str, dict] = {}

    def headers(username: str) -> dict:
        if username not in tokens:
            tokens[username] = {"Authorization": f"Bearer {api_token(iclient, username)}"}
        return tokens[username]

    return headers


@pytest.fixture()
def send_any_time(timers):
    """Let deliveries go out whatever the wall clock says (tests run at any hour)."""
    timers.set_setting("notifications.office_hours_only", False)
    return timers
