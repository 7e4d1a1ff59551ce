"""The API of issue 11: 立项 and edits (POST/PUT /api/v1/case/), the case JSON's plan_id,
parent_id, percent_done and rag, list filters by plan and parent, and the indicator API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.integration.fixtures_browser import scalar
from tests.integration.fixtures_workflow import WORKER1_DEPARTMENT


def body(app, **changes):
    from app.models import Action, Department, Plan

    lead = scalar(app, select(Department.id).where(Department.name == WORKER1_DEPARTMENT))
    action = scalar(app, select(Action.id).join(Plan, Plan.id == Action.plan_id)
                    .where(Action.index == 1, Plan.kind == "overall"))
    today = dt.date.today()
    data = {
        "title": "落实区委常委会议定事项：园区标准厂房招商",
        "text": "会议议定：区商务局牵头，年底前完成标准厂房招商。",
        "source": "区委常委会议纪要",
        "action_id": action,
        "lead_department_id": lead,
        "deadline": (today + dt.timedelta(days=180)).isoformat(),
        "milestones": [{"title": "完成招商推介", "due_date": (today + dt.timedelta(days=60)).isoformat()}],
    }
    data.update(changes)
    return data


def test_the_office_creates_a_case_and_reads_it_back(app, fresh_db, client, api):
    from app.models import Case, CaseHistory, Plan

    response = client.post("/api/v1/case/", json=body(app), headers=api("office"))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    plan_id = scalar(app, select(Plan.id).where(Plan.kind == "overall"))
    assert created["plan_id"] == plan_id and created["parent_id"] is None
    assert created["percent_done"] == 0 and created["rag"] in ("green", "yellow", "red")
    assert created["state"] == "assigned"
    assert scalar(app, select(func.count(CaseHistory.id)).where(
        CaseHistory.case_id == created["id"], CaseHistory.kind == "created")) == 1

    child = client.post("/api/v1/case/", json=body(app, title="子任务：招商推介会", parent_id=created["id"]),
                        headers=api("office")).get_json()
    assert child["parent_id"] == created["id"]
    one = client.get(f"/api/v1/case/{created['id']}", headers=api("office")).get_json()["result"]
    assert {"plan_id", "parent_id", "percent_done", "rag"} <= set(one)
    listed = client.get(f"/api/v1/case/?q=(filters:!((col:parent_id,opr:eq,value:{created['id']})))",
                        headers=api("office")).get_json()
    assert listed["ids"] == [child["id"]]
    assert all(row["parent_id"] == created["id"] for row in listed["result"])
    by_plan = client.get(f"/api/v1/case/?q=(filters:!((col:plan_id,opr:eq,value:{plan_id})),page_size:1)",
                         headers=api("office")).get_json()
    assert by_plan["count"] == scalar(app, select(func.count(Case.id)).where(Case.plan_id == plan_id))


def test_refusals_write_nothing(app, fresh_db, client, api):
    from app.models import Case

    before = scalar(app, select(func.count(Case.id)))
    refused = client.post("/api/v1/case/", json=body(app), headers=api("worker1"))
    assert refused.status_code == 403 and refused.get_json()["message"] == "只有政府督查室可以立项。"
    late = client.post("/api/v1/case/", json=body(app, deadline="2020-01-01"), headers=api("office"))
    assert late.status_code == 422 and "已经过去" in late.get_json()["message"]
    no_plan = client.post("/api/v1/case/", json=body(app, action_id=None), headers=api("office"))
    assert no_plan.status_code == 422
    assert scalar(app, select(func.count(Case.id))) == before


def test_put_edits_by_who_may(app, fresh_db, client, api):
    created = client.post("/api/v1/case/", json=body(app), headers=api("office")).get_json()
    edited = client.put(f"/api/v1/case/{created['id']}", json={"title": "新标题：标准厂房招商"},
                        headers=api("office"))
    assert edited.status_code == 200 and edited.get_json()["title"] == "新标题：标准厂房招商"
    assert edited.get_json()["version"] == created["version"] + 1
    refused = client.put(f"/api/v1/case/{created['id']}", json={"title": "专班改标题"}, headers=api("lead1"))
    assert refused.status_code == 403
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    ok = client.put(f"/api/v1/case/{created['id']}",
                    json={"milestones": [{"title": "完成厂房验收", "due_date": soon}]}, headers=api("lead1"))
    assert ok.status_code == 200, ok.get_json()


def test_the_indicator_api(app, fresh_db, client, api):
    from app.models import Indicator

    trade = scalar(app, select(Indicator.id).where(Indicator.goal_id.is_not(None),
                                                  Indicator.name == "外贸进出口总额增长"))
    before = client.get(f"/api/v1/indicator/{trade}", headers=api("leader"))
    assert before.status_code == 200
    data = before.get_json()["result"]
    assert (data["kind"], data["target"], data["comparator"], data["light"]) == ("growth", 80.0, "≥", None)
    posted = client.post(f"/api/v1/indicator/{trade}/actual",
                         json={"period": "2024-06", "value": 42.9, "note": "1—6月"}, headers=api("office"))
    assert posted.status_code == 201, posted.get_json()
    data = posted.get_json()["result"]
    assert data["period"] == "2024-06" and data["actual"] == 42.9 and data["expected"] == 80.0
    assert round(data["gap"], 1) == -37.1 and data["gap_unit"] == "pp" and data["light"] == "red"
    assert data["gap_text"] == "低于目标37.1个百分点"
    refused = client.post(f"/api/v1/indicator/{trade}/actual", json={"period": "2024-06", "value": 50},
                          headers=api("worker1"))
    assert refused.status_code == 403
    bad = client.post(f"/api/v1/indicator/{trade}/actual", json={"period": "2024-13", "value": 50},
                      headers=api("office"))
    assert bad.status_code == 422 and "统计期" in bad.get_json()["message"]
    assert client.get("/api/v1/indicator/999999", headers=api("office")).status_code == 404
