"""Reports on demand (API, Reports page, browser) and on schedule, through a real Celery worker;
who may request and read which report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import DEMO_PASSWORD, login
from tests.integration.fixtures_reports import pdf_text, wait_status


def report_row(app, report_id):
    from app.extensions import db
    from app.models import Report

    with app.app_context():
        try:
            row = db.session.get(Report, report_id)
            return {c.name: getattr(row, c.name) for c in Report.__table__.columns}
        finally:
            db.session.remove()


def case_ids(app, department: str, action_index: int | None = None) -> list[int]:
    from app.extensions import db
    from app.models import Action, Case, Department

    query = select(Case.id).join(Department, Case.lead_department_id == Department.id).where(
        Department.name == department).order_by(Case.id)
    if action_index is not None:
        query = query.join(Action, Case.action_id == Action.id).where(Action.index == action_index)
    with app.app_context():
        try:
            return list(db.session.scalars(query))
        finally:
            db.session.remove()


def test_on_demand_report_is_queued_generated_with_progress_and_downloaded(app, fresh_db, celery_worker, client, api):
    response = client.post("/api/v1/report/", json={"kind": "monthly", "period": "2024-06"}, headers=api("office"))
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "queued" and body["kind_name"] == "月通报" and body["period"] == "2024-06"

    status, seen = wait_status(app, body["id"], timeout=120)
    assert status == "done", (report_row(app, body["id"])["error"], celery_worker.log()[-2000:])
    assert any(s == "running" and 0 < p < 100 for s, p in seen), f"no progress seen: {seen[:5]}…"

    row = report_row(app, body["id"])
    assert row["trigger"] == "manual" and row["requested_by_id"] and row["finished_at"] and row["progress"] == 100
    stored = Path(app.config["REPORT_FOLDER"]) / row["file_name"]
    assert stored.is_file() and row["file_name"].endswith(".pdf") and "/" not in row["file_name"]

    status_json = client.get(f"/api/v1/report/{body['id']}", headers=api("office")).get_json()
    assert status_json["status"] == "done" and status_json["progress"] == 100

    download = client.get(f"/api/v1/report/{body['id']}/download", headers=api("leader"))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == row["content_sha256"]
    assert "月通报-2024-06.pdf" in unquote(download.headers["Content-Disposition"])
    assert "关于2024年6月“八大行动”推进情况的通报" in pdf_text(download.data)


def test_scheduled_reports_exist_once_per_kind_and_period(app, fresh_db, celery_worker):
    """Beat firing twice (two beats, or a retry) still gives one report per kind and period."""
    from app.extensions import db
    from app.models import Report
    from app.services.reports import schedule_due_reports
    from tests.integration.fixtures_celery import wait_for

    expected = [("dekad", "2024-06-D3"), ("monthly", "2024-06"), ("quarterly", "2024-Q2"), ("work-report", "2024-06")]

    def scheduled():
        with app.app_context():
            try:
                return list(db.session.execute(
                    select(Report.id, Report.kind, Report.period_key)
                    .where(Report.trigger == "schedule").order_by(Report.kind)))
            finally:
                db.session.remove()

    celery_worker.send("reports.generate_scheduled", "2024-07-01")
    celery_worker.send("reports.generate_scheduled", "2024-07-01")  # both may run at once
    wait_for(lambda: len(scheduled()) >= 4, 60, message="4 scheduled reports")
    for report_id, *_ in scheduled():
        assert wait_status(app, report_id, timeout=180)[0] == "done", celery_worker.log()[-2000:]
    assert [(kind, key) for _, kind, key in scheduled()] == expected
    with app.app_context():
        try:
            # Again on the day, and later in the catch-up window: nothing new.
            assert schedule_due_reports(dt.date(2024, 7, 1)) == []
            assert schedule_due_reports(dt.date(2024, 7, 5)) == []
        finally:
            db.session.remove()
    assert [(kind, key) for _, kind, key in scheduled()] == expected


def request(client, api, user, **body):
    return client.post("/api/v1/report/", json=body, headers=api(user))


def test_who_may_request_which_report(app, fresh_db, client, api):
    worker1_case = case_ids(app, "区商务局", action_index=1)[0]
    worker2_case = case_ids(app, "区科学技术局")[0]

    denied = request(client, api, "worker1", kind="inspection", period="2024-06")
    assert denied.status_code == 403 and "无权" in denied.get_json()["message"]
    assert request(client, api, "worker1", kind="monthly", period="2024-06").status_code == 403
    assert request(client, api, "leader", kind="monthly", period="2024-06").status_code == 202
    assert request(client, api, "leader", kind="notice", case_id=worker1_case).status_code == 403
    assert request(client, api, "lead1", kind="notice", case_id=worker1_case).status_code == 202
    assert request(client, api, "worker1", kind="dossier", case_id=worker1_case).status_code == 202
    hidden = request(client, api, "worker1", kind="dossier", case_id=worker2_case)
    assert hidden.status_code == 422 and "无权查看" in hidden.get_json()["message"]

    from app.models import Report

    with app.app_context():
        from app.extensions import db

        try:
            assert db.session.scalar(select(func.count()).select_from(Report)) == 3  # refusals wrote nothing
        finally:
            db.session.remove()


@pytest.mark.parametrize("body, words", [
    ({"kind": "weekly", "period": "2024-06"}, ["weekly", "inspection"]),
    ({"kind": "monthly"}, ["期间"]),
    ({"kind": "monthly", "period": "2024-13"}, ["无法识别的期间", "2024-06-D2"]),
    ({"kind": "dekad", "period": "2024-06"}, ["旬简报", "2024-06-D2"]),
    ({"kind": "quarterly", "period": "2099-Q1"}, ["尚未开始"]),
    ({"kind": "notice"}, ["任务"]),
    ({"kind": "inspection", "period": "2024-06", "options": {"remarks": "长" * 3001}}, ["3000"]),
])
def test_bad_requests_get_a_clear_chinese_message(app, fresh_db, client, api, body, words):
    response = request(client, api, "office", **body)
    assert response.status_code == 422, response.get_json()
    message = response.get_json()["message"]
    assert all(w in message for w in words), message


def test_reports_are_read_only_by_those_allowed(app, fresh_db, client, api):
    worker1_case = case_ids(app, "区商务局", action_index=1)[0]
    dossier = request(client, api, "office", kind="dossier", case_id=worker1_case).get_json()["id"]
    monthly = request(client, api, "office", kind="monthly", period="2024-05").get_json()["id"]

    for user, expected in (("worker1", 200), ("lead1", 200), ("leader", 200), ("worker2", 404)):
        assert client.get(f"/api/v1/report/{dossier}", headers=api(user)).status_code == expected, user
    assert client.get(f"/api/v1/report/{monthly}", headers=api("worker2")).status_code == 200
    listed = client.get("/api/v1/report/", headers=api("worker2")).get_json()["result"]
    assert [r["id"] for r in listed] == [monthly]  # not the dossier of a case worker2 cannot see
    # A report still being generated: 409 for those who may read it, 404 for the others.
    running = insert_report(app, kind="dossier", case_id=worker1_case, status="running", progress=40)
    assert client.get(f"/api/v1/report/{running}/download", headers=api("worker1")).status_code == 409
    assert client.get(f"/api/v1/report/{running}/download", headers=api("worker2")).status_code == 404
    assert client.get(f"/reports/download/{running}", follow_redirects=False).status_code in (302, 401)


def insert_report(app, **values) -> int:
    """A report row written directly (no task is sent for it)."""
    from app.extensions import db
    from app.models import Report

    with app.app_context():
        try:
            report = Report(trigger="manual", period_key="", **values)
            db.session.add(report)
            db.session.commit()
            return report.id
        finally:
            db.session.remove()


def test_reports_page_requests_and_shows_progress_in_the_browser(app, live_server, celery_worker, browser, screenshot):
    """The Reports menu: ask for a dekad brief; the progress bar fills and a download appears."""
    page = browser.new_page(locale="zh-CN")
    try:
        page.goto(f"{live_server}/login/")
        page.fill("input[name=username]", "office")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("input[type=submit], button[type=submit]")
        page.goto(f"{live_server}/reports/")
        assert page.is_visible("#remarks") and not page.is_visible("#case_id")  # inspection first
        page.select_option("#kind", "dekad")
        assert not page.is_visible("#remarks") and page.is_visible("#period")
        page.fill("#period", "2024-06-D2")
        page.click("#report-form button[type=submit]")
        page.wait_for_selector("#report-list tr[data-status='done'] .report-download a", timeout=120_000)
        row = page.locator("#report-list tbody tr").first
        assert "2024-06-D2" in row.inner_text() and "已生成 100%" in row.inner_text()
        screenshot(page, "reports-page")
        with page.expect_download() as download:
            row.locator(".report-download a").click()
        assert download.value.suggested_filename == "旬简报-2024-06-D2.pdf"
        assert "2024年6月中旬" in pdf_text(Path(download.value.path()).read_bytes())
    finally:
        page.close()


def test_reports_page_refuses_a_bad_form_with_a_message(app, fresh_db, client):
    login(client, "office")
    page = client.post("/reports/request", data={"kind": "monthly", "period": "2024-6x"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "无法识别的期间" in text
    page = client.get("/reports/")
    assert "生成" in page.get_data(as_text=True)
    assert client.get("/static/reports/reports.js").status_code == 200
