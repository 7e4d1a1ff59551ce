"""Delivery by email (a real SMTP server) and webhooks (a real HTTP server), in-process.

Time is passed explicitly to the delivery service. Worker-based delivery and the fault
tests (SIGKILL, Redis outage) are in test_notifications_faults.py.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select

from app.models import NotificationDelivery, NotificationPreference
from tests.integration.fixtures_timers import at_shanghai

DELIVER = "app.services.delivery:deliver_pending"


def _overdue_case(timers) -> int:
    """One worker1 case due Monday 2024-02-19; on 02-26 overdue with both escalations."""
    case_id = timers.worker1_cases()[0]
    timers.set_cases([case_id], deadline=dt.date(2024, 2, 19), start_date=dt.date(2024, 1, 1))
    return case_id


def _office_wants_a_mail_per_reminder(timers) -> None:
    """The office's default is one daily digest; these tests follow each mail."""
    timers.add(NotificationPreference, user_id=timers.user_id("office"), email=True, in_app=True,
               daily_digest=False)


def test_each_notification_is_mailed_once_to_its_recipient(timers, smtp_server):
    smtp_server.clear()
    _office_wants_a_mail_per_reminder(timers)
    case_id = _overdue_case(timers)
    timers.tick("2024-02-26T09:30")  # overdue → worker1, escalations → lead1 and office
    first = timers.call(DELIVER, at_shanghai("2024-02-26", "09:31"))
    again = timers.call(DELIVER, at_shanghai("2024-02-26", "09:40"))
    assert (first.delivered, again.delivered) == (3, 0)
    mails = smtp_server.messages
    assert sorted(m["To"] for m in mails) == [
        "lead1@duban.local", "office@duban.local", "worker1@duban.local",
    ]
    mail = next(m for m in mails if m["To"] == "worker1@duban.local")
    assert mail["Subject"].startswith("【逾期提醒】") and "已超过完成时限5个工作日" in mail["Subject"]
    assert "牵头单位：区商务局" in mail.get_content()
    assert mail["Message-ID"].startswith("<duban-delivery-") and mail["X-Duban-Delivery"]
    assert len({m["Message-ID"] for m in mails}) == 3
    assert all(d["status"] == "delivered" and d["attempts"] == 1 for d in timers.deliveries())
    assert {r["case_id"] for r in timers.notifications()} == {case_id}


def test_messages_wait_for_office_hours_on_working_days(timers, smtp_server):
    smtp_server.clear()
    _office_wants_a_mail_per_reminder(timers)
    _overdue_case(timers)
    timers.tick("2024-02-26T09:30")
    saturday = timers.call(DELIVER, at_shanghai("2024-03-02", "10:00"))
    evening = timers.call(DELIVER, at_shanghai("2024-02-26", "18:00"))
    assert (saturday.skipped, evening.skipped) == ("outside_office_hours", "outside_office_hours")
    assert smtp_server.messages == []
    assert timers.call(DELIVER, at_shanghai("2024-02-27", "09:00")).delivered == 3
    assert len(smtp_server.messages) == 3


def test_webhooks_get_one_message_per_event_in_their_format(timers, webhook_server):
    case_id = _overdue_case(timers)
    timers.add_webhook("商务局群", webhook_server.url("/commerce"), "generic", "区商务局")
    timers.add_webhook("专班群", webhook_server.url("/wecom"), "wecom", "产业培塑行动专班")
    timers.add_webhook("督查室群", webhook_server.url("/dingtalk"), "dingtalk", "区政府督查室")
    timers.add_webhook("总览", webhook_server.url("/all"), "generic")
    timers.tick("2024-02-26T09:30")
    timers.call(DELIVER, at_shanghai("2024-02-26", "09:31"))

    commerce = webhook_server.calls_to("/commerce")
    assert len(commerce) == 1
    body = commerce[0].json
    assert (body["case_id"], body["kind"]) == (case_id, "overdue")
    assert body["id"] == commerce[0].headers["X-Duban-Delivery"] and body["recipients"] == ["经办人一"]
    assert body["title"].startswith("【逾期提醒】")

    wecom = webhook_server.calls_to("/wecom")
    assert len(wecom) == 1 and wecom[0].json["msgtype"] == "markdown"
    assert wecom[0].json["markdown"]["content"].startswith("### 【逾期督办】")
    dingtalk = webhook_server.calls_to("/dingtalk")
    assert len(dingtalk) == 1 and dingtalk[0].json["msgtype"] == "markdown"
    assert set(dingtalk[0].json["markdown"]) == {"title", "text"}
    assert "已逾期5个工作日" in dingtalk[0].json["markdown"]["title"]
    # A robot without department hears of every event once: overdue and two escalations.
    assert sorted(c.json["kind"] for c in webhook_server.calls_to("/all")) == [
        "escalation", "escalation", "overdue",
    ]
    timers.tick("2024-02-26T10:00")  # the same events again: nothing new to post
    timers.call(DELIVER, at_shanghai("2024-02-26", "10:01"))
    assert len(webhook_server.calls) == 6


def test_a_failing_webhook_is_retried_later_then_given_up(timers, webhook_server, iclient):
    from tests.integration.conftest import login

    _overdue_case(timers)
    timers.add_webhook("坏群", webhook_server.url("/fail"), "generic", "区商务局")
    timers.tick("2024-02-26T09:30")
    start = at_shanghai("2024-02-26", "09:31")
    first = timers.call(DELIVER, start)
    assert first.retrying == 1 and "HTTP 500" in first.errors[0]
    assert timers.call(DELIVER, start + dt.timedelta(minutes=1)).retrying == 0  # not yet
    for attempt in range(2, 6):
        timers.call(DELIVER, start + dt.timedelta(minutes=6 * attempt))
    hook = next(d for d in timers.deliveries() if d["channel"] == "webhook")
    assert (hook["status"], hook["attempts"]) == ("failed", 5)
    assert len(webhook_server.calls_to("/fail")) == 5
    login(iclient, "admin")
    status = iclient.get("/reminders/status").get_data(as_text=True)
    assert "投递失败的消息" in status and "HTTP 500" in status


def test_a_daily_digest_replaces_one_mail_per_case(timers, smtp_server):
    smtp_server.clear()
    worker1 = timers.user_id("worker1")
    timers.add(NotificationPreference, user_id=worker1, email=True, in_app=True, daily_digest=True)
    cases = timers.worker1_cases()
    timers.set_cases(cases, deadline=dt.date(2024, 2, 19), start_date=dt.date(2024, 1, 1))
    timers.tick("2024-02-26T09:30")
    timers.call(DELIVER, at_shanghai("2024-02-26", "09:45"))  # before the digest time (10:00)
    # lead1 gets a mail per case; worker1 (by choice) and the office (by default) wait.
    assert Counter(m["To"] for m in smtp_server.messages) == {"lead1@duban.local": len(cases)}
    assert timers.call(DELIVER, at_shanghai("2024-02-26", "10:05")).digests == 2
    assert timers.call(DELIVER, at_shanghai("2024-02-26", "11:00")).digests == 0
    digest = [m for m in smtp_server.messages if m["To"] == "worker1@duban.local"]
    assert len(digest) == 1
    assert digest[0]["Subject"] == f"【督办提醒汇总】2024年2月26日，共 {len(cases)} 条"
    assert digest[0].get_content().count("【逾期提醒】") == len(cases)
    assert timers.count(NotificationDelivery, NotificationDelivery.status == "pending") == 0


def test_a_department_can_choose_the_daily_digest_for_its_members(timers, smtp_server):
    """区商务局 opts in: worker1 gets one digest, not a mail per overdue case."""
    from app.models import Department

    smtp_server.clear()

    def opt_in(db):
        department = db.session.scalar(select(Department).where(Department.name == "区商务局"))
        department.daily_digest = True
        db.session.commit()

    timers._run(opt_in)
    cases = timers.worker1_cases()
    timers.set_cases(cases, deadline=dt.date(2024, 2, 19), start_date=dt.date(2024, 1, 1))
    timers.tick("2024-02-26T09:30")
    timers.call(DELIVER, at_shanghai("2024-02-26", "09:45"))
    assert not [m for m in smtp_server.messages if m["To"] == "worker1@duban.local"]
    assert timers.call(DELIVER, at_shanghai("2024-02-26", "10:05")).digests == 2  # and the office's
    digest = [m for m in smtp_server.messages if m["To"] == "worker1@duban.local"]
    assert len(digest) == 1
    assert digest[0].get_content().count("【逾期提醒】") == len(cases)


def test_the_office_gets_its_morning_reminders_as_one_digest_by_default(timers, smtp_server, iclient):
    """A tick with many due cases: the office, which never chose, gets one mail, not one per case."""
    from tests.integration.conftest import login

    smtp_server.clear()
    cases = timers.worker1_cases()
    assert len(cases) >= 5
    timers.set_cases(cases, deadline=dt.date(2024, 2, 19), start_date=dt.date(2024, 1, 1))
    timers.tick("2024-02-26T09:30")  # every case escalated to the office (5 working days late)
    office = timers.user_id("office")
    assert len(timers.notifications(username="office")) == len(cases)
    assert timers.count(NotificationPreference, NotificationPreference.user_id == office) == 0

    # What asks the office to decide now still comes as its own mail: an extension request.
    timers.act("worker1", "apply_transition", cases[0], transition="accept")
    timers.act("worker1", "request_extension", cases[0], new_deadline="2024-03-29", reason="设备到货推迟")
    timers.call("app.services.relay:relay_pending")

    timers.call(DELIVER, at_shanghai("2024-02-26", "09:45"))
    to_office = [m for m in smtp_server.messages if m["To"] == "office@duban.local"]
    assert [m["Subject"][:6] for m in to_office] == ["【延期申请】"]
    assert Counter(m["To"] for m in smtp_server.messages)["worker1@duban.local"] == len(cases)
    timers.call(DELIVER, at_shanghai("2024-02-26", "10:05"))
    timers.call(DELIVER, at_shanghai("2024-02-26", "11:00"))
    office_mail = [m for m in smtp_server.messages if m["To"] == "office@duban.local"
                   and m["Subject"].startswith("【督办提醒汇总】")]
    assert len(office_mail) == 1
    assert office_mail[0]["Subject"] == f"【督办提醒汇总】2024年2月26日，共 {len(cases)} 条"
    assert office_mail[0].get_content().count("【逾期督办】") == len(cases)

    # Its preferences page says so, and the office may choose a mail per reminder instead.
    login(iclient, "office")
    page = iclient.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="daily_digest" value="1" checked' in page and "督查室默认接收每日汇总" in page
