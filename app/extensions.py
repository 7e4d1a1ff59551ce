"""Extension objects that can be shared between apps, initialised in create_app.

The AppBuilder is made per app in create_app (it keeps per-app view state);
reach it as `current_app.appbuilder`.
"""

import sqlite3

from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.replica import RoutingSession

# RoutingSession: reads inside app.replica.replica_reads() may go to a PostgreSQL replica.
db = get_sqla_class()(session_options={"class_": RoutingSession})
migrate = Migrate()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite (the zero-install default) is shared by web and worker: WAL, and wait on locks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
