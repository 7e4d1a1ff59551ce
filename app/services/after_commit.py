"""Enqueue Celery tasks after the database commit that made them necessary.

`enqueue_after_commit(name)` remembers a task name on the current session; when that
session commits, each remembered task is sent once by its stable name. Sending never
blocks or fails the user's request: one connection attempt, short socket timeouts, no
publish retries, errors logged and swallowed. Nothing is lost when the broker is down —
the rows the task would process stay in the database and the periodic beat task
(outbox.relay_pending, notifications.deliver_pending) picks them up later.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import current_app, has_app_context
from sqlalchemy import event

from app.extensions import db

log = logging.getLogger(__name__)

_PENDING = "duban_after_commit_tasks"
# Broker options for this one-off connection only (the worker keeps its own, patient ones).
# The worker's patient options (config.REDIS_TRANSPORT_OPTIONS) are merged under these: no
# retry on timeout and no health-check round trip for a request's one-off publish.
_FAST_FAIL = {"max_retries": 0, "socket_connect_timeout": 1, "socket_timeout": 2,
              "retry_on_timeout": False, "health_check_interval": 0}


def enqueue_after_commit(task_name: str, session=None) -> None:
    """Send the task `task_name` (no arguments) once the current transaction commits."""
    session = session or db.session()
    session.info.setdefault(_PENDING, set()).add(task_name)


# One open producer per process and thread, kept between requests: connecting afresh for
# every publish (socket, client, exchange declaration) cost 11 ms of a 37 ms transition.
# A fork (gunicorn, the worker's pool) or any error drops it; the next send reconnects.
_kept = threading.local()


def send_task_now(task_name: str, *args, **kwargs) -> bool:
    """Send a task by name right away; False (logged) when the broker cannot be reached."""
    if not has_app_context() or "celery" not in current_app.extensions:
        return False
    celery = current_app.extensions["celery"]
    try:
        producer = _producer(celery)
        celery.send_task(task_name, args=args, kwargs=kwargs, producer=producer, retry=False)
    except Exception as exc:  # the request must not fail; beat catches up
        _drop_producer()
        log.warning("Could not enqueue %s (the periodic task will catch up): %s", task_name, exc)
        return False
    return True


def _producer(celery):
    kept = getattr(_kept, "producer", None)
    if kept is not None and kept[0] == (os.getpid(), id(celery)):
        return kept[1]
    _drop_producer()
    connection = celery.connection_for_write(transport_options=_FAST_FAIL)
    _kept.producer = ((os.getpid(), id(celery)), connection.Producer())
    return _kept.producer[1]


def _drop_producer() -> None:
    kept = getattr(_kept, "producer", None)
    _kept.producer = None
    if kept is not None and kept[0][0] == os.getpid():
        try:
            kept[1].connection.close()
        except Exception:  # already broken: nothing to close
            pass


@event.listens_for(db.session, "after_commit")
def _send_after_commit(session) -> None:
    for name in sorted(session.info.pop(_PENDING, ())):
        send_task_now(name)


@event.listens_for(db.session, "after_soft_rollback")
def _forget_after_rollback(session, previous_transaction) -> None:
    if not previous_transaction.nested and previous_transaction.parent is None:
        # The outermost transaction rolled back: nothing it recorded was committed.
        session.info.pop(_PENDING, None)
