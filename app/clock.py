"""The one clock: the office's time zone (config TIMEZONE), its today and now, stored UTC.

Every DateTime column stores naive UTC (`utcnow`). What a person calls "today", a
deadline's day or "10:00" is the office's local time (Asia/Shanghai by default). Every
conversion between the two goes through here; nothing else builds a ZoneInfo.

Below the services: app/reports and app/access use it too.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"

__all__ = [
    "DEFAULT_TIMEZONE",
    "end_of_local_day",
    "local_day",
    "local_now",
    "local_today",
    "office_zone",
    "timezone_name",
    "to_local",
    "to_naive_utc",
    "utcnow",
]


def timezone_name() -> str:
    """The office's time zone name from the config (TIMEZONE), Asia/Shanghai without an app."""
    if has_app_context():
        return current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE)
    return DEFAULT_TIMEZONE


def office_zone() -> ZoneInfo:
    """The office's time zone."""
    return ZoneInfo(timezone_name())


def utcnow() -> dt.datetime:
    """Naive UTC now: every DateTime column stores UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local_now() -> dt.datetime:
    """Now, aware, in the office's time zone."""
    return dt.datetime.now(office_zone())


def local_today() -> dt.date:
    """Today's date in the office's time zone."""
    return local_now().date()


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored naive-UTC (or an aware) datetime as an aware datetime in office time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(office_zone())


def local_day(value: dt.datetime) -> dt.date:
    """The office's local day of a stored naive-UTC datetime."""
    return to_local(value).date()


def to_naive_utc(value: dt.datetime) -> dt.datetime:
    """An aware datetime as the naive UTC the columns store."""
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The naive-UTC instant at which local `day` ends (the start of the next local day)."""
    return to_naive_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=office_zone()))
