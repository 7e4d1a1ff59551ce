"""Celery beat's scheduler, with one beat sending at a time (issue 14, scaling out).

`beat_scheduler` (config.py) names `tasks.beat:LockedScheduler`: celery's own
PersistentScheduler (the schedule of config.py, the state file of --schedule), which sends a
due task only while its process holds a PostgreSQL session advisory lock. A second beat,
started by mistake or as a standby, keeps its schedule in step (every due entry is reserved
and moved on, as if sent) but sends nothing while the first holds the lock; when the first
dies, PostgreSQL ends its session and frees the lock at once, and the standby takes over at
its next due entry. Crontab entries (the reminder tick, the scheduled reports) fall on the
same wall-clock slots in both beats, so a takeover neither repeats nor shifts them.

The lock is checked before each send, on a connection of its own kept open for the life of
the beat (autocommit: never idle in a transaction). A lost connection (PostgreSQL restarted,
network cut) means a lost lock: that beat stops sending until it gets the lock again.

On SQLite (the run command's zero-install default) there is one process, the worker with
beat inside (`-B`): no lock is needed, and none is taken.
"""

from __future__ import annotations

import logging

from celery.beat import PersistentScheduler
from sqlalchemy import text

from app.extensions import db

logger = logging.getLogger("celery.beat")

# pg_try_advisory_lock's key: any 64-bit number no other code of Duban uses ("duban-beat").
BEAT_LOCK_KEY = 0x6475_6261_6E62_6561


class LockedScheduler(PersistentScheduler):
    """PersistentScheduler that sends only while it holds the beat lock."""

    _lock_connection = None
    _leader: bool | None = None

    def _engine(self):
        with self.app.flask_app.app_context():
            return db.engine

    def holds_lock(self) -> bool:
        engine = self._engine()
        if engine.dialect.name != "postgresql":
            return True
        held = False
        try:
            if self._lock_connection is not None and self._leader:
                # The lock lives as long as this session: a live session still holds it.
                self._lock_connection.execute(text("SELECT 1"))
                held = True
            else:
                if self._lock_connection is None:
                    self._lock_connection = engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT")
                held = bool(self._lock_connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": BEAT_LOCK_KEY}))
        except Exception:
            logger.warning("beat: the lock's database connection failed; not sending", exc_info=True)
            self._drop_connection()
            held = False
        if held != self._leader:
            logger.info("beat: %s", "holding the beat lock: sending due tasks" if held else
                        "another beat holds the beat lock: standing by (sending nothing)")
        self._leader = held
        return held

    def apply_entry(self, entry, producer=None):
        if self.holds_lock():
            return super().apply_entry(entry, producer=producer)
        logger.debug("beat: standby, not sending %s", entry.name)
        return None

    def _drop_connection(self):
        if self._lock_connection is not None:
            try:
                self._lock_connection.invalidate()
                self._lock_connection.close()
            except Exception:
                pass
        self._lock_connection = None

    def close(self):
        # Closing the session frees the lock for a standby without waiting for anything.
        self._drop_connection()
        super().close()
