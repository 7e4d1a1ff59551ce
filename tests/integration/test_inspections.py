"""督查 → 整改 → 销号 (issue 12, part 4): the office records an inspection with its findings; each
becomes a rectification case of its unit with the finding's deadline, worked, verified and closed
(销号) through the case workflow; the unit is notified and sees only its own; the 督查通报 lists
the findings with their state at the period's end; bad input writes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from tests.integration.conftest import login
from tests.integration.fixtures_browser import flashes, html, scalar
from tests.integration.fixtures_workflow import WORKER1_DEPARTMENT, WORKER2_DEPARTMENT
from tests.integration.test_lead_proposals import history, relayed_notifications

URL = "/api/v1/inspection/"


def _counts(app):
    from app.models import Case, CaseHistory, Finding, Inspection, OutboxEvent

    return tuple(scalar(app, select(func.count()).select_from(m))
                 for m in (Inspection, Finding, Case, CaseHistory, OutboxEvent))


def _action_one(app) -> int:
    from app.models import Action
    from app.services.plans import latest_plan

    with app.app_context():
        from app.extensions import db

        try:
            return db.session.scalar(select(Action.id).where(Action.plan_id == latest_plan().id, Action.index == 1))
        finally:
            db.session.remove()


def _body(wf, app, **changes) -> dict:
    body = {
        "inspected_on": "2024-06-05", "subject": "招商引资项目推进情况实地督查", "inspectors": "张明、李华",
        "action_id": _action_one(app),
        "findings": [
            {"text": "签约项目台账不全，3个项目未按时开工", "department_id": wf.department_id(WORKER1_DEPARTMENT),
             "deadline": "2024-06-20"},
            {"text": "科技企业孵化器入驻率低于目标", "department_id": wf.department_id(WORKER2_DEPARTMENT),
             "deadline": "2024-06-25"},
        ],
    }
    body.update(changes)
    return body


def test_findings_become_rectification_cases_that_are_closed_and_reported(app, fresh_db, wf, client, api):
    from app.extensions import db
    from app.models import Case, CaseHistory
    from app.reports import render
    from app.services.plans import latest_plan
    from tests.integration.fixtures_reports import pdf_rows, pdf_text
    from workflows.periods import parse_period

    recorded = client.post(URL, json=_body(wf, app), headers=api("office"))
    assert recorded.status_code == 201, recorded.get_json()
    result = recorded.get_json()["result"]
    first, second = result["findings"]
    assert (first["department"], first["deadline"], first["case_state"]) == (WORKER1_DEPARTMENT, "2024-06-20", "assigned")
    assert (second["department"], second["deadline"]) == (WORKER2_DEPARTMENT, "2024-06-25")
    one, two = first["case_id"], second["case_id"]
    case = wf.case(one)
    assert case["lead_department_id"] == wf.department_id(WORKER1_DEPARTMENT) and case["deadline"] == dt.date(2024, 6, 20)
    assert case["title"] == "整改：签约项目台账不全，3个项目未按时开工" and case["state"] == "assigned"
    assert case["source"].startswith("督查整改：招商引资项目推进情况实地督查")
    assert case["plan_id"] == result["plan_id"] and case["action_id"] == _action_one(app)
    # History: the case begins with the finding, naming the inspection.
    kind, comment, data = history(app, one)[0]
    assert kind == "created" and comment == "签约项目台账不全，3个项目未按时开工"
    assert data["inspection_id"] == result["id"] and data["finding_id"] == first["id"]

    # Each unit is told of its own rectification case, and sees only its own.
    notes = relayed_notifications(app, one) + relayed_notifications(app, two)
    told = {(k, u) for k, u, _t in notes}
    assert ("rectification", "worker1") in told and ("rectification", "worker2") in told
    assert any(t.startswith("【督查整改】") and "2024年6月20日" in t for k, u, t in notes if u == "worker1")
    assert {u for k, u, _t in relayed_notifications(app, one)} == {"worker1"}
    assert client.get(f"/api/v1/case/{two}", headers=api("worker1")).status_code == 404
    assert client.get(f"/api/v1/case/{one}", headers=api("worker2")).status_code == 404
    assert client.get(f"{URL}{result['id']}", headers=api("worker1")).status_code == 403

    # The unit works it, the task force verifies, the office closes it: 销号.
    for user, transition, extra in (("worker1", "accept", {}), ("worker1", "submit", {"comment": "3个项目已全部开工"}),
                                    ("lead1", "verify", {}), ("office", "close", {})):
        answer = wf.transition(user, one, transition, **extra)
        assert answer.status_code == 200, (transition, answer.get_json())
    shown = client.get(f"{URL}{result['id']}", headers=api("leader")).get_json()["result"]
    assert [f["case_state"] for f in shown["findings"]] == ["closed", "assigned"]

    with app.app_context():
        # The first was worked and closed in June; the second is untouched (past its deadline).
        db.session.execute(update(CaseHistory).where(CaseHistory.case_id == one, CaseHistory.kind == "transition")
                           .values(at=dt.datetime(2024, 6, 18, 2)))
        db.session.execute(update(Case).where(Case.id == one).values(
            verified_at=dt.datetime(2024, 6, 18, 2), closed_at=dt.datetime(2024, 6, 18, 2)))
        db.session.commit()
        try:
            pdf = render("inspection", period=parse_period("2024-06"), plan=latest_plan(), options=None)
            july = render("inspection", period=parse_period("2024-07"), plan=latest_plan(), options=None)
        finally:
            db.session.remove()
    text, rows = pdf_text(pdf), pdf_rows(pdf)
    assert "五、督查发现问题整改情况" in text
    assert "本月督查发现问题2个" in text and "已整改销号1个" in text and "逾期未整改1个" in text
    header = rows.index(["序号", "督查日期", "发现问题", "责任单位", "整改时限", "整改情况"])
    listed = [r for r in rows[header + 1:] if len(r) == 6 and r[0].isdigit()]
    assert [r[3] for r in listed] == [WORKER1_DEPARTMENT, WORKER2_DEPARTMENT], listed
    assert listed[0][1] == "6月5日" and listed[0][4] == "6月20日" and listed[0][5] == "已销号"
    assert listed[1][5].startswith("逾期未整改（逾期") and listed[1][5].endswith("个工作日）"), listed[1]
    # July: the closed one is an earlier report's; the open one is still listed, from before.
    july_text = pdf_text(july)
    assert "本月没有新的督查发现问题，此前督查发现尚未销号的问题1个" in july_text
    assert "已整改销号0个，逾期未整改1个" in july_text
    july_rows = pdf_rows(july)
    header = july_rows.index(["序号", "督查日期", "发现问题", "责任单位", "整改时限", "整改情况"])
    assert [r[3] for r in july_rows[header + 1:] if len(r) == 6 and r[0].isdigit()] == [WORKER2_DEPARTMENT]
    assert "签约项目台账不全" not in july_text


def test_bad_input_gets_a_chinese_message_and_writes_nothing(app, fresh_db, wf, client, api):
    before = _counts(app)
    body = _body(wf, app)
    no_unit = _body(wf, app, findings=[{**body["findings"][0], "department_id": None}])
    early = _body(wf, app, findings=[body["findings"][0], {**body["findings"][1], "deadline": "2024-06-01"}])
    empty = _body(wf, app, findings=[{**body["findings"][0], "text": "   "}, body["findings"][1]])
    cases = [
        (no_unit, "第1条问题：请选择整改责任单位。"),
        (early, "第2条问题：整改时限2024-06-01早于督查日期2024-06-05。"),
        (empty, "第1条问题：请填写发现的问题。"),
        (_body(wf, app, findings=[]), "请至少填写一条督查发现的问题。"),
        (_body(wf, app, inspected_on=""), "请填写督查日期。"),
        (_body(wf, app, inspected_on="2999-01-01"), "督查日期2999-01-01晚于今天。"),
        (_body(wf, app, findings=[{**body["findings"][0], "department_id": 999999}]),
         "第1条问题：请选择存在的整改责任单位（区直部门或乡镇街道）。"),
        (_body(wf, app, action_id=None), "第1条问题：请选择所属行动（由该行动专班核验整改）。"),
    ]
    for payload, message in cases:
        answer = client.post(URL, json=payload, headers=api("office"))
        assert answer.status_code == 422 and answer.get_json()["message"] == message, (message, answer.get_json())
    # Nobody but the office records an inspection.
    for user in ("worker1", "lead1", "leader"):
        assert client.post(URL, json=body, headers=api(user)).status_code == 403, user
    assert _counts(app) == before


def test_the_office_records_an_inspection_on_the_page_and_the_unit_sees_its_case(app, fresh_db, wf, client):
    from app.models import Finding

    unit = str(wf.department_id(WORKER1_DEPARTMENT))
    form = {"inspected_on": "2024-06-05", "subject": "重点项目现场督查", "inspectors": "王强",
            "action_id": str(_action_one(app)), "rows": "2",
            "findings-0-text": "施工现场安全台账缺失", "findings-0-department_id": unit,
            "findings-0-deadline": "2024-06-01", "findings-1-text": ""}
    login(client, "office")
    refused = client.post("/inspections/new", data=form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "第1条问题：整改时限2024-06-01早于督查日期2024-06-05。" in page
    assert "施工现场安全台账缺失" in page and "重点项目现场督查" in page  # as typed
    assert scalar(app, select(func.count(Finding.id))) == 0
    page = html(client.post("/inspections/new", data={**form, "findings-0-deadline": "2024-06-28"},
                            follow_redirects=True))
    assert ("success", "已登记督查，交办整改事项1项，已通知责任单位。") in flashes(page)
    assert "施工现场安全台账缺失" in page and WORKER1_DEPARTMENT in page and "已交办" in page
    assert "督查整改" in html(client.get("/inspections/"))
    client.get("/logout/")

    case_id = scalar(app, select(Finding.case_id))
    login(client, "worker1")
    page = html(client.get(f"/caseview/show/{case_id}"))
    assert 'id="rectification"' in page and "督查发现问题整改" in page and "施工现场安全台账缺失" in page
    assert client.get("/inspections/").status_code in (302, 403)  # the unit has no inspection pages
    client.get("/logout/")
    login(client, "worker2")
    assert client.get(f"/caseview/show/{case_id}").status_code == 404
