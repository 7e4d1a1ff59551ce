"""Read-only work on a PostgreSQL replica (issue 14, scaling out).

DATABASE_REPLICA_URL (optional) names a second database, a streaming replica of the primary
(docs/performance.md, "Scaling out"); it becomes Flask-SQLAlchemy's bind "replica". Inside
`replica_reads()` (or a function decorated with `@reads_replica`), the session's reads go to
that engine; its flushes and any INSERT/UPDATE/DELETE statement still go to the primary.
Without DATABASE_REPLICA_URL there is no such bind and everything reads the primary, as before.

Used by the read-only pages and builders that can afford a replica's lag (a second or so):
the dashboard (app.services.dashboard) and the reports' data builders
(app.reports.build_context). Never for a page that reads what the same user just wrote.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar

from flask_sqlalchemy.session import Session

REPLICA_BIND = "replica"
_reading_replica: ContextVar[bool] = ContextVar("duban_reading_replica", default=False)


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, sending the reads of `replica_reads()` to the replica."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (bind is None and _reading_replica.get() and not self._flushing
                and not getattr(clause, "is_dml", False)):
            replica = self._db.engines.get(REPLICA_BIND)
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@contextmanager
def replica_reads():
    """Within this block, the session reads from the replica (if one is configured)."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reads_replica(function):
    """Decorator: the function's reads go to the replica (if one is configured)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper
