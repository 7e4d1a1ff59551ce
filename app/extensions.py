"""Extension objects that can be shared between apps, initialised in create_app.

The AppBuilder is made per app in create_app (it keeps per-app view state);
reach it as `current_app.appbuilder`.
"""

import sqlite3

from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine

db = get_sqla_class()()
migrate = Migrate()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite (the zero-install default) is shared by web and worker: WAL, and wait on locks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
