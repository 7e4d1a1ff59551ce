"""Integration fixtures: a real PostgreSQL database seeded with the 2024 plan and demo users.

The seeded database is built once per run as a template (`<name>_seed`); `fresh_db`
recreates the test database from it in well under a second, so every test that
changes data starts from the same state, even when a Celery worker shares it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

# Fixtures of each area, in their own modules.

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://duban:duban@127.0.0.1:5432/duban_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEMO_PASSWORD = "demo-Passw0rd"
VAR_DIR = Path(tempfile.mkdtemp(prefix="duban-test-"))

# config.py reads the environment when imported: set it before anything imports it.
os.environ.update(
    DATABASE_URL=TEST_DATABASE_URL,
    REDIS_URL=TEST_REDIS_URL,
    DUBAN_VAR_DIR=str(VAR_DIR),
    DEMO_PASSWORD=DEMO_PASSWORD,
    SECRET_KEY="test-secret-key-of-at-least-32-bytes",
    DUBAN_ENV="test",
    # Every test logs in from 127.0.0.1: the per-address login limit is tested with an app
    # of its own (tests/integration/test_accounts.py).
    AUTH_RATE_LIMIT="100000 per minute",
)

URL = make_url(TEST_DATABASE_URL)
TEST_DB = URL.database
SEED_DB = f"{TEST_DB}_seed"


def _admin_connection():
    return psycopg.connect(
        host=URL.host, port=URL.port or 5432, user=URL.username, password=URL.password,
        dbname="postgres", autocommit=True,
    )


def recreate_database(name: str, template: str | None = None) -> None:
    """Drop and create a database, optionally as a copy of a template."""
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def _database_url(name: str) -> str:
    return URL.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def seed_database():
    """Build the seeded template database once: schema, roles, plan, demo users."""
    from flask_appbuilder.security.manager import BaseSecurityManager
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.demo import create_demo
    from app.services.plans import load_plan

    recreate_database(SEED_DB)
    seed_app = create_app(SQLALCHEMY_DATABASE_URI=_database_url(SEED_DB))
    with seed_app.app_context():
        upgrade()
        BaseSecurityManager.create_db(seed_app.appbuilder.sm)
        seed_app.appbuilder.add_permissions(update_perms=True)
        db.session.commit()
        load_plan()
        create_demo(DEMO_PASSWORD)
        db.session.remove()
        db.engine.dispose()
    return SEED_DB


@pytest.fixture(scope="session")
def app(seed_database):
    """The app under test, on the test database."""
    from app import create_app

    recreate_database(TEST_DB, template=seed_database)
    application = create_app(SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL, TESTING=True, WTF_CSRF_ENABLED=False)
    return application


@pytest.fixture()
def fresh_db(app, seed_database):
    """A test database just like the seeded one, for tests that change data."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    recreate_database(TEST_DB, template=seed_database)
    yield
    with app.app_context():
        db.session.remove()


@pytest.fixture()
def restored_db(app, seed_database):
    """For tests whose changes must not reach later tests that read the seed without
    fresh_db (cases loaded into the seed plan, a demo user's changed password): the test
    database is recreated from the seed afterwards."""
    yield
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    recreate_database(TEST_DB, template=seed_database)


@pytest.fixture()
def app_ctx(app):
    """An application context for calling services directly."""
    from app.extensions import db

    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture()
def client(app):
    return app.test_client()


def login(client, username: str, password: str = DEMO_PASSWORD):
    """Sign in through the login form; return the response after redirects."""
    return client.post(
        "/login/", data={"username": username, "password": password}, follow_redirects=True
    )


def api_token(client, username: str, password: str = DEMO_PASSWORD) -> str:
    """A JWT access token from FAB's API login."""
    response = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": False},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


@pytest.fixture()
def api(client):
    """`api(username)` → headers with a bearer token for that demo user."""
    tokens: dict[str, dict] = {}

    def headers(username: str) -> dict:
        if username not in tokens:
            tokens[username] = {"Authorization": f"Bearer {api_token(client, username)}"}
        return tokens[username]

    return headers


class Statements:
    """The statements the app's engine runs inside the block."""

    def __init__(self, app):
        from app.extensions import db

        with app.app_context():
            self.engine = db.engine
        self.seen: list[str] = []

    def _count(self, _conn, _cursor, statement, *_args):
        self.seen.append(statement)

    def __enter__(self):
        self.seen.clear()
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.seen)
