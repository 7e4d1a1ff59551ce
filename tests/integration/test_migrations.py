"""Migrations go down and up again on a database holding the whole 2024 plan (issue 15, item 6).

A copy of the seeded database (plan, cases, indicators, demo users) is downgraded one
revision at a time to the initial schema and upgraded back to head; the plan's rows are all
still there and the app reads them.
"""

from __future__ import annotations

from sqlalchemy import func, select, text

from tests.integration.conftest import SEED_DB, URL, recreate_database

MIGRATION_DB = f"{URL.database}_migrations"


def _counts(db):
    from flask_appbuilder.security.sqla.models import User

    from app.models import Action, Case, Goal, Indicator

    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Action, Case, Goal, Indicator, User)}


def test_every_migration_goes_down_and_up_with_the_plan_in_place(app, seed_database):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db

    recreate_database(MIGRATION_DB, template=SEED_DB)
    target = create_app(
        SQLALCHEMY_DATABASE_URI=URL.set(database=MIGRATION_DB).render_as_string(hide_password=False),
        TESTING=True,
    )
    app.extensions["celery"].set_default()
    try:
        with target.app_context():
            before = _counts(db)
            assert before["Case"] > 100
            # The old schema (below a11c0de0001a) cannot hold an indicator without a numeric
            # target: that migration's downgrade deletes them, by design.
            from app.models import Indicator

            qualitative = db.session.scalar(
                select(func.count()).select_from(Indicator).where(Indicator.value.is_(None)))
            head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
            db.session.remove()
            steps = []
            while True:
                current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
                db.session.remove()
                if current == "dcb8d331120b":  # the initial schema: below it is an empty database
                    break
                downgrade(revision="-1")
                steps.append(current)
            assert steps and steps[0] == head
            upgrade()
            assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
            after = _counts(db)
            assert after == {**before, "Indicator": before["Indicator"] - qualitative}
            db.session.remove()
            db.engine.dispose()
    finally:
        recreate_database(MIGRATION_DB)
    print(f"\nmigrations: {len(steps)} down and up on {before['Case']} cases; "
          f"{qualitative} qualitative indicators do not survive a downgrade below a11c0de0001a")
