"""The working-day calendar in force: State Council calendar plus the office's overrides."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import CalendarOverride
from app.services.settings import get_setting
from workflows.calendar import WorkingDayCalendar

# Years the office has entered itself (holidays and make-up days as overrides) before the
# chinesecalendar package knows them; edited on the reminder settings page.
OFFICE_YEARS_KEY = "calendar.office_years"


def current_calendar() -> WorkingDayCalendar:
    """The calendar with every override from the admin's CalendarOverride table."""
    overrides = {
        row.date: row.is_working_day for row in db.session.scalars(select(CalendarOverride))
    }
    office_years = [int(y) for y in get_setting(OFFICE_YEARS_KEY, []) or []]
    return WorkingDayCalendar(overrides=overrides, office_years=office_years)


def office_zone() -> ZoneInfo:
    """The office's time zone (Asia/Shanghai by default)."""
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def local_now() -> dt.datetime:
    """Now, aware, in the office's time zone."""
    return dt.datetime.now(office_zone())


def local_today() -> dt.date:
    """Today's date in the office's time zone."""
    return local_now().date()
