"""Report generation: one report on demand, and the periodic reports on schedule (beat)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task


@shared_task(name="reports.generate", acks_late=True, soft_time_limit=900)
def generate(report_id: int) -> str | None:
    """Render one queued report (idempotent: a report already claimed or done is left alone)."""
    from app.services.reports import generate_report

    report = generate_report(report_id)
    return report.status if report else None


@shared_task(name="reports.generate_scheduled")
def generate_scheduled(today: str | None = None) -> list[int]:
    """Queue the dekad, monthly and quarterly reports due by `today` (ISO date; default today)."""
    from app.services.reports import schedule_due_reports

    return schedule_due_reports(dt.date.fromisoformat(today) if today else None)


@shared_task(name="reports.sweep_stale")
def sweep_stale() -> list[int]:
    """Re-queue (or fail, after MAX_ATTEMPTS) reports whose worker died; resend lost ones."""
    from app.services.reports import sweep_stale_reports

    return sweep_stale_reports()
