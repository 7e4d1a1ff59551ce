"""Configurable rule values kept in the Setting table, with code defaults.

Below the services: the reports and the access policy read settings too.
"""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import Setting


def get_setting(key: str, default: Any) -> Any:
    """The stored value of a setting, or the default when none is stored."""
    row = db.session.get(Setting, key)
    return default if row is None else row.value


def set_setting(key: str, value: Any, description: str = "") -> None:
    """Store a setting in the current transaction (the caller commits)."""
    row = db.session.get(Setting, key) or Setting(key=key, description=description)
    row.value = value
    db.session.add(row)
