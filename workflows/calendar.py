"""The official working-day calendar (工作日): weekends, holidays and make-up days (调休).

Built on the `chinese_calendar` package (the State Council notices for each year) plus the
office's own overrides. A date the calendar cannot answer for raises `UnknownCalendarYear`:
reminders must never be sent, or skipped, on a guess.

Counting convention used everywhere: `working_days_between(a, b)` counts the working days in
the half-open range (a, b] — "how many working days after `a`, up to and including `b`". So on
the deadline itself 0 working days remain, the day before (if a working day) 1, and a
deadline on a Saturday leaves 0 working days from Friday on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import cache
from types import MappingProxyType

import chinese_calendar

_ONE_DAY = timedelta(days=1)


class UnknownCalendarYear(LookupError):
    """No official calendar (and no office entry) exists for this date's year."""

    code = "unknown_calendar_year"
    message = (
        "The working-day calendar does not know the year %(year)s: update the chinesecalendar "
        "package or enter that year's holidays and make-up working days."
    )

    def __init__(self, year: int):
        self.year = year
        self.params = {"year": year}
        super().__init__(self.message % self.params)


@cache
def _package_is_workday(d: date) -> bool:
    # The package's answer for a date never changes within a process, and each call scans
    # all its holidays to validate the date (7,300 calls cost 13 ms on every list page).
    return chinese_calendar.is_workday(d)


@cache
def known_years() -> range:
    """Years the installed chinese_calendar package covers (e.g. 2004–2026)."""
    days = chinese_calendar.holidays
    return range(min(days).year, max(days).year + 1)


class WorkingDayCalendar:
    """Working days per the official calendar, with the office's overrides taking precedence."""

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        *,
        office_years: Iterable[int] = (),
    ):
        """Overrides map a date to True (working day) or False (holiday).

        `office_years` are years the package does not know but whose holidays and make-up days
        the office has entered as overrides (e.g. 2027 from the State Council notice, before
        the package is updated); their other days follow the ordinary Monday–Friday week.
        """
        self.overrides: Mapping[date, bool] = MappingProxyType(dict(overrides or {}))
        self.office_years = frozenset(office_years)
        self._cache: dict[date, bool] = {}  # chinese_calendar is slow-ish
        # Per year, the running count of working days from 1 January: counting the working
        # days between two dates is then a subtraction, not a walk over every day (a case
        # two years overdue cost 700 lookups on every page that showed it).
        self._running: dict[int, list[int]] = {}
        # add_working_days answered before: a report's or a list's light asks "n working days
        # after today" once per case, with the same today and n.
        self._added: dict[tuple[date, int], date] = {}

    def knows_year(self, year: int) -> bool:
        """Whether every date of `year` can be answered without a guess."""
        return year in known_years() or year in self.office_years

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a working day (including make-up working days)."""
        d = _as_date(d)
        cached = self._cache.get(d)
        if cached is None:
            cached = self._cache[d] = self._lookup(d)
        return cached

    def _lookup(self, d: date) -> bool:
        if d in self.overrides:
            return self.overrides[d]
        if d.year in known_years():
            return _package_is_workday(d)
        if d.year in self.office_years:
            return d.weekday() < 5
        raise UnknownCalendarYear(d.year)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before `d`."""
        return self.add_working_days(d, -1)

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` (before it when n < 0); `d` itself when n == 0.

        `d` need not be a working day: add_working_days(Saturday, 1) is the next working day.
        """
        key = (d, n)
        found = self._added.get(key)
        if found is not None:
            return found
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_working_day(d):
                remaining -= 1
        self._added[key] = d
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative (minus those in (b, a]) when b is before a."""
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        if a == b:
            return 0
        try:
            count = self._through(b) - self._through(a)
            for year in range(a.year, b.year):
                count += self._running_count(year)[-1]
            return count
        except UnknownCalendarYear:
            # A year only partly answerable (office overrides in a year the calendar does not
            # know): walk the days, so the error comes exactly where a day cannot be answered.
            return self._walk(a, b)

    def _walk(self, a: date, b: date) -> int:
        count = 0
        d = a
        while d < b:
            d += _ONE_DAY
            count += self.is_working_day(d)
        return count

    def _running_count(self, year: int) -> list[int]:
        """Working days from 1 January of `year` up to and including each day of it."""
        running = self._running.get(year)
        if running is None:
            running, count = [], 0
            d = date(year, 1, 1)
            while d.year == year:
                count += self.is_working_day(d)
                running.append(count)
                d += _ONE_DAY
            self._running[year] = running
        return running

    def _through(self, d: date) -> int:
        """Working days from 1 January of d's year up to and including `d`."""
        return self._running_count(d.year)[d.timetuple().tm_yday - 1]

    def working_days_until(self, d: date, deadline: date) -> int:
        """Working days left on `d` before `deadline`: 0 on the deadline, negative after it."""
        return self.working_days_between(d, deadline)

    def within_working_days(self, d: date, deadline: date, n: int) -> bool:
        """Whether at most `n` working days are left on `d` before `deadline`.

        Looks only n + 1 working days ahead, so a far deadline in a year the calendar does not
        know yet (a 2027 deadline seen in mid-2026) is "not near" rather than an error.
        """
        return self.add_working_days(d, n + 1) > deadline


def _as_date(d: date) -> date:
    # A datetime would silently miss the date-keyed overrides; its day depends on the zone.
    if isinstance(d, datetime):
        raise TypeError("expected a date, not a datetime; convert it in the office's time zone")
    return d
