"""Extension requests and decisions, urging, comments, and the admin's deadline change."""

from __future__ import annotations

import datetime as dt


def request_extension(wf, case_id, username="worker1", new_deadline="2025-03-31", reason="项目审批延后"):
    return wf.call(username, "POST", f"/api/v1/case/{case_id}/extension",
                   json={"new_deadline": new_deadline, "reason": reason})


def decide(wf, extension_id, username="office", approve=True, comment=None):
    return wf.call(username, "POST", f"/api/v1/extension/{extension_id}/decision",
                   json={"approve": approve, "comment": comment})


def test_extension_approved_moves_the_deadline_and_keeps_the_original(fresh_db, wf):
    from app.models import OutboxEvent

    case_id = wf.worker1_cases()[0]
    original = wf.case(case_id)["deadline"]
    response = request_extension(wf, case_id)
    assert response.status_code == 201, response.get_json()
    extension = response.get_json()["result"]
    assert extension["status"] == "pending" and extension["old_deadline"] == original.isoformat()

    # One pending request at a time.
    again = request_extension(wf, case_id, new_deadline="2025-06-30")
    assert again.status_code == 409 and again.get_json()["code"] == "extension_pending"
    # Only the office decides.
    assert decide(wf, extension["id"], "lead1").status_code == 403
    assert decide(wf, extension["id"], "worker1").status_code == 403
    assert decide(wf, extension["id"], "worker2").status_code == 404
    assert decide(wf, extension["id"], "leader").status_code == 403

    response = decide(wf, extension["id"], comment="同意延期")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["case"]["deadline"] == "2025-03-31"
    case = wf.case(case_id)
    assert case["deadline"] == dt.date(2025, 3, 31)
    assert case["original_deadline"] == original
    assert decide(wf, extension["id"]).status_code == 409  # decided once

    rows = wf.history(case_id)
    assert [r["kind"] for r in rows] == ["extension_request", "extension_decision"]
    assert rows[0]["comment"] == "项目审批延后"
    assert rows[0]["data"]["old_deadline"] == original.isoformat()
    assert rows[1]["data"] == {
        "extension_id": extension["id"], "approved": True,
        "old_deadline": original.isoformat(), "new_deadline": "2025-03-31",
    }
    assert wf.count(OutboxEvent, case_id=case_id, kind="extension.requested") == 1
    assert wf.count(OutboxEvent, case_id=case_id, kind="extension.decided") == 1
    # After the decision a new request may be made.
    assert request_extension(wf, case_id, new_deadline="2025-06-30").status_code == 201


def test_extension_refused_keeps_the_deadline_and_needs_a_reason(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    deadline = wf.case(case_id)["deadline"]
    extension_id = request_extension(wf, case_id).get_json()["result"]["id"]
    response = decide(wf, extension_id, approve=False)
    assert response.status_code == 422
    assert response.get_json()["message"] == "不同意延期时请填写理由。"
    response = decide(wf, extension_id, approve=False, comment="理由不充分")
    assert response.status_code == 200
    assert response.get_json()["result"]["status"] == "refused"
    assert wf.case(case_id)["deadline"] == deadline
    assert wf.history(case_id, "extension_decision")[0]["comment"] == "理由不充分"


BAD_EXTENSIONS = [
    ("worker1", {"new_deadline": "2024-12-31", "reason": "x"}, 422),  # not later
    ("worker1", {"new_deadline": "2024-02-30", "reason": "x"}, 422),  # no such day
    ("worker1", {"new_deadline": "2025-03-31"}, 422),  # no reason
    ("worker1", {"reason": "x"}, 400),
    ("lead1", {"new_deadline": "2025-03-31", "reason": "x"}, 403),
    ("office", {"new_deadline": "2025-03-31", "reason": "x"}, 403),
    ("worker2", {"new_deadline": "2025-03-31", "reason": "x"}, 404),
]


def test_bad_extension_requests(fresh_db, wf):
    from app.models import ExtensionRequest

    case_id = wf.worker1_cases()[0]
    for username, body, status in BAD_EXTENSIONS:
        response = wf.call(username, "POST", f"/api/v1/case/{case_id}/extension", json=body)
        assert response.status_code == status, (username, body, response.get_json())
    assert wf.count(ExtensionRequest, case_id=case_id) == 0
    assert wf.history(case_id) == []


def test_no_extension_once_verified(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, "verified")
    response = request_extension(wf, case_id)
    assert response.status_code == 409
    assert response.get_json()["message"] == "已核验的事项不能申请延期。"


def test_urge_by_office_and_task_force_lead(fresh_db, wf):
    from app.models import OutboxEvent

    case_id, other = wf.worker1_cases()[:2]
    for username, case in (("office", case_id), ("lead1", other)):
        response = wf.call(username, "POST", f"/api/v1/case/{case}/urge",
                           json={"comment": "请加快进度，按时报送"})
        assert response.status_code == 201, response.get_json()
    # worker1/admin may not urge; worker2 does not see it; lead1 may, but it was urged today
    # (once per case per working day: tests/integration/test_urge_throttle.py).
    for username, status in (("worker1", 403), ("admin", 403), ("worker2", 404), ("lead1", 409)):
        response = wf.call(username, "POST", f"/api/v1/case/{case_id}/urge", json={"comment": "x"})
        assert response.status_code == status, username
    assert [(r["actor_name"], r["comment"]) for r in wf.history(case_id, "urge")] == [
        ("督查室 干部", "请加快进度，按时报送"),
    ]
    assert [(r["actor_name"], r["comment"]) for r in wf.history(other, "urge")] == [
        ("行动一专班 负责人", "请加快进度，按时报送"),
    ]
    assert wf.count(OutboxEvent, case_id=case_id, kind="case.urged") == 1

    wf.drive(wf.worker1_cases()[1], "closed")
    response = wf.call("office", "POST", f"/api/v1/case/{wf.worker1_cases()[1]}/urge", json={})
    assert response.status_code == 409
    assert response.get_json()["message"] == "此事项已办结，须重新交办后才能催办。"


def test_comments(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    for username in ("worker1", "lead1", "office", "admin"):
        response = wf.call(username, "POST", f"/api/v1/case/{case_id}/comment",
                           json={"text": f"{username} 的意见"})
        assert response.status_code == 201, (username, response.get_json())
        assert response.get_json()["result"]["kind"] == "comment"
    assert wf.call("leader", "POST", f"/api/v1/case/{case_id}/comment",
                   json={"text": "x"}).status_code == 403
    assert wf.call("worker2", "POST", f"/api/v1/case/{case_id}/comment",
                   json={"text": "x"}).status_code == 404
    empty = wf.call("worker1", "POST", f"/api/v1/case/{case_id}/comment", json={"text": "  "})
    assert empty.status_code == 422 and empty.get_json()["message"] == "请填写意见内容。"
    assert len(wf.history(case_id, "comment")) == 4


def test_admin_changes_a_deadline_recorded_in_history(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    case = wf.case(case_id)
    for username, status in (("office", 403), ("worker1", 403), ("lead1", 403), ("leader", 403)):
        response = wf.call(username, "PUT", f"/api/v1/case/{case_id}",
                           json={"deadline": "2024-11-30"})
        assert response.status_code == status, username

    stale = wf.call("admin", "PUT", f"/api/v1/case/{case_id}",
                    json={"deadline": "2024-11-30", "version": case["version"] + 1})
    assert stale.status_code == 409
    bad = wf.call("admin", "PUT", f"/api/v1/case/{case_id}", json={"deadline": "30/11/2024"})
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_date"
    early = wf.call("admin", "PUT", f"/api/v1/case/{case_id}", json={"deadline": "2023-12-31"})
    assert early.status_code == 422

    response = wf.call("admin", "PUT", f"/api/v1/case/{case_id}",
                       json={"deadline": "2024-11-30", "comment": "按市里要求提前",
                             "version": case["version"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["deadline"] == "2024-11-30"
    assert response.get_json()["version"] == case["version"] + 1
    after = wf.case(case_id)
    assert after["deadline"] == dt.date(2024, 11, 30)
    assert after["original_deadline"] == case["original_deadline"]
    (row,) = wf.history(case_id, "deadline_change")
    assert row["data"] == {"old": case["deadline"].isoformat(), "new": "2024-11-30"}
    assert row["comment"] == "按市里要求提前" and row["actor_name"] == "系统 管理员"


def test_rag_follows_the_configured_margins(fresh_db, app, wf):
    """Mid-year at 10% done: behind pace with the default 20-point margin, on track with 60."""
    from app.extensions import db
    from app.models import Case
    from app.rag import rag_for
    from app.services.settings import set_setting

    case_id = wf.worker1_cases()[0]
    with app.app_context():
        case = db.session.get(Case, case_id)
        case.percent_done = 10
        today = dt.date(2024, 7, 1)
        assert rag_for(case, today) == "yellow"
        set_setting("rag.pace_margin", 60)
        db.session.commit()
        assert rag_for(case, today) == "green"
        assert rag_for(case, dt.date(2024, 12, 27)) == "yellow"  # 2 working days left
        assert rag_for(case, dt.date(2025, 1, 2)) == "red"
        # A year the official calendar does not know yet: still a light, by calendar days.
        case.start_date, case.deadline = dt.date(2031, 1, 1), dt.date(2031, 6, 30)
        assert rag_for(case, dt.date(2031, 6, 27)) == "yellow"
        assert rag_for(case, dt.date(2031, 1, 10)) == "green"
        db.session.rollback()
        db.session.remove()
