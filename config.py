"""Configuration read from the environment.

Every setting has a development default except SECRET_KEY, which must be given in
production (DUBAN_ENV=production) — the app refuses to start without it.
"""

import os
from pathlib import Path

from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("DUBAN_VAR_DIR", BASE_DIR / "var"))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment, read when the class is defined."""

    ENV_NAME = os.environ.get("DUBAN_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{VAR_DIR / 'duban.sqlite'}"
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Workers outlive database restarts and test resets: check connections on checkout.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Celery: Redis in production and tests; without REDIS_URL the run command uses
    # kombu's filesystem transport, which needs no server (see stack-notes.md).
    REDIS_URL = os.environ.get("REDIS_URL")
    CELERY = {
        "broker_url": os.environ.get("CELERY_BROKER_URL")
        or os.environ.get("REDIS_URL")
        or "filesystem://",
        "broker_transport_options": {
            "data_folder_in": str(VAR_DIR / "broker"),
            "data_folder_out": str(VAR_DIR / "broker"),
            "processed_folder": str(VAR_DIR / "broker-processed"),
            "store_processed": False,
            # kombu's default is ./control in the working directory.
            "control_folder": str(VAR_DIR / "broker-control"),
        }
        if not (os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL"))
        else {"visibility_timeout": 3600},
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "timezone": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        # Beat's state file (last run of each entry) under var/, not the working directory.
        "beat_schedule_filename": str(VAR_DIR / "celerybeat-schedule"),
        "beat_schedule": {
            # Every 15 minutes: due reminders are claimed from the database, so a
            # missed or doubled beat neither loses nor repeats a message.
            "reminders-tick": {"task": "reminders.tick", "schedule": crontab(minute="*/15")},
            "outbox-relay": {"task": "outbox.relay_pending", "schedule": 30.0},
            "notifications-deliver": {"task": "notifications.deliver_pending", "schedule": 60.0},
            "reports-scheduled": {
                "task": "reports.generate_scheduled",
                "schedule": crontab(minute=30, hour=7),
            },
        },
    }

    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    UPLOAD_FOLDER = str(Path(os.environ.get("UPLOAD_FOLDER", VAR_DIR / "uploads")))
    REPORT_FOLDER = str(Path(os.environ.get("REPORT_FOLDER", VAR_DIR / "reports")))
    EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))
    MAX_CONTENT_LENGTH = EVIDENCE_MAX_BYTES + 1024 * 1024

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "duban@localhost")
    MAIL_ENABLED = _bool("MAIL_ENABLED", default=bool(os.environ.get("MAIL_SERVER")))
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", 30))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    # The site's public address for links in emails and robot messages (empty: no links).
    MAIL_LINK_BASE_URL = os.environ.get("MAIL_LINK_BASE_URL", "")

    # Flask-AppBuilder
    APP_NAME = "督办"
    APP_THEME = ""
    FAB_API_SWAGGER_UI = True
    FAB_ADD_SECURITY_API = True
    # Running processes never touch permissions; `flask init` syncs them once.
    FAB_UPDATE_PERMS = False
    FAB_CREATE_DB = False
    FAB_SECURITY_MANAGER_CLASS = "app.security.DubanSecurityManager"
    FAB_ROLES = {}  # filled from app.security.ROLE_PERMISSIONS in create_app
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_API_MAX_PAGE_SIZE = 200
    # Permissions are data (app.security.ROLE_PERMISSIONS): FAB's pages of permission and
    # view names (engineers' identifiers) are not offered.
    FAB_ADD_SECURITY_PERMISSION_VIEW = False
    FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
    FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "en": {"flag": "gb", "name": "English"},
    }
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Behind HTTPS in production, set SESSION_COOKIE_SECURE=1.
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    RATELIMIT_ENABLED = False

    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD")
