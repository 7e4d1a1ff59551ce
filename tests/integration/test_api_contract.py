"""The API's contract: every operation documented; malformed input refused in Chinese, unwritten.

(a) /api/v1/_openapi: each operation has a summary, a 4xx answer, its path parameters, and
    each POST/PUT of ours its request body; every $ref resolves.
(b) each hand-written endpoint, sent what it cannot read (a field missing, the wrong type,
    a huge number, deep nesting, 80,000 ids…), answers 400/404/422 with a Chinese message
    and writes nothing.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from sqlalchemy import func, select

OURS = ("/api/v1/case", "/api/v1/extension", "/api/v1/report", "/api/v1/notification",
        "/api/v1/action", "/api/v1/department", "/api/v1/indicator", "/api/v1/task_force_report")
HUGE = 10**30
DEEP = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
NESTED_20 = {"x": json.loads("[" * 20 + "]" * 20)}


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture()
def spec(client, api):
    response = client.get("/api/v1/_openapi", headers=api("admin"))
    assert response.status_code == 200
    return response.get_json()


def _resolve(spec: dict, ref: str) -> dict:
    node = spec
    for part in ref.removeprefix("#/").split("/"):
        assert part in node, f"unresolved {ref}"
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_operation_is_documented(spec):
    operations = [(path, verb, op) for path, ops in spec["paths"].items() for verb, op in ops.items()]
    ours = [(p, v, o) for p, v, o in operations if p.startswith(OURS)]
    assert len(ours) >= 32, len(ours)
    for path, verb, op in operations:
        where = f"{verb.upper()} {path}"
        assert op.get("summary", "").strip(), f"{where}: no summary"
        codes = set(op.get("responses", {}))
        assert any(c.startswith("2") for c in codes), f"{where}: no 2xx answer"
        assert any(c.startswith("4") for c in codes), f"{where}: no 4xx answer"
        if path.startswith(OURS):
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            in_path = {part[1:-1] for part in path.split("/") if part.startswith("{")}
            assert in_path <= declared, f"{where}: path parameters {in_path - declared} undocumented"
            if verb in ("post", "put") and not path.endswith(("/read", "/read_all")):
                body = op.get("requestBody", {}).get("content", {})
                assert "application/json" in body, f"{where}: no request body"
    for ref in set(_refs(spec)):
        _resolve(spec, ref)


def test_request_schemas_say_what_is_required_and_bounded(spec):
    schemas = spec["components"]["schemas"]
    transition = schemas["TransitionRequestSchema"]
    assert transition["required"] == ["transition"]
    assert transition["properties"]["comment"]["maxLength"] == 5000
    assert transition["properties"]["new_department_id"]["maximum"] == 2**31 - 1
    bulk = schemas["BulkRequestSchema"]
    assert bulk["properties"]["case_ids"]["maxItems"] == 500
    assert set(bulk["required"]) == {"case_ids", "operation"}
    report = schemas["ReportRequestSchema"]
    assert "dossier" in report["properties"]["kind"]["enum"]
    progress = spec["paths"]["/api/v1/case/{pk}/progress"]["post"]["requestBody"]["content"]
    assert set(progress) == {"application/json", "multipart/form-data"}
    answer = spec["paths"]["/api/v1/case/{pk}/transition"]["post"]["responses"]["422"]
    error = _resolve(spec, _resolve(spec, answer["$ref"])["content"]["application/json"]["schema"]["$ref"])
    assert set(error["required"]) == {"code", "message"}


# --- (b) malformed input ----------------------------------------------------------------------


def _written(app) -> dict:
    """Counts of every table the endpoints write, and each case's version."""
    from app.extensions import db
    from app.models import (
        Case,
        CaseHistory,
        EvidenceFile,
        ExtensionRequest,
        Finding,
        Inspection,
        Instruction,
        Notification,
        Problem,
        ProgressUpdate,
        Report,
        TaskForceReport,
    )

    with app.app_context():
        try:
            counts = {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                      for m in (CaseHistory, ExtensionRequest, ProgressUpdate, EvidenceFile, Report,
                                Instruction, Problem, TaskForceReport, Inspection, Finding)}
            counts["read"] = db.session.scalar(
                select(func.count()).select_from(Notification).where(Notification.read_at.is_not(None)))
            counts["versions"] = db.session.scalar(select(func.sum(Case.version)))
            return counts
        finally:
            db.session.remove()


def _preferences(client, api, username):
    return client.get("/api/v1/notification/preferences", headers=api(username)).get_json()


DRAFT = "/api/v1/report/1/draft"
DOCUMENT = "/api/v1/report/1/document"


def malformed_requests(case_id: int, extension_id: int) -> list[tuple]:
    """(user, method, path, body, status): body is JSON, or raw text as str."""
    case = f"/api/v1/case/{case_id}"
    decision = f"/api/v1/extension/{extension_id}/decision"
    rows = []
    for path, user in ((f"{case}/transition", "worker1"), (f"{case}/urge", "office"),
                       (f"{case}/extension", "worker1"), (f"{case}/comment", "worker1"),
                       (case, "admin"), ("/api/v1/case/bulk", "office"), (decision, "office"),
                       (f"{case}/progress", "worker1"), ("/api/v1/report/", "office"),
                       ("/api/v1/notification/preferences", "worker1"), (f"{DRAFT}", "office"),
                       (f"{DOCUMENT}", "office"), (f"{case}/instruction", "leader"),
                       (f"{case}/instruction/1/answer", "worker1"),
                       (f"{case}/problem", "worker1"), (f"{case}/problem/1/resolve", "office"),
                       ("/api/v1/inspection/", "office")):
        method = "PUT" if path in (case, "/api/v1/notification/preferences", DRAFT) else "POST"
        rows += [
            (user, method, path, "not json", 400),
            (user, method, path, [1, 2], 400),
            (user, method, path, DEEP, 400),
            (user, method, path, NESTED_20, 400),
        ]
    rows += [
        # a periodic report's draft and its life (签发, 印发); report 1 does not exist
        ("office", "PUT", DRAFT, {"remarks": 5}, 400),
        ("office", "PUT", DRAFT, {"highlights": "x" * 3001}, 422),
        ("office", "PUT", DRAFT, {"date": "2024-06-03"}, 404),
        ("office", "POST", DOCUMENT, {}, 400),
        ("office", "POST", DOCUMENT, {"action": "burn"}, 422),
        ("office", "POST", DOCUMENT, {"action": "sign"}, 404),
        ("office", "POST", "/api/v1/report/99999999999/document", {"action": "sign"}, 404),
        # transition
        ("worker1", "POST", f"{case}/transition", {}, 400),
        ("worker1", "POST", f"{case}/transition", {"transition": ["accept"]}, 400),
        ("worker1", "POST", f"{case}/transition", {"transition": "accept", "version": HUGE}, 422),
        ("worker1", "POST", f"{case}/transition", {"transition": "accept", "version": 1.5}, 400),
        ("office", "POST", f"{case}/transition",
         {"transition": "reassign", "comment": "改派", "new_department_id": HUGE}, 422),
        ("worker1", "POST", f"{case}/transition", {"transition": "x" * 100_000}, 422),
        ("worker1", "POST", f"/api/v1/case/{HUGE}/transition", {"transition": "accept"}, 404),
        ("worker1", "POST", "/api/v1/case/99999999999/transition", {"transition": "accept"}, 404),
        # progress
        ("worker1", "POST", f"{case}/progress", {"note": 5}, 400),
        ("worker1", "POST", f"{case}/progress", {"note": "x", "percent": [50]}, 400),
        ("worker1", "POST", f"{case}/progress", {"note": "x", "percent": 10**400}, 422),
        ("worker1", "POST", f"{case}/progress", {"note": "x", "indicators": [1]}, 400),
        ("worker1", "POST", f"{case}/progress", {"note": "x", "indicators": {"1": {"a": 1}}}, 400),
        ("worker1", "POST", f"{case}/progress",
         {"note": "x", "indicators": {str(i): 1 for i in range(1000)}}, 422),
        # urge, comment, extension, deadline
        ("office", "POST", f"{case}/urge", {"comment": {"text": "x"}}, 400),
        ("worker1", "POST", f"{case}/comment", {"text": 42}, 400),
        ("worker1", "POST", f"{case}/extension", {"new_deadline": 20250331, "reason": "x"}, 400),
        ("worker1", "POST", f"{case}/extension", {"new_deadline": "2" * 5000, "reason": "x"}, 422),
        ("admin", "PUT", case, {}, 400),
        ("admin", "PUT", case, {"deadline": "2024-11-30", "version": "1"}, 400),
        ("admin", "PUT", f"/api/v1/case/{HUGE}", {"deadline": "2024-11-30"}, 404),
        # bulk
        ("office", "POST", "/api/v1/case/bulk", {"case_ids": [case_id]}, 400),
        ("office", "POST", "/api/v1/case/bulk", {"case_ids": [HUGE], "operation": "urge"}, 422),
        ("office", "POST", "/api/v1/case/bulk", {"case_ids": [True], "operation": "urge"}, 422),
        ("office", "POST", "/api/v1/case/bulk",
         {"case_ids": list(range(1, 502)), "operation": "urge"}, 422),
        # extension decision
        ("office", "POST", decision, {"comment": "x"}, 400),
        ("office", "POST", decision, {"approve": "yes"}, 400),
        ("office", "POST", f"/api/v1/extension/{HUGE}/decision", {"approve": True}, 404),
        # the cascade: a target contributing to the parent plan's
        ("office", "PUT", "/api/v1/indicator/1/contribution", {"parent_indicator_id": "1"}, 400),
        ("office", "PUT", "/api/v1/indicator/1/contribution", {"parent_indicator_id": HUGE}, 422),
        ("office", "PUT", "/api/v1/indicator/1/contribution", [1], 400),
        ("office", "PUT", f"/api/v1/indicator/{HUGE}/contribution", {"parent_indicator_id": 1}, 404),
        # lead-unit proposals (牵头单位建议)
        ("lead1", "POST", f"{case}/lead_proposal", {"reason": "x"}, 400),
        ("lead1", "POST", f"{case}/lead_proposal", {"department_id": "1", "reason": "x"}, 400),
        ("lead1", "POST", f"{case}/lead_proposal", {"department_id": HUGE, "reason": "x"}, 422),
        ("lead1", "POST", f"{case}/lead_proposal", {"department_id": 1, "reason": "x" * 3000}, 422),
        ("lead1", "POST", f"/api/v1/case/{HUGE}/lead_proposal", {"department_id": 1, "reason": "x"}, 404),
        ("office", "POST", "/api/v1/lead_proposal/1/decision", {"accept": "yes"}, 400),
        ("office", "POST", "/api/v1/lead_proposal/1/decision", {"comment": "x"}, 400),
        ("office", "POST", f"/api/v1/lead_proposal/{HUGE}/decision", {"accept": True}, 404),
        # 领导批示: text required, a string, at most 2000 characters, not blank
        ("leader", "POST", f"{case}/instruction", {}, 400),
        ("leader", "POST", f"{case}/instruction", {"text": 5}, 400),
        ("leader", "POST", f"{case}/instruction", {"text": "x" * 2001}, 422),
        ("leader", "POST", f"{case}/instruction", {"text": "   "}, 422),
        ("leader", "POST", f"/api/v1/case/{HUGE}/instruction", {"text": "x"}, 404),
        ("worker1", "POST", f"{case}/instruction/1/answer", {"text": "x"}, 404),
        ("worker1", "POST", f"{case}/instruction/{HUGE}/answer", {"text": "x"}, 404),
        ("worker1", "POST", f"{case}/instruction/1/answer", {"text": ["x"]}, 400),
        # 难点堵点: text required, not blank, ≤ 2000; department_id an existing unit
        ("worker1", "POST", f"{case}/problem", {}, 400),
        ("worker1", "POST", f"{case}/problem", {"text": "x", "department_id": "2"}, 400),
        ("worker1", "POST", f"{case}/problem", {"text": "x", "department_id": 0}, 422),
        ("worker1", "POST", f"{case}/problem", {"text": "x", "department_id": 999999}, 422),
        ("worker1", "POST", f"{case}/problem", {"text": "x" * 2001}, 422),
        ("worker1", "POST", f"{case}/problem", {"text": "  "}, 422),
        ("worker1", "POST", f"/api/v1/case/{HUGE}/problem", {"text": "x"}, 404),
        ("office", "POST", f"{case}/problem/1/resolve", {"text": "x"}, 404),
        ("office", "POST", f"{case}/problem/{HUGE}/resolve", {"text": "x"}, 404),
        ("office", "POST", f"{case}/problem/1/resolve", {"text": ["x"]}, 400),
        # 督查: the findings' rows are checked by the service (numbered Chinese messages)
        ("office", "POST", "/api/v1/inspection/", {"findings": "x"}, 400),
        ("office", "POST", "/api/v1/inspection/", {"findings": [{"department_id": "2"}]}, 400),
        ("office", "POST", "/api/v1/inspection/", {"subject": "x" * 201}, 422),
        ("office", "POST", "/api/v1/inspection/", {"inspected_on": "2024-06-05", "subject": "x",
                                                    "inspectors": "x", "findings": []}, 422),
        ("office", "POST", "/api/v1/inspection/", {"inspected_on": "yesterday"}, 422),
        ("worker1", "GET", "/api/v1/inspection/1", None, 403),
        ("office", "GET", "/api/v1/inspection/1", None, 404),
        ("office", "GET", f"/api/v1/inspection/{HUGE}", None, 404),
        # reports
        ("office", "POST", "/api/v1/report/", {"kind": {}}, 422),
        ("office", "POST", "/api/v1/report/", {"kind": ["monthly"], "period": "2024-06"}, 422),
        ("office", "POST", "/api/v1/report/", {}, 400),
        ("office", "POST", "/api/v1/report/", {"kind": "dossier", "case_id": HUGE}, 422),
        ("office", "POST", "/api/v1/report/", {"kind": "dossier", "case_id": "1"}, 400),
        ("office", "POST", "/api/v1/report/", {"kind": "monthly", "period": {"y": 2024}}, 400),
        ("office", "POST", "/api/v1/report/",
         {"kind": "inspection", "period": "2024-06", "options": ["red"]}, 400),
        ("office", "POST", "/api/v1/report/",
         {"kind": "inspection", "period": "2024-06", "options": {"remarks": 7}}, 400),
        ("office", "GET", f"/api/v1/report/{HUGE}", None, 404),
        ("office", "GET", f"/api/v1/report/{HUGE}/download", None, 404),
        ("office", "GET", f"/api/v1/report/?ids=1,{HUGE}", None, 422),
        ("office", "GET", "/api/v1/report/?ids=1,x", None, 422),
        # 专班报送
        ("lead1", "PUT", "/api/v1/task_force_report/2024-06-D2", {"highlights": "x"}, 400),
        ("lead1", "PUT", "/api/v1/task_force_report/2024-06-D2",
         {"highlights": 1, "difficulties": "x", "next_steps": "x"}, 400),
        ("lead1", "PUT", "/api/v1/task_force_report/2024-06-D2",
         {"highlights": "x" * 2001, "difficulties": "x", "next_steps": "x"}, 422),
        ("lead1", "PUT", "/api/v1/task_force_report/2024-06-D2",
         {"highlights": "x", "difficulties": "x", "next_steps": "x", "department_id": HUGE}, 422),
        ("lead1", "PUT", "/api/v1/task_force_report/2024-13-D2",
         {"highlights": "x", "difficulties": "x", "next_steps": "x"}, 422),
        ("office", "GET", "/api/v1/task_force_report/2024-06?department_id=lots", None, 400),
        # notifications
        ("worker1", "PUT", "/api/v1/notification/preferences", {"email": 1}, 400),
        ("worker1", "PUT", "/api/v1/notification/preferences", {"in_app": "false"}, 400),
        ("worker1", "POST", f"/api/v1/notification/{HUGE}/read", None, 404),
        ("worker1", "GET", f"/api/v1/notification/?page={HUGE}", None, 422),
        ("worker1", "GET", "/api/v1/notification/?page_size=lots", None, 400),
        # FAB's own read routes of our APIs
        ("worker1", "GET", f"/api/v1/case/{HUGE}", None, 404),
        ("worker1", "GET", f"/api/v1/case/?q=(filters:!((col:id,opr:eq,value:{HUGE})))", None, 400),
        ("worker1", "GET", "/api/v1/case/?q=(((", None, 400),
        ("worker1", "GET", "/api/v1/case/?q=(page:-1)", None, 400),
        ("worker1", "GET", "/api/v1/case/?q=(filters:!((col:state,opr:eq,value:1)))", None, 400),
        ("worker1", "GET", "/api/v1/action/?q=(filters:!((col:lead_department,opr:rel_o_m,value:abc)))",
         None, 400),
        ("worker1", "GET", "/api/v1/indicator/?q=" + "(a:" * 50 + ")" * 50, None, 400),
        ("worker1", "GET", f"/api/v1/indicator/{HUGE}", None, 404),
        ("worker1", "GET", f"/api/v1/case/{case_id}/evidence/{HUGE}", None, 404),
    ]
    return rows


def test_malformed_input_is_refused_in_chinese_and_writes_nothing(fresh_db, wf, app, client, api):
    case_id = wf.worker1_cases()[0]
    extension = wf.call("worker1", "POST", f"/api/v1/case/{case_id}/extension",
                        json={"new_deadline": "2025-03-31", "reason": "项目审批延后"})
    assert extension.status_code == 201, extension.get_json()
    extension_id = extension.get_json()["result"]["id"]
    before, preferences = _written(app), _preferences(client, api, "worker1")
    for user, method, path, body, status in malformed_requests(case_id, extension_id):
        if isinstance(body, str):
            response = wf.call(user, method, path, data=body, content_type="application/json")
        else:
            response = wf.call(user, method, path, json=body)
        shown = json.dumps(body)[:80] if not isinstance(body, str) else body[:20]
        assert response.status_code == status, (method, path, shown, response.get_data(as_text=True)[:300])
        answer = response.get_json()
        assert answer["code"] and chinese(answer["message"]), (path, shown, answer)
        if status in (400, 422) and "errors" in answer:
            assert all(chinese(m) for ms in answer["errors"].values() for m in ms), answer
    assert _written(app) == before
    assert _preferences(client, api, "worker1") == preferences


def test_a_field_error_names_the_field(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    response = wf.call("worker1", "POST", f"/api/v1/case/{case_id}/progress",
                       json={"note": "x", "percent": 10, "indicators": {"12": [1]}})
    assert response.status_code == 400
    assert response.get_json() == {
        "code": "bad_request",
        "message": "字段 indicators.12 须为数字或文字。",
        "errors": {"indicators.12": ["字段 indicators.12 须为数字或文字。"]},
    }
    response = wf.call("office", "POST", "/api/v1/report/", json={"kind": {}})
    assert response.status_code == 422
    assert response.get_json()["errors"]["kind"][0].startswith("字段 kind 的值 dict 无效，可选：inspection（督查通报）")


def test_multipart_progress_with_malformed_indicators(fresh_db, wf, app):
    case_id = wf.worker1_cases()[0]
    before = _written(app)
    for indicators, status in (("{not json", 400), ("[1, 2]", 400), (DEEP, 400),
                               (json.dumps({"1": {"x": 1}}), 400)):
        response = wf.call("worker1", "POST", f"/api/v1/case/{case_id}/progress", data={
            "note": "本旬进展", "percent": "40", "indicators": indicators,
            "files": [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")],
        }, content_type="multipart/form-data")
        assert response.status_code == status, (indicators[:20], response.get_json())
        assert chinese(response.get_json()["message"])
    assert _written(app) == before


def test_80000_bulk_ids_are_refused_fast(fresh_db, wf, app):
    before = _written(app)
    payload = json.dumps({"case_ids": list(range(1, 80_001)), "operation": "urge"})
    duplicates = json.dumps({"case_ids": [1] * 80_000 + ["x"], "operation": "urge"})
    for body, message in ((payload, "最多 500 项"), (duplicates, "整数列表")):
        started = time.perf_counter()
        response = wf.call("office", "POST", "/api/v1/case/bulk", data=body, content_type="application/json")
        elapsed = time.perf_counter() - started
        assert response.status_code == 422 and message in response.get_json()["message"]
        assert elapsed < 1.5, f"{elapsed:.2f} s"
    assert _written(app) == before


def test_duplicate_bulk_ids_count_once(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    response = wf.call("office", "POST", "/api/v1/case/bulk",
                       json={"case_ids": [case_id] * 600, "operation": "urge", "comment": "请加快"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["ok"] == [case_id]
    assert len(wf.history(case_id, "urge")) == 1


def test_fab_refusals_speak_chinese(fresh_db, wf, client):
    signed_out = {"code": "unauthorized", "message": "请先登录。"}
    assert client.get("/api/v1/case/").get_json() == signed_out
    assert client.get("/api/v1/case/", headers={"Authorization": "Bearer x.y.z"}).get_json() == signed_out
    # FAB's own 400 (a Rison query that parses but FAB's schema refuses) in Chinese too.
    response = wf.call("worker1", "GET", "/api/v1/case/?q=(page:x)")
    assert response.status_code == 400
    assert response.get_json() == {"code": "bad_request", "message": "请求格式有误。"}
    # A valid query still works.
    response = wf.call("worker1", "GET", "/api/v1/case/?q=(page_size:2,page:0)")
    assert response.status_code == 200 and len(response.get_json()["result"]) == 2


def test_info_describes_no_field_with_the_catalogue_header(client, api):
    """FAB translates a missing description, and gettext("") is the .po file's header: every
    field of `_info` was described as "Project-Id-Version: …"."""
    info = client.get("/api/v1/case/_info", headers=api("office"))
    assert info.status_code == 200
    fields = info.get_json()["add_columns"] + info.get_json()["edit_columns"]
    assert fields
    assert not [f["name"] for f in fields if "Project-Id-Version" in (f.get("description") or "")]
