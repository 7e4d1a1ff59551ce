"""The working-day calendar in force: State Council calendar plus the office's overrides."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import CalendarOverride
from workflows.calendar import WorkingDayCalendar


def current_calendar() -> WorkingDayCalendar:
    """The calendar with every override from the admin's CalendarOverride table."""
    overrides = {
        row.date: row.is_working_day for row in db.session.scalars(select(CalendarOverride))
    }
    return WorkingDayCalendar(overrides=overrides)


def office_zone() -> ZoneInfo:
    """The office's time zone (Asia/Shanghai by default)."""
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def local_now() -> dt.datetime:
    """Now, aware, in the office's time zone."""
    return dt.datetime.now(office_zone())


def local_today() -> dt.date:
    """Today's date in the office's time zone."""
    return local_now().date()
