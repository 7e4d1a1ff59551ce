"""The status page (运行状态) warns only about real faults and names the failing delivery.

A robot whose last attempts all failed is named with its unit, how many attempts failed,
since when and the last error; one failure that the next retry fixes, or a target that
delivers again, is no fault. Messages waiting for a sending job that never ran are a fault.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import update

from tests.integration.conftest import login
from tests.integration.fixtures_timers import at_shanghai

DELIVER = "app.services.delivery:deliver_pending"


def _overdue(timers) -> None:
    case_id = timers.worker1_cases()[0]
    timers.set_cases([case_id], deadline=dt.date(2024, 2, 19), start_date=dt.date(2024, 1, 1))
    timers.tick("2024-02-26T09:30")


def _status(iclient) -> str:
    login(iclient, "office")
    page = iclient.get("/reminders/status")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _alerts(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", a)).strip()
            for a in re.findall(r'<div class="alert alert-danger failing-delivery"[^>]*>(.*?)</div>',
                                page, re.S)]


def test_a_failing_robot_is_named_with_its_attempts_since_when_and_error(
        timers, webhook_server, smtp_server, iclient):
    timers.add_webhook("商务局工作群", webhook_server.url("/fail?key=SECRET123"), "generic", "区商务局")
    _overdue(timers)
    start = at_shanghai("2024-02-26", "09:31")
    timers.call(DELIVER, start)
    assert _alerts(_status(iclient)) == []  # one failure, to be retried: not yet a fault

    for attempt in range(2, 6):
        timers.call(DELIVER, start + dt.timedelta(minutes=6 * attempt))
    page = _status(iclient)
    alerts = _alerts(page)
    assert len(alerts) == 1, alerts  # the mails went through: only the robot is named
    alert = alerts[0]
    assert "群机器人" in alert and "商务局工作群（区商务局）" in alert
    assert "最近 5 次尝试均失败" in alert and "自 2024-02-26 09:31 起" in alert
    assert "HTTP 500" in alert and "1 条消息已停止重试" in alert
    assert "SECRET123" not in page  # the robot's key is write-only
    assert "webhook:" not in page and ">webhook<" not in page  # no internal names


def test_a_robot_that_delivers_again_is_no_longer_a_fault(timers, webhook_server, iclient):
    hook = timers.add_webhook("商务局工作群", webhook_server.url("/fail"), "generic", "区商务局")
    _overdue(timers)
    start = at_shanghai("2024-02-26", "09:31")
    for attempt in range(3):
        timers.call(DELIVER, start + dt.timedelta(minutes=6 * attempt))
    alerts = _alerts(_status(iclient))
    assert len(alerts) == 1 and "最近 3 次尝试均失败" in alerts[0] and "1 条消息将自动重试" in alerts[0]

    from app.models import Webhook

    def repair(db):
        db.session.execute(update(Webhook).where(Webhook.id == hook)
                           .values(url=webhook_server.url("/commerce")))
        db.session.commit()

    timers._run(repair)
    timers.call(DELIVER, start + dt.timedelta(minutes=20))
    assert len(webhook_server.calls_to("/commerce")) == 1
    page = _status(iclient)
    assert _alerts(page) == [] and "投递正常" in page


def test_messages_waiting_for_a_sending_job_that_never_ran_are_a_fault(timers, iclient):
    _overdue(timers)  # deliveries planned; nothing has sent them
    page = _status(iclient)
    assert "有邮件和群消息待发送，但发送任务从未运行" in page
    timers.call(DELIVER, at_shanghai("2024-02-26", "09:31"))
    assert "有邮件和群消息待发送" not in _status(iclient)
