"""Who is told about what (outbox relay), the notification centre, preferences and admin pages."""

from __future__ import annotations

import datetime as dt
import json

from app.models import CalendarOverride, Notification, OutboxEvent, Setting, Webhook
from tests.integration.conftest import login as _login

RELAY = "app.services.relay:relay_pending"


def login(client, username):
    """Sign in as `username`, signing out whoever was signed in (FAB ignores a second login)."""
    client.get("/logout/")
    return _login(client, username)


def _kinds(rows):
    return sorted((r["kind"], r["recipient"]) for r in rows)


def test_workflow_events_notify_the_people_concerned_once(timers):
    case_id = timers.worker1_cases()[0]
    timers.act("worker1", "apply_transition", case_id, transition="accept")
    timers.act("worker1", "apply_transition", case_id, transition="submit", comment="已完成签约")
    timers.call(RELAY)
    # The actor (worker1) is not told about their own acts; accepting tells nobody.
    assert _kinds(timers.notifications(case_id=case_id)) == [("submitted", "lead1")]

    timers.act("lead1", "apply_transition", case_id, transition="return", comment="缺少签约合同扫描件")
    timers.act("office", "urge", case_id, comment="请本周内补齐材料")
    timers.call(RELAY)
    timers.call(RELAY)  # a second relay (or a doubled beat) adds nothing
    rows = timers.notifications(case_id=case_id)
    assert _kinds(rows) == [("returned", "worker1"), ("submitted", "lead1"), ("urge", "worker1")]
    returned = next(r for r in rows if r["kind"] == "returned")
    urge = next(r for r in rows if r["kind"] == "urge")
    assert returned["title"].startswith("【退回】") and urge["title"].startswith("【催办】")
    assert timers.count(OutboxEvent, OutboxEvent.relayed_at.is_(None)) == 0

    # Reassigned to worker2's department: its caseworkers hear of it, worker1 no longer does.
    worker2_department = timers.department_id("区科学技术局")
    timers.act("office", "apply_transition", case_id, transition="reassign",
           new_department_id=worker2_department, comment="职责调整")
    timers.call(RELAY)
    assert ("assigned", "worker2") in _kinds(timers.notifications(case_id=case_id))


def test_extension_requests_and_decisions_notify_office_and_requester(timers):
    case_id = timers.worker1_cases()[0]
    timers.act("worker1", "apply_transition", case_id, transition="accept")
    extension_id = timers.act(
        "worker1", "request_extension", case_id, new_deadline="2025-03-31", reason="设备到货推迟"
    )
    timers.call(RELAY)
    assert _kinds(timers.notifications(case_id=case_id)) == [("extension_requested", "office")]
    timers.act("office", "decide_extension", extension_id, approve=True, comment="同意")
    timers.call(RELAY)
    decided = timers.notifications(case_id=case_id, kind="extension_decided")
    assert [(r["recipient"], r["title"][:7]) for r in decided] == [("worker1", "【延期已批准】")]
    assert "完成时限调整为2025年3月31日" in decided[0]["title"]


def test_a_notification_body_names_the_case_and_the_reason(timers, isolated_app):
    case_id = timers.worker1_cases()[0]
    timers.act("worker1", "apply_transition", case_id, transition="accept")
    timers.act("worker1", "apply_transition", case_id, transition="submit", comment="已完成")
    timers.act("lead1", "apply_transition", case_id, transition="return", comment="缺少签约合同扫描件")
    timers.call(RELAY)
    with isolated_app.app_context():
        from app.extensions import db

        note = db.session.query(Notification).filter_by(case_id=case_id, kind="returned").one()
        assert "事项：" in note.body and "牵头单位：区商务局" in note.body
        assert "缺少签约合同扫描件" in note.body
        db.session.remove()


def _overdue_everywhere(timers):
    """Every plan case is due 2024-12-31: on 2025-01-08 all are 5 working days late."""
    timers.tick("2025-01-08T09:30")
    return timers.notifications(username="worker1")


def test_the_notification_centre_shows_and_marks_only_ones_own(timers, iclient):
    mine = _overdue_everywhere(timers)
    others = timers.notifications(username="lead1")
    assert mine and others
    login(iclient, "worker1")
    page = iclient.get("/notifications/").get_data(as_text=True)
    assert mine[0]["title"] in page and others[0]["title"] not in page
    assert f'id="duban-unread-count">{len(mine)}<' in page

    # Someone else's notification: 404 and left unread.
    assert iclient.post(f"/notifications/read/{others[0]['id']}").status_code == 404
    assert timers.notifications(username="lead1")[0]["read_at"] is None

    iclient.post(f"/notifications/read/{mine[0]['id']}")
    assert f">{len(mine) - 1}<" in iclient.get("/notifications/").get_data(as_text=True)
    response = iclient.get(f"/notifications/open/{mine[1]['id']}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/caseview/show/{mine[1]['case_id']}")
    assert iclient.get(f"/notifications/open/{others[0]['id']}").status_code == 404
    iclient.post("/notifications/read-all")
    assert all(r["read_at"] for r in timers.notifications(username="worker1"))
    assert timers.notifications(username="lead1")[0]["read_at"] is None
    assert "duban-unread-count" not in iclient.get("/notifications/").get_data(as_text=True)


def test_the_notification_api_is_limited_to_the_caller(timers, iclient, iapi):
    mine = _overdue_everywhere(timers)
    other = timers.notifications(username="office")[0]
    listing = iclient.get("/api/v1/notification/", headers=iapi("worker1")).get_json()
    assert listing["count"] == len(mine) == listing["unread"]
    assert {n["id"] for n in listing["result"]} <= {r["id"] for r in mine}
    assert iclient.post(f"/api/v1/notification/{other['id']}/read", headers=iapi("worker1")).status_code == 404
    answer = iclient.post(f"/api/v1/notification/{mine[0]['id']}/read", headers=iapi("worker1"))
    assert answer.status_code == 200 and answer.get_json()["read_at"]
    unread = iclient.get("/api/v1/notification/unread_count", headers=iapi("worker1")).get_json()
    assert unread["unread"] == len(mine) - 1
    assert iclient.get("/api/v1/notification/").status_code == 401  # no token


def test_preferences_belong_to_each_user(timers, iclient, iapi):
    login(iclient, "worker1")
    iclient.post("/notifications/preferences", data={"in_app": "", "email": "1", "daily_digest": "1"})
    iclient.get("/logout/")  # from here on the bearer tokens speak, not the browser session
    pref = iclient.get("/api/v1/notification/preferences", headers=iapi("worker1")).get_json()
    assert pref == {"email": True, "in_app": False, "daily_digest": True}
    assert iclient.get("/api/v1/notification/preferences", headers=iapi("worker2")).get_json()["in_app"]
    bad = iclient.put("/api/v1/notification/preferences", headers=iapi("worker2"), json={"email": "no"})
    assert bad.status_code == 400 and "true 或 false" in bad.get_json()["message"]

    # In-app off: notifications are still recorded (for email) but arrive read — no badge.
    mine = _overdue_everywhere(timers)
    assert mine and all(r["read_at"] for r in mine)
    assert [d["channel"] for d in mine[0]["deliveries"]] == ["digest"]  # not one mail each


def test_cli_lists_notifications_as_json(timers):
    _overdue_everywhere(timers)
    case_id = timers.worker1_cases()[0]
    result = timers.cli("notifications", "list", "--json", "--case", str(case_id), "--user", "worker1")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 1
    row = rows[0]
    assert {"case_id", "kind", "recipient", "created_at", "day", "due_date", "title"} <= set(row)
    assert (row["case_id"], row["kind"], row["recipient"], row["day"]) == (
        case_id, "overdue", "worker1", "2025-01-08",
    )
    assert dt.datetime.fromisoformat(row["created_at"]).tzinfo is not None
    everyone = json.loads(timers.cli("notifications", "list", "--json").stdout)
    assert {"overdue", "escalation"} <= {r["kind"] for r in everyone}


def test_reminder_rules_are_edited_by_admins_and_validated(timers, iclient):
    login(iclient, "admin")
    form = {
        "reminders.due_soon_working_days": "5,3,x",
        "reminders.escalate_to_lead_after": "3",
        "reminders.escalate_to_office_after": "2",
        "reminders.stale_after_days": "10",
        "reminders.awaiting_verification_working_days": "3",
        "reminders.office_hours": "17:30-09:00",
        "notifications.office_hours_only": "1",
        "notifications.digest_time": "10:00",
        "urging.interval_working_days": "1",
        "calendar.office_years": "",
    }
    response = iclient.post("/reminders/", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请输入以逗号分隔的整数" in html and "办公时间的结束时间须晚于开始时间" in html
    assert timers.count(Setting, Setting.key.like("reminders.%")) == 0  # nothing half-saved

    form.update({"reminders.due_soon_working_days": "7, 3", "reminders.office_hours": "08:30-17:00",
                 "reminders.escalate_to_office_after": "6"})
    assert iclient.post("/reminders/", data=form).status_code == 302
    rules = timers.call("app.services.reminders:reminder_rules")
    assert rules.due_soon_working_days == (7, 3) and rules.escalate_to_office_after == 6
    assert rules.office_hours == (dt.time(8, 30), dt.time(17, 0))

    # The office reads the rules but cannot change them; caseworkers cannot even read them.
    login(iclient, "office")
    page = iclient.get("/reminders/").get_data(as_text=True)
    assert "7,3" in page and "只有系统管理员可以修改这些规则" in page
    denied = iclient.post("/reminders/", data={**form, "reminders.stale_after_days": "99"})
    assert denied.status_code == 403
    assert timers.call("app.services.reminders:reminder_rules").stale_after_days == 10
    login(iclient, "worker1")
    assert iclient.get("/reminders/").status_code == 403


def test_the_office_keeps_the_working_day_calendar(timers, iclient):
    login(iclient, "office")
    add = {"date": "2024-02-09", "is_working_day": "", "note": "区政府办通知：调休"}
    iclient.post("/calendaroverrideview/add", data=add)
    iclient.post("/calendaroverrideview/add", data=add)  # the same date again
    assert timers.count(CalendarOverride) == 1
    listing = iclient.get("/calendaroverrideview/list/").get_data(as_text=True)
    assert "2024-02-09（星期五）" in listing and "休息日" in listing
    assert timers.tick("2024-02-09T10:00")["skipped"] == "not_working_day"
    login(iclient, "worker1")
    iclient.post("/calendaroverrideview/add", data={**add, "date": "2024-02-05"})
    assert timers.count(CalendarOverride) == 1


def test_webhooks_are_configured_by_admins_only(timers, iclient):
    login(iclient, "office")
    iclient.post("/webhookview/add", data={"name": "督查室群", "url": "http://127.0.0.1:9/x",
                                          "format": "wecom", "active": "y"})
    assert timers.count(Webhook) == 0
    login(iclient, "admin")
    iclient.post("/webhookview/add", data={"name": "坏地址", "url": "file:///etc/passwd",
                                          "format": "generic", "active": "y"})
    assert timers.count(Webhook) == 0
    iclient.post("/webhookview/add", data={"name": "督查室群", "url": "http://127.0.0.1:9/x",
                                          "format": "wecom", "active": "y"})
    assert timers.count(Webhook) == 1
