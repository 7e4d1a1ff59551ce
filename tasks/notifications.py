"""Notification delivery (after each commit that planned deliveries, and every minute by beat)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="notifications.deliver_pending")
def deliver_pending() -> dict:
    """Send pending email, webhook and digest deliveries, each once."""
    from app.services.delivery import deliver_pending as deliver

    return deliver().as_dict()
