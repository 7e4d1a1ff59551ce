"""FAB model pages as the office reads them: "—" for nothing, numbers as written, local times.

`DisplayInterface` is FAB's SQLAInterface whose list and show values are written the one
way app.formatting writes them: never "None", never "4.5000", never a UTC time with
microseconds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.fab_interface import Interface
from app.formatting import local_datetime, plain_number
from app.request_memo import keep

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
    """app.fab_interface.Interface with `shown` applied to every list and show value.

    `preload`: the many-to-one relations a list shows (an indicator's goal, action and case),
    read for the whole page in one SELECT each; FAB would load them row by row (50 rows: 150
    statements)."""

    def __init__(self, obj, session=None, *, preload: tuple[str, ...] = ()):
        super().__init__(obj, session)
        self.preload = preload

    def query(self, *args, **kwargs):
        count, items = super().query(*args, **kwargs)
        for name in self.preload:
            _load_related(self.session, items, name)
        return count, items

    def _get_attr_value(self, item, col):
        return shown(super()._get_attr_value(item, col))


def _load_related(session, items, name: str) -> None:
    """Put the rows `items` refer to through the many-to-one `name` in the session, so that
    each row's `item.<name>` is found there instead of selected (they are kept for the
    request: the identity map holds them weakly)."""
    if not items:
        return
    relation = getattr(type(items[0]), name).property
    ((local, remote),) = relation.local_remote_pairs
    ids = {getattr(item, local.key) for item in items} - {None}
    if ids:
        keep(session.scalars(select(relation.mapper.class_).where(remote.in_(ids))).all())


def model_titles(singular, plural) -> dict:
    """The four titles of a FAB model view, in the user's language."""
    return {"list_title": plural, "show_title": singular, "add_title": singular, "edit_title": singular}
