"""The working-day calendar in force: State Council calendar plus the office's overrides.

Below the services: the reports (reply-by dates, the RAG of a past day) read it too.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import CalendarOverride
from app.request_memo import memoized
from app.settings import get_setting
from workflows.calendar import WorkingDayCalendar

# Years the office has entered itself (holidays and make-up days as overrides) before the
# chinesecalendar package knows them; edited on the reminder settings page.
OFFICE_YEARS_KEY = "calendar.office_years"


def current_calendar() -> WorkingDayCalendar:
    """The calendar with every override from the admin's CalendarOverride table (read once
    per request: a list page asks for it for the light's thresholds and for its rows)."""
    return memoized(("working_day_calendar",), _read_calendar)


def _read_calendar() -> WorkingDayCalendar:
    overrides = {
        row.date: row.is_working_day for row in db.session.scalars(select(CalendarOverride))
    }
    office_years = [int(y) for y in get_setting(OFFICE_YEARS_KEY, []) or []]
    return WorkingDayCalendar(overrides=overrides, office_years=office_years)
