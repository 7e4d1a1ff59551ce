"""Bulk verify and bulk urge: through the same service, inline when small, Celery when large."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.integration.fixtures_celery import wait_for


def test_bulk_verify_inline_reports_each_case(fresh_db, wf):
    cases = wf.worker1_cases()
    submitted, in_progress = cases[:3], cases[3]
    for case_id in submitted:
        wf.drive(case_id, "submitted")
    wf.drive(in_progress, "in_progress")
    other_action = wf.worker1_cases(action_index=3)[0]  # not lead1's action: invisible to lead1
    wf.drive(other_action, "submitted")

    response = wf.call("lead1", "POST", "/api/v1/case/bulk", json={
        "case_ids": [*submitted, in_progress, other_action], "operation": "verify",
        "comment": "批量核验",
    })
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["queued"] is False
    assert body["ok"] == submitted
    assert body["failed"] == {
        str(in_progress): "办理中的事项不能核验通过：只有已报送的事项可以核验通过。",
        str(other_action): "事项不存在或您无权查看。",
    }
    for case_id in submitted:
        assert wf.case(case_id)["state"] == "verified"
        assert wf.history(case_id, "transition")[-1]["comment"] == "批量核验"
    assert wf.case(in_progress)["state"] == "in_progress"
    assert wf.case(other_action)["state"] == "submitted"


def test_bad_bulk_requests(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    checks = [
        ("office", {"case_ids": [case_id], "operation": "fly"}, 422, "unknown_transition"),
        ("office", {"case_ids": [], "operation": "urge"}, 422, "invalid_input"),
        ("office", {"case_ids": ["x"], "operation": "urge"}, 422, "invalid_input"),
        ("office", {"case_ids": case_id, "operation": "urge"}, 400, "bad_request"),
        ("leader", {"case_ids": [case_id], "operation": "urge"}, 403, "forbidden"),
    ]
    for username, body, status, code in checks:
        response = wf.call(username, "POST", "/api/v1/case/bulk", json=body)
        assert response.status_code == status, (body, response.get_json())
        assert response.get_json()["code"] == code
    assert wf.history(case_id) == []


def test_bulk_urge_of_many_cases_is_queued_and_done_by_the_worker(fresh_db, wf, app, celery_worker):
    from app.extensions import db
    from app.models import Case, CaseHistory

    with app.app_context():
        ids = list(db.session.scalars(select(Case.id).where(Case.state != "closed").order_by(Case.id)))[:30]
        db.session.remove()
    assert len(ids) == 30

    response = wf.call("office", "POST", "/api/v1/case/bulk", json={
        "case_ids": ids, "operation": "urge", "comment": "请于本旬内报送进展",
    })
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["queued"] is True and body["count"] == 30 and body["task_id"]

    def urged() -> int:
        with app.app_context():
            try:
                return db.session.scalar(
                    select(func.count()).select_from(CaseHistory).where(CaseHistory.kind == "urge")
                )
            finally:
                db.session.remove()

    wait_for(lambda: urged() == 30, timeout=30, message="the worker to urge all 30 cases")
    rows = wf.history(ids[0], "urge")
    assert rows[0]["comment"] == "请于本旬内报送进展" and rows[0]["actor_name"] == "督查室 干部"

    # A redelivered task (same run id) urges nobody twice.
    with app.app_context():
        from app.services.bulk import bulk_apply

        again = bulk_apply(ids, wf.user_id("office"), "urge", comment="x", request_id=body["task_id"])
        db.session.remove()
    assert again["ok"] == ids
    assert urged() == 30
