"""The working-day calendar in force and the office's clock, for the services.

Both live below the services (app/working_days.py, app/clock.py) so that the reports and the
access policy read them too; the names stay importable from here.
"""

from app.clock import local_now, local_today, office_zone
from app.working_days import OFFICE_YEARS_KEY, current_calendar

__all__ = ["OFFICE_YEARS_KEY", "current_calendar", "local_now", "local_today", "office_zone"]
