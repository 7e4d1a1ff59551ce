"""FAB model pages as the office reads them: "—" for nothing, numbers as written, local times.

`DisplayInterface` is FAB's SQLAInterface whose list and show values are written the one
way app.formatting writes them: never "None", never "4.5000", never a UTC time with
microseconds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.fab_interface import Interface
from app.formatting import local_datetime, plain_number

DASH = "—"


def shown(value):
    """A value as a page shows it."""
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return value  # formatters (是/否) decide
    if isinstance(value, Decimal | float):
        return plain_number(value)
    if isinstance(value, dt.datetime):
        return local_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class DisplayInterface(Interface):
    """app.fab_interface.Interface with `shown` applied to every list and show value."""

    def _get_attr_value(self, item, col):
        return shown(super()._get_attr_value(item, col))


def model_titles(singular, plural) -> dict:
    """The four titles of a FAB model view, in the user's language."""
    return {"list_title": plural, "show_title": singular, "add_title": singular, "edit_title": singular}
