"""The one way Duban writes dates, times and numbers, in pages, reports, lists and messages.

- dates as official documents write them: 2024年7月1日 (`date_zh`), 7月1日 (`month_day_zh`);
- stored UTC times in the office's time zone, to the minute: 2024-07-01 09:30 (`local_datetime`);
- numbers as written, without trailing zeros: 4.5 for Decimal('4.5000'), 20 for 20.0000
  (`plain_number`); percentages: 85% (`percent_text`).

Registered as Jinja filters by `init_app` (the reports' templates use the same environment).
Below the services: app/reports and the views import it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import Flask

from app.clock import to_local

__all__ = ["FILTERS", "date_zh", "history_summary", "init_app", "local_datetime", "month_day_zh", "percent_text",
           "plain_number"]


def date_zh(day: dt.date | None) -> str:
    """2024年7月1日 ("" for no date)."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def month_day_zh(day: dt.date | None) -> str:
    """7月1日 ("" for no date)."""
    if day is None:
        return ""
    return f"{day.month}月{day.day}日"


def local_datetime(value: dt.datetime | None) -> str:
    """A stored UTC datetime in the office's time zone, to the minute: 2024-07-01 09:30."""
    if value is None:
        return ""
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def plain_number(value) -> str:
    """A number as written: 8.5 for Decimal('8.5000'), 20 for Decimal('20.0000'), "" for none."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return format(number.normalize(), "f")


def history_summary(entry) -> str:
    """One line saying what a history entry records: 签收：已交办 → 办理中, 催办 …"""
    from app.labels import HISTORY_KIND_LABELS, STATE_LABELS, TRANSITION_LABELS, label

    if entry.kind == "transition":
        return (f"{label(TRANSITION_LABELS, entry.transition)}：{label(STATE_LABELS, entry.from_state)}"
                f" → {label(STATE_LABELS, entry.to_state)}")
    return label(HISTORY_KIND_LABELS, entry.kind)


def percent_text(value) -> str:
    """85% for 85, 12.5% for Decimal('12.50'); "" for none."""
    text = plain_number(value)
    return f"{text}%" if text else ""


FILTERS = {
    "date_zh": date_zh,
    "month_day_zh": month_day_zh,
    "local_datetime": local_datetime,
    "duban_local": local_datetime,  # the name the notification pages used first
    "plain_number": plain_number,
    "percent_text": percent_text,
}


def init_app(app: Flask) -> None:
    """Register the formatting functions as Jinja filters."""
    app.jinja_env.filters.update(FILTERS)
