"""Delivering notifications by email, digest and webhook — each delivery once.

A delivery is claimed with SELECT … FOR UPDATE SKIP LOCKED and its row lock is held while
the message is handed over; `delivered` is committed right after the receiver accepted it.
So two workers never send the same row, and a worker killed (SIGKILL) before the receiver
accepted leaves no trace: its connection drops, PostgreSQL rolls the claim back and the row
is pending again for the next run. The one window left is between the receiver's "accepted"
and our commit (a single UPDATE): a kill exactly there resends the message with the same
idempotency key (docs/timers.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext
from sqlalchemy import or_, select

from app.clock import to_naive_utc
from app.extensions import db
from app.models import Notification, NotificationDelivery, Webhook
from app.services.calendar import current_calendar
from app.services.channels import ChannelError, OutgoingMessage, send_email, send_webhook
from app.services.notifications import DIGEST, EMAIL, WEBHOOK, date_text
from app.services.reminders import record_run, reminder_rules, sending_rules
from workflows.calendar import UnknownCalendarYear
from workflows.reminders import in_office_hours

log = logging.getLogger(__name__)

DELIVER_RUN = "notifications.deliver"
RETRY_SECONDS = 300  # a failed delivery is tried again after this long…
MAX_ATTEMPTS = 5  # …at most this many times, then it is marked failed


@dataclass
class DeliveryResult:
    """What one delivery run did."""

    skipped: str | None = None  # why nothing was sent (outside office hours, unknown year)
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def may_send(now: dt.datetime) -> str | None:
    """None when messages may go out at `now`; else the reason they wait."""
    if not sending_rules()["office_hours_only"]:
        return None
    try:
        if in_office_hours(now, reminder_rules(), current_calendar()):
            return None
    except UnknownCalendarYear as exc:
        log.error("Not sending notifications: %s", exc)
        return "unknown_calendar_year"
    return "outside_office_hours"


def deliver_pending(now: dt.datetime | None = None, *, limit: int = 500) -> DeliveryResult:
    """Send pending email and webhook deliveries, one row at a time, then due digests."""
    now = now or dt.datetime.now(dt.UTC)
    result = DeliveryResult(skipped=may_send(now))
    record_run(DELIVER_RUN)
    db.session.commit()
    if result.skipped:
        return result
    config = current_app.config
    retry_before = to_naive_utc(now) - dt.timedelta(
        seconds=int(config.get("DELIVERY_RETRY_SECONDS", RETRY_SECONDS))
    )
    for _ in range(limit):
        delivery = db.session.scalars(
            select(NotificationDelivery)
            .where(
                NotificationDelivery.status == "pending",
                NotificationDelivery.channel.in_((EMAIL, WEBHOOK)),
                or_(
                    NotificationDelivery.claimed_at.is_(None),
                    NotificationDelivery.claimed_at <= retry_before,
                ),
            )
            .order_by(NotificationDelivery.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if delivery is None:
            break
        try:
            _send(delivery)
        except ChannelError as exc:
            _failed(delivery, str(exc), now, result)
        except Exception as exc:  # a bug in one message must not block all the others
            log.exception("Delivery %s could not be sent", delivery.id)
            delivery_id = delivery.id
            db.session.rollback()
            delivery = db.session.get(NotificationDelivery, delivery_id, with_for_update=True)
            _failed(delivery, f"{type(exc).__name__}: {exc}", now, result)
        else:
            _delivered([delivery], now)
            result.delivered += 1
        db.session.commit()  # releases the row lock
    result.digests = send_digests(now)
    return result


def _send(delivery: NotificationDelivery) -> None:
    note = db.session.get(Notification, delivery.notification_id)
    message = OutgoingMessage(
        key=f"duban-delivery-{delivery.id}",
        title=note.title,
        text=note.body,
        kind=note.kind,
        case_id=note.case_id,
        extra={"notification_id": note.id, "day": note.day.isoformat()},
    )
    if delivery.channel == EMAIL:
        send_email(delivery.target, message)
        return
    webhook = db.session.get(Webhook, _webhook_id(delivery.target))
    if webhook is None or not webhook.active:
        raise ChannelError(gettext("The webhook was deleted or deactivated."))
    recipients = db.session.scalars(
        select(User.first_name + User.last_name)
        .join(Notification, Notification.recipient_id == User.id)
        .where(
            Notification.case_id == note.case_id,
            Notification.kind == note.kind,
            Notification.day == note.day,
            Notification.due_date == note.due_date if note.due_date else Notification.due_date.is_(None),
            Notification.milestone_key == note.milestone_key,
            Notification.source_key == note.source_key,
        )
        .order_by(User.id)
    )
    message = OutgoingMessage(**{**message.__dict__, "recipients": tuple(recipients)})
    send_webhook(webhook.url, webhook.format, message)


def _webhook_id(target: str) -> int | None:
    try:
        return int(target.removeprefix("webhook:"))
    except ValueError:
        return None


def _delivered(deliveries: list[NotificationDelivery], now: dt.datetime) -> None:
    stamp = to_naive_utc(now)
    for delivery in deliveries:
        delivery.status = "delivered"
        delivery.delivered_at = stamp
        delivery.claimed_at = stamp
        delivery.attempts += 1
        delivery.last_error = None
        delivery.failing_since = None


def _failed(delivery: NotificationDelivery, error: str, now: dt.datetime, result) -> None:
    delivery.attempts += 1
    delivery.claimed_at = to_naive_utc(now)
    delivery.failing_since = delivery.failing_since or delivery.claimed_at
    delivery.last_error = error[:2000]
    max_attempts = int(current_app.config.get("DELIVERY_MAX_ATTEMPTS", MAX_ATTEMPTS))
    if delivery.attempts >= max_attempts:
        delivery.status = "failed"
        result.failed += 1
    else:
        result.retrying += 1
    result.errors.append(f"{delivery.channel} {delivery.target}: {error}")
    log.warning("Delivery %s failed (attempt %s): %s", delivery.id, delivery.attempts, error)


# --- daily digest ---------------------------------------------------------------------------


def send_digests(now: dt.datetime) -> int:
    """At the digest time of a day, one email per address with its pending digest items.

    Items are those whose notification day has come; an address that already got today's
    digest waits until tomorrow, so nobody gets two digests a day.
    """
    rules = reminder_rules()
    local = now.astimezone(ZoneInfo(rules.timezone))
    digest_time = sending_rules()["digest_time"]
    if local.time() < digest_time:
        return 0
    today = local.date()
    cutoff = to_naive_utc(dt.datetime.combine(today, digest_time, tzinfo=local.tzinfo))
    due = [
        NotificationDelivery.channel == DIGEST,
        NotificationDelivery.status == "pending",
        Notification.day <= today,
    ]
    targets = db.session.scalars(
        select(NotificationDelivery.target)
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .where(*due)
        .distinct()
    )
    sent = 0
    for target in sorted(targets):
        rows = db.session.execute(
            select(NotificationDelivery, Notification)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .where(*due, NotificationDelivery.target == target)
            .order_by(Notification.day, Notification.id)
            .with_for_update(of=NotificationDelivery, skip_locked=True)
        ).all()
        already = db.session.scalar(
            select(NotificationDelivery.id).where(
                NotificationDelivery.channel == DIGEST,
                NotificationDelivery.target == target,
                NotificationDelivery.status == "delivered",
                NotificationDelivery.delivered_at >= cutoff,
            ).limit(1)
        )
        if not rows or already:
            db.session.rollback()  # release the locks
            continue
        deliveries = [d for d, _ in rows]
        ids = ",".join(str(d.id) for d in deliveries)
        message = OutgoingMessage(
            key="duban-digest-" + hashlib.sha256(ids.encode()).hexdigest()[:20],
            title=gettext(
                "[Daily digest] %(date)s: %(count)s notifications",
                date=date_text(today), count=len(rows),
            ),
            text="\n\n".join(f"{i}. {n.title}\n{n.body}" for i, (_, n) in enumerate(rows, 1)),
        )
        try:
            send_email(target, message)
        except ChannelError as exc:
            log.warning("Digest to %s failed (retried at the next run): %s", target, exc)
            stamp = to_naive_utc(now)  # recorded, for the status page; still pending
            for delivery in deliveries:
                delivery.attempts += 1
                delivery.claimed_at = stamp
                delivery.failing_since = delivery.failing_since or stamp
                delivery.last_error = str(exc)[:2000]
            db.session.commit()
            continue
        _delivered(deliveries, now)
        db.session.commit()
        sent += 1
    return sent


