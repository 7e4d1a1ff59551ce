"""Duban (督办): the Flask application factory."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder

ROOT = Path(__file__).resolve().parents[1]


def create_app(config_object: str | object = "config.Config", **overrides) -> Flask:
    """Create and wire the app: config, database, AppBuilder, views, API, CLI, Celery."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"))
    app.config.from_object(config_object)
    app.config.update(overrides)
    init_config(app)
    from app import formatting

    formatting.init_app(app)
    # FAB's own security API declares filters on columns it cannot filter and warns
    # about it at every start; the noise hides real messages.
    logging.getLogger("flask_appbuilder.models.filters").setLevel(logging.ERROR)

    from app.extensions import db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        from app import api, views

        views.init_app(appbuilder)
        api.init_app(appbuilder)
        appbuilder.post_init()

    from app import accounts, cli, errors, translations_lookup, web_security
    from tasks.celery_app import celery_init_app

    accounts.init_app(app)
    errors.init_app(app)
    web_security.init_app(app)
    translations_lookup.init_app(app)
    cli.init_app(app)
    celery_init_app(app)
    return app


def init_config(app: Flask) -> None:
    """Derived settings; refuse to run in production without a SECRET_KEY."""
    from app.accounts import password_policy
    from app.security import fab_roles

    app.config["FAB_ROLES"] = fab_roles()
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_policy)
    app.config.setdefault("FAB_INDEX_VIEW", "app.views.plan.HomeView")
    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        # PostgreSQL's JIT compiles every query its planner costs high, such as the lists'
        # 红黄绿灯 counts (a CASE over every visible case): 12 ms of compiling for 3 ms of work
        # on every list page. Short OLTP queries never gain from it.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args["options"] = f"{connect_args.get('options', '')} -c jit=off".strip()
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}
    # The replica (app/replica.py) gets the primary's engine options (Flask-SQLAlchemy gives
    # binds none of SQLALCHEMY_ENGINE_OPTIONS); libpq `options` of its URL are kept.
    binds = dict(app.config.get("SQLALCHEMY_BINDS") or {})
    if isinstance(binds.get("replica"), str):
        from sqlalchemy.engine import make_url

        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        url = make_url(binds["replica"])
        if "options" in url.query and "connect_args" in options:
            connect_args = dict(options["connect_args"])
            connect_args["options"] = f"{url.query['options']} {connect_args.get('options', '')}".strip()
            options["connect_args"] = connect_args
        binds["replica"] = {**options, "url": url}
        app.config["SQLALCHEMY_BINDS"] = binds
    if not app.config.get("SECRET_KEY"):
        if app.config.get("ENV_NAME") == "production":
            raise RuntimeError(
                "SECRET_KEY is not set: refusing to start in production (DUBAN_ENV=production)."
            )
        app.config["SECRET_KEY"] = _development_secret_key(Path(app.config["UPLOAD_FOLDER"]).parent)
    for folder in ("UPLOAD_FOLDER", "REPORT_FOLDER"):
        Path(app.config[folder]).mkdir(parents=True, exist_ok=True)


def _development_secret_key(var_dir: Path) -> str:
    """A random key kept in var/ so development sessions survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
