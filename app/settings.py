"""Configurable rule values kept in the Setting table, with code defaults.

Below the services: the reports and the access policy read settings too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Setting
from app.request_memo import forget, memoized


def get_setting(key: str, default: Any) -> Any:
    """The stored value of a setting, or the default when none is stored."""
    # The table holds a few dozen rules: one SELECT of all of them per request instead of one
    # per setting read (a list page reads five, most of them never stored).
    stored = memoized(("settings",), _stored_values)
    return stored.get(key, default)


def _stored_values() -> dict[str, Any]:
    return {key: value for key, value in db.session.execute(select(Setting.key, Setting.value))}


def set_setting(key: str, value: Any, description: str = "") -> None:
    """Store a setting in the current transaction (the caller commits)."""
    row = db.session.get(Setting, key) or Setting(key=key, description=description)
    row.value = value
    db.session.add(row)
    forget(("settings",))
