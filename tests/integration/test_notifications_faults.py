"""End to end through a real Celery worker, and the fault tests of issue #4.

- A transition made over the API reaches the task-force lead by email and webhook: the
  after-commit enqueue → outbox.relay_pending → notifications.deliver_pending, in the worker.
- The worker is SIGKILLed in the middle of a delivery run (its SMTP conversation stalled at
  RCPT, before the server accepted the message) and restarted: every notification reaches the
  SMTP and webhook receivers exactly once.
- Redis is stopped while users make transitions: no request fails; once Redis is back and the
  periodic relay runs (sent here by hand, as beat does every 30 s), every notification arrives.

The fault tests run on a Redis of their own (`private_redis`), with their own app and worker,
so stopping or killing things never touches the shared worker or the machine's Redis.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from app.models import Notification, NotificationDelivery, NotificationPreference, OutboxEvent
from tests.integration.conftest import api_token
from tests.integration.fixtures_celery import wait_for
from tests.integration.fixtures_timers import TimerHelper, at_shanghai, make_app


@pytest.fixture()
def shared(app, fresh_db):
    """TimerHelper on the session app (whose broker is the shared worker's)."""
    helper = TimerHelper(app)
    helper.set_setting("notifications.office_hours_only", False)
    return helper


def _all_delivered(helper):
    return helper.count(NotificationDelivery, NotificationDelivery.status != "delivered") == 0


def test_a_submission_reaches_the_lead_through_the_worker(
    shared, client, api, celery_worker, smtp_server, webhook_server
):
    smtp_server.clear()
    shared.add_webhook("总览", webhook_server.url("/all"), "generic")
    case_id = shared.worker1_cases()[0]
    for body in ({"transition": "accept"}, {"transition": "submit", "comment": "已完成签约"}):
        response = client.post(
            f"/api/v1/case/{case_id}/transition", json=body, headers=api("worker1")
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    mails = smtp_server.wait_for(1)
    wait_for(lambda: webhook_server.calls_to("/all"), 30, message="the webhook call")
    assert [m["To"] for m in mails] == ["lead1@duban.local"]
    assert mails[0]["Subject"].startswith("【待核验】")
    assert webhook_server.calls_to("/all")[0].json["kind"] == "submitted"
    # Relay and deliver again, as beat would: still one of each.
    celery_worker.send("outbox.relay_pending")
    celery_worker.send("notifications.deliver_pending")
    wait_for(lambda: _all_delivered(shared), 30, message="all deliveries done")
    time.sleep(1)
    assert len(smtp_server.messages) == 1 and len(webhook_server.calls) == 1
    assert [r["kind"] for r in shared.notifications(case_id=case_id)] == ["submitted"]


def test_beat_ticks_through_the_worker(shared, celery_worker, smtp_server):
    smtp_server.clear()
    case_id = shared.worker1_cases()[0]
    shared.set_cases([case_id], deadline=shared_date("2024-02-19"))
    celery_worker.send("reminders.tick", "2024-02-06T09:30:00+08:00")
    mails = smtp_server.wait_for(1)
    assert mails[0]["To"] == "worker1@duban.local"
    assert "距完成时限还有5个工作日" in mails[0]["Subject"]
    assert [(r["kind"], r["day"]) for r in shared.notifications(case_id=case_id)] == [
        ("due_soon", "2024-02-06")
    ]


def shared_date(text):
    import datetime as dt

    return dt.date.fromisoformat(text)


def test_a_worker_killed_mid_delivery_delivers_each_notification_once(
    app, fresh_db, private_redis, celery_worker_factory, smtp_server, webhook_server
):
    fault_app = make_app(
        app, private_redis.url,
        MAIL_ENABLED=True, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port,
    )
    helper = TimerHelper(fault_app)
    helper.set_setting("notifications.office_hours_only", False)
    cases = helper.worker1_cases()
    helper.set_cases(cases, deadline=shared_date("2024-02-19"))
    helper.add_webhook("商务局群", webhook_server.url("/commerce"), "generic", "区商务局")
    helper.add_webhook("总览", webhook_server.url("/wecom-all"), "wecom")
    # The office would get one daily digest by default: here it asked for a mail per reminder.
    helper.add(NotificationPreference, user_id=helper.user_id("office"), email=True, in_app=True,
               daily_digest=False)
    worker = celery_worker_factory(private_redis.url, name="killed")
    smtp_server.clear()
    smtp_server.hold_after(5)

    # 02-26: each case overdue (worker1) and escalated to lead1 and to the office.
    helper.call("app.services.reminders:run_reminders", at_shanghai("2024-02-26"))
    expected = helper.count(Notification)
    assert expected == 3 * len(cases)
    wait_for(smtp_server.holding.is_set, 30, message="the sixth SMTP conversation to stall")
    worker.kill()
    smtp_server.release()
    time.sleep(0.5)
    assert len(smtp_server.messages) == 5  # the stalled one never got past RCPT
    assert helper.count(NotificationDelivery, NotificationDelivery.status == "delivered") == 5

    worker.start()
    worker.send("notifications.deliver_pending")  # what beat sends every minute
    wait_for(lambda: _all_delivered(helper), 60, message="every delivery after the restart")
    time.sleep(0.5)

    mails = smtp_server.messages
    assert len(mails) == expected
    assert len({m["Message-ID"] for m in mails}) == expected
    assert Counter(m["To"] for m in mails) == {
        "worker1@duban.local": len(cases), "lead1@duban.local": len(cases),
        "office@duban.local": len(cases),
    }
    commerce = webhook_server.calls_to("/commerce")  # worker1's overdue messages
    everything = webhook_server.calls_to("/wecom-all")  # every event
    assert len(commerce) == len({c.json["id"] for c in commerce}) == len(cases)
    assert len(everything) == len({c.headers["X-Duban-Delivery"] for c in everything}) == expected
    assert {d["attempts"] for d in helper.deliveries()} == {1}  # the killed claim left no trace


def test_redis_down_during_transitions_fails_no_request_and_loses_nothing(
    app, fresh_db, private_redis, celery_worker_factory, smtp_server, webhook_server
):
    web = make_app(
        app, private_redis.url,
        MAIL_ENABLED=True, MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port,
    )
    helper = TimerHelper(web)
    helper.set_setting("notifications.office_hours_only", False)
    helper.add_webhook("总览", webhook_server.url("/all"), "generic")
    worker = celery_worker_factory(private_redis.url, name="outage")
    client = web.test_client()
    tokens = {u: {"Authorization": f"Bearer {api_token(client, u)}"} for u in
              ("worker1", "lead1", "office")}
    case_id = helper.worker1_cases()[0]
    smtp_server.clear()

    private_redis.stop()
    steps = [
        ("worker1", "transition", {"transition": "accept"}),
        ("worker1", "transition", {"transition": "submit", "comment": "已完成签约"}),
        ("lead1", "transition", {"transition": "return", "comment": "缺少合同扫描件"}),
        ("office", "urge", {"comment": "请本周内补齐"}),
    ]
    for user, path, body in steps:
        started = time.monotonic()
        response = client.post(f"/api/v1/case/{case_id}/{path}", json=body, headers=tokens[user])
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        assert time.monotonic() - started < 2, "a broker outage must not slow requests down"
    assert helper.count(OutboxEvent, OutboxEvent.relayed_at.is_(None)) == 4
    assert helper.count(Notification) == 0

    private_redis.start()
    worker.wait_ready(60)  # the worker reconnects by itself
    worker.send("outbox.relay_pending")  # what beat sends every 30 seconds
    mails = smtp_server.wait_for(3, timeout=60)
    wait_for(lambda: _all_delivered(helper) and len(webhook_server.calls) >= 3, 60,
             message="every delivery")
    time.sleep(0.5)
    assert sorted((m["To"], m["Subject"].split("】")[0] + "】") for m in mails) == [
        ("lead1@duban.local", "【待核验】"),
        ("worker1@duban.local", "【催办】"),
        ("worker1@duban.local", "【退回】"),
    ]
    assert sorted(c.json["kind"] for c in webhook_server.calls) == ["returned", "submitted", "urge"]
    assert helper.count(OutboxEvent, OutboxEvent.relayed_at.is_(None)) == 0
