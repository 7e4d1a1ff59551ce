"""时间节点 that count (issue 11): a missed milestone shows in the case's timeline, in the 督办通知单,
in the reports' text (督查通报, 月通报 list the missed milestones), and the API's case list
filters by it (有逾期节点), as the pages' lists do."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from tests.integration.conftest import login
from tests.integration.fixtures_browser import html, scalar
from tests.integration.fixtures_reports import pdf_text
from tests.integration.fixtures_workflow import WORKER1_DEPARTMENT


def open_case(app, client, api, milestones, *, title="落实区长批示：新能源装备产业园用电保障"):
    from app.models import Action, Department, Plan

    body = {
        "title": title, "text": "请区商务局牵头拿出保障方案。",
        "action_id": scalar(app, select(Action.id).join(Plan, Plan.id == Action.plan_id)
                            .where(Action.index == 1, Plan.kind == "overall")),
        "lead_department_id": scalar(app, select(Department.id).where(Department.name == WORKER1_DEPARTMENT)),
        "deadline": (dt.date.today() + dt.timedelta(days=120)).isoformat(),
        "milestones": [{"title": t, "due_date": d} for t, d in milestones],
    }
    answer = client.post("/api/v1/case/", json=body, headers=api("office"))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def execute(app, statement):
    from app.extensions import db

    with app.app_context():
        db.session.execute(statement)
        db.session.commit()
        db.session.remove()


def test_a_missed_milestone_is_in_the_timeline_and_the_api_filter(app, fresh_db, client, api):
    from app.models import Milestone

    yesterday = dt.date.today() - dt.timedelta(days=1)
    later = dt.date.today() + dt.timedelta(days=30)
    case_id = open_case(app, client, api, [("提交方案初稿", yesterday.isoformat()),
                                           ("完成线路改造", later.isoformat())])
    other = open_case(app, client, api, [("完成线路改造", later.isoformat())], title="另一项任务")
    # The API (bearer tokens; no browser session yet).
    query = "/api/v1/case/?q=(filters:!((col:deadline,opr:milestone,value:missed)),page_size:100)"
    listed = client.get(query, headers=api("office")).get_json()
    assert [row["id"] for row in listed["result"]] == [case_id] and listed["count"] == 1
    assert listed["result"][0]["rag"] == "yellow"
    soon = client.get("/api/v1/case/?q=(filters:!((col:deadline,opr:milestone,value:soon)),page_size:100)",
                      headers=api("office")).get_json()
    assert {row["id"] for row in soon["result"]} == set()  # 30 days away is not within 10
    # A caseworker's list is still only what they see: worker2 does not see worker1's case.
    assert client.get(query, headers=api("worker2")).get_json()["count"] == 0

    login(client, "office")
    page = html(client.get(f"/caseview/show/{case_id}"))
    timeline = page[page.index('class="timeline"'):]
    assert "时间节点逾期" in timeline and "提交方案初稿" in timeline and "尚未完成" in timeline
    assert "完成线路改造" not in timeline  # not due yet: only in the milestones panel

    client.get("/logout/")
    login(client, "worker1")
    milestone = scalar(app, select(Milestone.id).where(Milestone.case_id == case_id,
                                                       Milestone.title == "提交方案初稿"))
    client.post(f"/caseedit/{case_id}/milestone/{milestone}", data={"note": "初稿已报区政府办"})
    timeline = html(client.get(f"/caseview/show/{case_id}"))
    timeline = timeline[timeline.index('class="timeline"'):]
    # The miss stays in the timeline, followed by the late report.
    assert timeline.index("时间节点逾期") < timeline.index("时间节点完成")
    assert "后已补报完成" in timeline
    # Reported: no longer in the 节点逾期 list (the pages' filter, as the API's).
    assert f'/caseview/show/{case_id}"' not in html(client.get("/caseview/list/?milestone=missed"))
    assert other


def test_notices_and_reports_list_missed_milestones(app, fresh_db, client, api, render_as_of):
    from app.models import Case, Milestone
    from app.reports.periodic import overview
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    case_id = open_case(app, client, api, [("拿出保障方案", "2024-06-10"), ("完成线路改造", "2024-06-25"),
                                           ("项目竣工验收", "2024-11-30")])
    # As if opened at the start of 2024: the first milestone was reported on time, the second late
    # (in July: at the end of June it was missed).
    execute(app, update(Case).where(Case.id == case_id).values(start_date=dt.date(2024, 1, 1)))
    execute(app, update(Milestone).where(Milestone.case_id == case_id, Milestone.title == "拿出保障方案")
            .values(done_at=dt.datetime(2024, 6, 9, 2)))
    execute(app, update(Milestone).where(Milestone.case_id == case_id, Milestone.title == "完成线路改造")
            .values(done_at=dt.datetime(2024, 7, 5, 2)))

    with app.app_context():
        data = overview(parse_period("2024-06"), latest_plan())
        rows = [(r["case_title"], r["title"]) for r in data["missed_milestones"]["rows"]]
        from app.extensions import db

        db.session.remove()
    assert rows == [("落实区长批示：新能源装备产业园用电保障", "完成线路改造")]

    inspection = pdf_text(render_as_of("inspection", period="2024-06", options={}))
    assert "另有1个时间节点已过期仍未报告完成" in inspection and "时间节点逾期清单" in inspection
    assert "完成线路改造" in inspection and "拿出保障方案" not in inspection
    monthly = pdf_text(render_as_of("monthly", period="2024-06", options={}))
    assert "有1个时间节点已过期仍未报告完成" in monthly and "完成线路改造" in monthly

    notice = pdf_text(render_as_of("notice", case_id=case_id, as_of=dt.date(2024, 7, 1), options={}))
    assert "时间节点" in notice
    assert "2024年6月10日前拿出保障方案已完成（2024年6月9日报告）" in re.sub(r"\s", "", notice)
    assert "2024年6月25日前完成线路改造逾期未完成" in re.sub(r"\s", "", notice)
    assert "2024年11月30日前项目竣工验收未到期" in re.sub(r"\s", "", notice)
    assert "尽快完成已逾期的时间节点" in notice

