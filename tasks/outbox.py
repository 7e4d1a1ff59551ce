"""The outbox relay (after each commit with events, and every 30 seconds by beat)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="outbox.relay_pending")
def relay_pending() -> dict:
    """Turn pending outbox events into notifications (idempotent)."""
    from app.services.relay import relay_pending as relay

    return relay().as_dict()
