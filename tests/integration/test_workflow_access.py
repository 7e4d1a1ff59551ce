"""Department isolation and read-only leaders, on every path: list, detail, API, files."""

from __future__ import annotations

import io

import pytest

from tests.integration.conftest import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def all_case_ids(wf, username: str) -> set[int]:
    response = wf.call(username, "GET", "/api/v1/case/?q=(page_size:200)")
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == len(body["result"])
    return {row["id"] for row in body["result"]}


@pytest.fixture()
def worker1_case_with_file(fresh_db, wf):
    """An action-1 case of worker1's department with one evidence file; (case id, file id)."""
    case_id = wf.worker1_cases()[0]
    response = wf.call(
        "worker1", "POST", f"/api/v1/case/{case_id}/progress",
        data={"note": "招商台账", "percent": "30", "files": (io.BytesIO(PDF), "招商台账.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return case_id, response.get_json()["result"]["evidence"][0]["id"]


def test_case_lists_follow_departments_and_actions(wf):
    worker1_cases = set(wf.worker1_cases(action_index=None))
    assert len(worker1_cases) >= 7

    assert all_case_ids(wf, "worker1") >= worker1_cases
    assert not all_case_ids(wf, "worker2") & worker1_cases
    assert all_case_ids(wf, "worker2")  # worker2 does see its own department's cases
    lead1 = all_case_ids(wf, "lead1")
    assert set(wf.worker1_cases(action_index=1)) <= lead1
    assert worker1_cases - lead1  # worker1's cases of other actions are not lead1's
    for username in ("office", "leader", "admin"):
        assert len(all_case_ids(wf, username)) == 119


def test_case_list_shows_rag(wf):
    rows = wf.call("office", "GET", "/api/v1/case/?q=(page_size:200)").get_json()["result"]
    assert {row["rag"] for row in rows} <= {"green", "yellow", "red"}
    # The 2024 plan's deadlines have passed and nothing is verified: all overdue (red).
    assert {row["rag"] for row in rows} == {"red"}
    chosen = wf.call("office", "GET", "/api/v1/case/?q=(columns:!(title),page_size:5)")
    assert chosen.status_code == 200
    assert [sorted(row) for row in chosen.get_json()["result"]] == [["rag", "title"]] * 5


def test_worker2_gets_404_for_every_path_of_worker1s_case(worker1_case_with_file, wf, client):
    case_id, file_id = worker1_case_with_file
    base = f"/api/v1/case/{case_id}"
    checks = [
        ("GET", base, None),
        ("GET", f"{base}/history", None),
        ("GET", f"{base}/evidence/{file_id}", None),
        ("POST", f"{base}/transition", {"transition": "accept"}),
        ("POST", f"{base}/progress", {"note": "x", "percent": 10}),
        ("POST", f"{base}/urge", {"comment": "x"}),
        ("POST", f"{base}/extension", {"new_deadline": "2025-03-31", "reason": "x"}),
        ("POST", f"{base}/comment", {"text": "x"}),
    ]
    for method, path, body in checks:
        response = wf.call("worker2", method, path, json=body)
        assert response.status_code == 404, (method, path, response.get_json())
        assert response.get_json()["code"] == "not_found"
    # The file is reached only through its own case: another visible case's URL is 404 too.
    other = sorted(all_case_ids(wf, "worker1") - {case_id})[0]
    assert wf.call("worker1", "GET", f"/api/v1/case/{other}/evidence/{file_id}").status_code == 404

    # The pages: the list never names the case, the detail page is 404.
    title = wf.case(case_id)["title"]
    login(client, "worker2")
    assert title not in client.get("/caseview/list/?psize_CaseView=200").get_data(as_text=True)
    assert client.get(f"/caseview/show/{case_id}").status_code == 404
    client.get("/logout/")
    login(client, "worker1")
    assert client.get(f"/caseview/show/{case_id}").status_code == 200


def test_evidence_download_for_users_who_see_the_case(worker1_case_with_file, wf):
    case_id, file_id = worker1_case_with_file
    for username in ("worker1", "lead1", "office", "leader", "admin"):
        response = wf.call(username, "GET", f"/api/v1/case/{case_id}/evidence/{file_id}")
        assert response.status_code == 200, username
        assert response.data == PDF
        assert response.mimetype == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment") and "filename*=UTF-8''" in disposition
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_evidence_is_stored_outside_the_web_root_under_a_generated_name(
    worker1_case_with_file, wf, app
):
    from pathlib import Path

    from app.models import EvidenceFile

    case_id, file_id = worker1_case_with_file
    with app.app_context():
        from app.extensions import db

        row = db.session.get(EvidenceFile, file_id)
        assert row.case_id == case_id
        stored, original = row.stored_name, row.original_name
        db.session.remove()
    assert original == "招商台账.pdf"
    assert len(stored) == 32 and "." not in stored
    path = Path(app.config["UPLOAD_FOLDER"]) / "evidence" / stored
    assert path.read_bytes() == PDF
    static = Path(app.static_folder).resolve() if app.static_folder else None
    assert static is None or static not in path.resolve().parents


def test_leader_reads_but_every_write_is_403(worker1_case_with_file, wf):
    case_id, file_id = worker1_case_with_file
    base = f"/api/v1/case/{case_id}"
    assert wf.call("leader", "GET", base).status_code == 200
    assert wf.call("leader", "GET", f"{base}/history").status_code == 200
    assert wf.call("leader", "GET", f"{base}/evidence/{file_id}").status_code == 200
    writes = [
        ("POST", f"{base}/transition", {"transition": "close"}),
        ("POST", f"{base}/progress", {"note": "x", "percent": 10}),
        ("POST", f"{base}/urge", {"comment": "x"}),
        ("POST", f"{base}/extension", {"new_deadline": "2025-03-31", "reason": "x"}),
        ("POST", f"{base}/comment", {"text": "x"}),
        ("PUT", base, {"deadline": "2025-06-30"}),
        ("POST", "/api/v1/case/bulk", {"case_ids": [case_id], "operation": "urge"}),
    ]
    history = len(wf.history(case_id))
    for method, path, body in writes:
        response = wf.call("leader", method, path, json=body)
        assert response.status_code == 403, (method, path, response.get_json())
        assert response.get_json() == {"code": "forbidden", "message": "您无权执行此操作。"}
    assert len(wf.history(case_id)) == history
    assert wf.case(case_id)["state"] == "assigned"


def test_show_lists_the_callers_transitions(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    assert wf.call("worker1", "GET", f"/api/v1/case/{case_id}").get_json()["result"][
        "available_transitions"
    ] == ["accept"]
    office = wf.call("office", "GET", f"/api/v1/case/{case_id}").get_json()["result"]
    assert office["available_transitions"] == ["reassign"]
    assert office["rag"] == "red"
