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


# The Redis broker's connections: keepalive and bounded socket waits, so a dropped or
# half-open connection is noticed within seconds (health_check_interval pings an idle
# connection before use) and the worker reconnects instead of waiting on a dead socket.
# visibility_timeout: a message taken but not acknowledged (its worker died) is handed out
# again after this long; it exceeds the longest task (task_time_limit).
REDIS_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("BROKER_VISIBILITY_TIMEOUT", 3600)),
    "health_check_interval": 10,
    "socket_timeout": 15,
    "socket_connect_timeout": 5,
    "socket_keepalive": True,
    "retry_on_timeout": True,
}


class Config:
    """Settings shared by every environment, read when the class is defined."""

    ENV_NAME = os.environ.get("DUBAN_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{VAR_DIR / 'duban.sqlite'}"
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # A PostgreSQL streaming replica for read-only dashboards and report data (app/replica.py);
    # unset: they read the primary.
    SQLALCHEMY_BINDS = (
        {"replica": os.environ["DATABASE_REPLICA_URL"]} if os.environ.get("DATABASE_REPLICA_URL") else {}
    )
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
        else REDIS_TRANSPORT_OPTIONS,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "timezone": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "enable_utc": True,
        # A broker outage never ends a process: connect, and reconnect, for as long as it takes
        # (docs/reliability.md, "Timers that survive their broker").
        "broker_connection_retry": True,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        # A task running when the connection drops is left to finish (its message comes back
        # to the queue anyway: it cannot be acknowledged on the dead connection, and every task
        # is idempotent). Cancelling it instead kills it in the middle of a delivery: the
        # outage test saw a webhook sent twice that way.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        # No task runs unbounded: the soft limit raises inside the task, the hard one kills the
        # pool process (its message is then redelivered: acks_late + reject_on_worker_lost).
        "task_soft_time_limit": int(os.environ.get("TASK_SOFT_TIME_LIMIT", 900)),
        "task_time_limit": int(os.environ.get("TASK_TIME_LIMIT", 960)),
        # One beat sends at a time: a second one (a standby, or started by mistake) sends
        # nothing while the first holds a PostgreSQL advisory lock (tasks/beat.py).
        "beat_scheduler": "tasks.beat:LockedScheduler",
        # Beat's state file (last run of each entry) under var/, not the working directory.
        "beat_schedule_filename": str(VAR_DIR / "celerybeat-schedule"),
        "beat_schedule": {
            # Every 15 minutes: due reminders are claimed from the database, so a
            # missed or doubled beat neither loses nor repeats a message.
            "reminders-tick": {"task": "reminders.tick", "schedule": crontab(minute="*/15")},
            "outbox-relay": {
                "task": "outbox.relay_pending",
                "schedule": float(os.environ.get("OUTBOX_RELAY_SECONDS", 30)),
            },
            "notifications-deliver": {
                "task": "notifications.deliver_pending",
                "schedule": float(os.environ.get("DELIVERY_SECONDS", 60)),
            },
            # Reports whose worker died (still "running" past their time limit) are failed and
            # queued again.
            "reports-sweep": {
                "task": "reports.sweep_stale",
                "schedule": float(os.environ.get("REPORT_SWEEP_SECONDS", 120)),
            },
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

    # Seconds after which a "running" report has lost its worker (default: 17 minutes, past
    # the task's hard time limit); see app.services.reports.sweep_stale_reports.
    REPORT_RUNNING_TIMEOUT = os.environ.get("REPORT_RUNNING_TIMEOUT")

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
    # Behind HTTPS (the TLS-terminating proxy of docs/security.md) set DUBAN_TLS=1: cookies
    # become Secure and every response carries HSTS. DUBAN_PROXY_FIX=1 trusts the proxy's
    # X-Forwarded-For/-Proto (one hop).
    DUBAN_TLS = _bool("DUBAN_TLS")
    DUBAN_PROXY_FIX = _bool("DUBAN_PROXY_FIX")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE") or DUBAN_TLS
    SESSION_COOKIE_HTTPONLY = True
    # Accounts (app/accounts.py, docs/security.md). Lock-out per account…
    ACCOUNT_LOCKOUT_FAILURES = int(os.environ.get("ACCOUNT_LOCKOUT_FAILURES", 5))
    ACCOUNT_LOCKOUT_MINUTES = float(os.environ.get("ACCOUNT_LOCKOUT_MINUTES", 15))
    # …and a rate limit per address on the login form and the API login (Flask-Limiter, in
    # Redis when there is one). A Redis outage lets logins through (per-account lock-out,
    # kept in the database, still holds) rather than locking everybody out.
    AUTH_RATE_LIMITED = _bool("AUTH_RATE_LIMITED", True)
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "20 per 5 minute")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "duban-limits")
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
    FAB_PASSWORD_COMPLEXITY_ENABLED = True  # app.accounts.password_policy, set in create_app
    # Tokens: access 15 minutes (FAB's default), refresh 12 hours (was Flask-JWT's 30 days).
    JWT_ACCESS_TOKEN_EXPIRES = int(os.environ.get("JWT_ACCESS_TOKEN_SECONDS", 15 * 60))
    JWT_REFRESH_TOKEN_EXPIRES = int(os.environ.get("JWT_REFRESH_TOKEN_SECONDS", 12 * 3600))

    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD")
