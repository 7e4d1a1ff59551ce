"""Reminder timers (beat: every 15 minutes)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task


@shared_task(name="reminders.tick")
def tick(at: str | None = None) -> dict:
    """Evaluate every reminder rule at `at` (ISO datetime; default now) and record what is due."""
    from app.services.reminders import run_reminders

    moment = dt.datetime.fromisoformat(at) if at else dt.datetime.now(dt.UTC)
    return run_reminders(moment).as_dict()
