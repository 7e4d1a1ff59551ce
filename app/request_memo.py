"""Values read once per request (or per CLI command / Celery task): settings, a user's plan.

A list page asked the database for the same absent setting five times and for the user's plan
four times (issue 14: statements per request). Values are kept on `flask.g` for the current
application context and dropped whenever the session commits, so a write is never hidden
from a later read: within one transaction the database cannot change under us, across a
commit we ask again. Only plain values (ids, JSON) are memoized, never ORM objects, which a
`session.remove()` would detach; `keep()` instead holds an object for the context so that
the session's identity map (weak references) still has it at the next `session.get()`.
"""

from __future__ import annotations

from typing import Any, Callable

from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "_duban_request_memo"


def memoized(key: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()` the first time `key` is asked for in this context, the kept value after."""
    if not has_app_context():
        return compute()
    store = g.setdefault(_KEY, {})
    if key not in store:
        store[key] = compute()
    return store[key]


def keep(obj: Any) -> Any:
    """Hold `obj` until the context ends (the identity map would otherwise drop it)."""
    if obj is not None and has_app_context():
        g.setdefault("_duban_kept", []).append(obj)
    return obj


def forget(key: tuple | None = None) -> None:
    """Drop one kept value (or all of them)."""
    if not has_app_context():
        return
    store = g.get(_KEY)
    if store is None:
        return
    if key is None:
        store.clear()
    else:
        store.pop(key, None)


@event.listens_for(Session, "after_commit")
def _forget_after_commit(_session) -> None:
    forget()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(_session) -> None:
    forget()
