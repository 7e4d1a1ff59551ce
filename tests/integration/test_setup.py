"""`flask init` on an empty database, and refusing unsafe production settings."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from tests.integration.conftest import URL, recreate_database


def test_init_creates_schema_and_roles_and_is_idempotent():
    from app import create_app
    from app.extensions import db

    name = f"{URL.database}_init"
    recreate_database(name)
    app = create_app(SQLALCHEMY_DATABASE_URI=URL.set(database=name).render_as_string(hide_password=False))
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["init"])
        assert result.exit_code == 0, result.output
        assert "数据库已就绪" in result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"case", "case_history", "notification", "ab_user", "alembic_version"} <= tables
        roles = {r.name for r in app.appbuilder.sm.get_all_roles()}
        assert {"Admin", "Office", "TaskForceLead", "Caseworker", "Leader"} <= roles
        db.engine.dispose()


def test_production_refuses_to_start_without_secret_key():
    from app import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ENV_NAME="production", SECRET_KEY=None)


def test_demo_users_are_not_created_in_production(app):
    runner = app.test_cli_runner()
    app.config["ENV_NAME"] = "production"
    try:
        result = runner.invoke(args=["demo"])
    finally:
        app.config["ENV_NAME"] = "test"
    assert result.exit_code == 1
    assert "生产环境不创建演示用户" in result.output


def test_the_login_list_says_what_the_leader_may_do(app, restored_db):
    """scripts/run prints `flask demo`'s list: the leader is not read-only (领导批示, 签发)."""
    result = app.test_cli_runner().invoke(args=["demo", "--users-only"])
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if row.strip().startswith("leader"))
    assert "只读" not in result.output
    assert "领导批示" in line and "签发" in line
