"""Which deliveries are really failing, named for the status page (运行状态).

A target (an address, a webhook) is failing when its latest attempt failed and either it
failed at least `DELIVERY_ALERT_ATTEMPTS` times in a row since its last success or a message
to it was given up. One transient error that the next retry fixes is no fault; nor is an
old failure of a target that has since delivered again. The sending job is late when
messages wait and the job has not run for `SENDING_LATE_MINUTES` (beat or the worker is
down, or the task crashes before it starts — it records its run first).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.extensions import db
from app.models import NotificationDelivery, TimerRun, Webhook
from app.services.delivery import DELIVER_RUN
from app.services.notifications import DIGEST, EMAIL, WEBHOOK

ALERT_ATTEMPTS = 3  # failed attempts in a row before a target is a fault
SENDING_LATE_MINUTES = 10


@dataclass
class FailingTarget:
    """One address or robot whose messages do not get through."""

    channel: str  # email, digest, webhook
    target: str  # what the delivery rows name: an address or "webhook:<id>"
    recipient: str  # who, as the office reads it: user names and address, robot and unit
    attempts: int  # failed attempts in a row, since the last success
    since: dt.datetime | None  # naive UTC: the first of them
    last_error: str
    waiting: int  # messages still to be retried
    given_up: int  # messages no longer retried


def failing_targets() -> list[FailingTarget]:
    """The targets whose latest attempts failed, worst first."""
    alert = int(current_app.config.get("DELIVERY_ALERT_ATTEMPTS", ALERT_ATTEMPTS))
    errored = defaultdict(list)
    for row in db.session.scalars(
        select(NotificationDelivery).where(
            NotificationDelivery.last_error.is_not(None),
            NotificationDelivery.status.in_(("pending", "failed")),
        )
    ):
        errored[(row.channel, row.target)].append(row)
    if not errored:
        return []
    last_ok = _last_successes({target for _, target in errored})
    found = []
    for (channel, target), rows in errored.items():
        ok = last_ok.get((channel, target))
        rows = [r for r in rows if ok is None or (r.claimed_at and r.claimed_at > ok)]
        if not rows:
            continue  # delivered again since: no fault
        latest = max(rows, key=lambda r: (r.claimed_at or dt.datetime.min, r.id))
        # A digest's rows are tried together: one attempt each time, not one per row.
        attempts = (max if channel == DIGEST else sum)(r.attempts for r in rows)
        given_up = sum(1 for r in rows if r.status == "failed")
        if attempts < alert and not given_up:
            continue
        found.append(FailingTarget(
            channel=channel, target=target, recipient=recipient_of(channel, target),
            attempts=attempts,
            since=min((r.failing_since or r.claimed_at for r in rows if r.claimed_at), default=None),
            last_error=latest.last_error or "", waiting=len(rows) - given_up, given_up=given_up,
        ))
    return sorted(found, key=lambda f: (f.since or dt.datetime.max, f.target))


def _last_successes(targets: set[str]) -> dict[tuple[str, str], dt.datetime]:
    rows = db.session.execute(
        select(NotificationDelivery.channel, NotificationDelivery.target,
               func.max(NotificationDelivery.delivered_at))
        .where(NotificationDelivery.status == "delivered",
               NotificationDelivery.target.in_(list(targets)))
        .group_by(NotificationDelivery.channel, NotificationDelivery.target)
    ).all()
    return {(channel, target): at for channel, target, at in rows if at is not None}


def recipient_of(channel: str, target: str) -> str:
    """Users behind an address, or a robot with its unit and its address without secrets."""
    if channel == WEBHOOK:
        try:
            webhook = db.session.get(Webhook, int(target.removeprefix("webhook:")))
        except ValueError:
            webhook = None
        if webhook is None:
            return target
        unit = f"（{webhook.department}）" if webhook.department else ""
        return f"{webhook.name}{unit} {webhook.masked_url}"
    if channel in (EMAIL, DIGEST):
        names = db.session.scalars(
            select(User.first_name + User.last_name).where(User.email == target).order_by(User.id)
        ).all()
        return f"{'、'.join(names)} <{target}>" if names else target
    return target


def sending_late(now: dt.datetime) -> dict | None:
    """`{"last_run": naive UTC or None}` when messages wait and the sending job has not run
    for SENDING_LATE_MINUTES (None: it never ran); None when all is well."""
    waiting = db.session.scalar(
        select(NotificationDelivery.id)
        .where(NotificationDelivery.status == "pending",
               NotificationDelivery.channel.in_((EMAIL, WEBHOOK)))
        .limit(1)
    )
    if waiting is None:
        return None
    run = db.session.get(TimerRun, DELIVER_RUN)
    last = run.last_run_at if run is not None else None
    before = now.astimezone(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=SENDING_LATE_MINUTES)
    if last is not None and last >= before:
        return None
    return {"last_run": last}
