"""Several plans at once: a 民生实事 list and an action's 实施方案 loaded beside the 2024 plan.

Each plan's dashboard, lists, exports and reports show only its cases; all-plans views show
them all; the implementation plan's cases count as its action's; the choice is remembered.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import login
from tests.integration.fixtures_browser import html
from tests.integration.fixtures_workflow import WORKER1_DEPARTMENT, WORKER2_DEPARTMENT

LIVELIHOOD = f"""
title: 2024年鹤城区重点民生实事
year: 2024
kind: livelihood
cases:
  - key: ms-1
    title: 新增城区公办幼儿园学位900个
    text: 新增城区公办幼儿园学位900个。
    lead_departments: [{WORKER2_DEPARTMENT}]
    deadline: 2024-11-30
  - key: ms-2
    title: 改造老旧小区供水管网12公里
    text: 改造老旧小区供水管网12公里。
    lead_departments: [{WORKER1_DEPARTMENT}]
"""

IMPLEMENTATION = f"""
title: 产业培塑行动实施方案
year: 2024
kind: implementation
implements: {{year: 2024, action: 1}}
cases:
  - key: impl-1
    title: 建成新能源装备产业园标准厂房5万平方米
    text: 建成新能源装备产业园标准厂房5万平方米。
    lead_departments: [{WORKER1_DEPARTMENT}]
"""


def load(app, tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["plan", "load", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture()
def three_plans(app, fresh_db, tmp_path):
    load(app, tmp_path, "livelihood.yaml", LIVELIHOOD)
    load(app, tmp_path, "implementation.yaml", IMPLEMENTATION)
    from app.models import Case, Plan

    ids = dict(scalar_rows(app, select(Plan.kind, Plan.id)))
    counts = dict(scalar_rows(app, select(Case.plan_id, func.count()).group_by(Case.plan_id)))
    return {"ids": ids, "counts": counts}


def scalar_rows(app, query):
    from app.extensions import db

    with app.app_context():
        try:
            return list(db.session.execute(query))
        finally:
            db.session.remove()


def choose(client, plan):
    """Pick a plan from the navbar's menu, as a user does, from the dashboard."""
    page = html(client.get("/dashboard/"))
    link = re.search(rf'href="(/planscope/choose\?plan={plan}&amp;next=[^"]*)"', page)
    assert link, f"no menu entry for plan {plan}"
    return client.get(link.group(1).replace("&amp;", "&"), follow_redirects=True)


def total_tile(page: str) -> int:
    return int(re.search(r'id="tile-total"[^>]*>\s*<div class="dash-value">(\d+)</div>', page).group(1))


def exported_titles(client) -> list[str]:
    from openpyxl import load_workbook

    response = client.get("/caseview/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header_row = next(i for i, row in enumerate(sheet.iter_rows(values_only=True), 1)
                      if any(str(c or "").strip() in ("事项",) for c in row))
    header = [str(c or "").strip() for c in next(sheet.iter_rows(min_row=header_row, max_row=header_row,
                                                                 values_only=True))]
    column = next(i for i, h in enumerate(header) if h in ("事项",))
    return [row[column] for row in sheet.iter_rows(min_row=header_row + 1, values_only=True) if row[column]]


def test_each_plan_shows_only_its_cases_and_all_plans_show_all(app, client, three_plans):
    ids, counts = three_plans["ids"], three_plans["counts"]
    overall = counts[ids["overall"]] + counts[ids["implementation"]]  # 实施方案 counts in its action
    login(client, "office")

    # Never chose: the overall plan, with its action's implementation plan; not the 民生实事.
    page = html(client.get("/dashboard/"))
    assert total_tile(page) == overall and "2024年鹤城区重点民生实事" not in page.split("<h2")[1]

    page = html(choose(client, ids["livelihood"]))
    assert "当前方案：2024年鹤城区重点民生实事（2024）" in page
    assert total_tile(page) == 2
    assert "其他事项" in page  # its cases belong to no action
    listing = html(client.get("/caseview/list/"))
    assert "新增城区公办幼儿园学位900个" in listing and "改造老旧小区供水管网12公里" in listing
    assert len(set(re.findall(r'href="/caseview/show/(\d+)"', listing))) == 2
    assert sorted(exported_titles(client)) == ["改造老旧小区供水管网12公里", "新增城区公办幼儿园学位900个"]

    # Remembered: another request, another page, the same plan.
    assert total_tile(html(client.get("/dashboard/"))) == 2

    page = html(choose(client, "all"))
    assert total_tile(page) == sum(counts.values())
    assert "全部方案" in page
    listing = html(client.get("/caseview/list/?q=幼儿园学位"))
    assert "新增城区公办幼儿园学位900个" in listing

    page = html(choose(client, ids["overall"]))
    assert total_tile(page) == overall
    assert "新增城区公办幼儿园学位900个" not in html(client.get("/caseview/list/?q=幼儿园学位"))


def test_the_implementation_plans_cases_are_the_actions(app, client, three_plans):
    from app.models import Action, Case, Plan

    rows = scalar_rows(app, select(Case.id, Action.index, Action.plan_id, Plan.kind)
                       .join(Action, Action.id == Case.action_id).join(Plan, Plan.id == Case.plan_id)
                       .where(Case.source_key == "impl-1"))
    (case_id, action_index, action_plan, kind), = rows
    assert (action_index, action_plan, kind) == (1, three_plans["ids"]["overall"], "implementation")
    # The task force of action one leads it like any other case of its action.
    login(client, "lead1")
    assert client.get(f"/caseview/show/{case_id}").status_code == 200
    page = html(client.get("/dashboard/"))
    row = re.search(r'<tr class="action-row" data-action="1">(.*?)</tr>', page, re.S).group(1)
    cases_in_action_one = scalar_rows(app, select(func.count()).select_from(Case).join(Action)
                                      .where(Action.index == 1,
                                             Action.plan_id == three_plans["ids"]["overall"]))[0][0]
    assert re.findall(r'<td class="num[^"]*">(?:<a[^>]*>)?([^<]*)<', row)[0] == str(cases_in_action_one)


def test_a_report_names_its_plan_and_counts_only_its_cases(app, three_plans):
    from app.extensions import db
    from app.models import Report
    from app.services.reports import clean_options, generate_report
    from tests.integration.fixtures_reports import pdf_text

    with app.app_context():
        report = Report(kind="monthly", period_key="2024-06", trigger="manual", status="queued",
                        options=clean_options("monthly", {"plan_id": three_plans["ids"]["livelihood"]}))
        db.session.add(report)
        db.session.commit()
        report = generate_report(report.id)
        pdf = (Path(app.config["REPORT_FOLDER"]) / report.file_name).read_bytes()
        db.session.remove()
    text = pdf_text(pdf)
    assert "关于2024年6月《2024年鹤城区重点民生实事》推进情况的通报" in text
    assert "2项督办任务中" in text
    assert "产业培塑行动" not in text


def test_plan_load_takes_the_dump_json(app, fresh_db, tmp_path):
    from app.models import Case, Indicator

    before = scalar_rows(app, select(func.count(Case.id)))[0][0], scalar_rows(app, select(func.count(Indicator.id)))[0][0]
    dump = app.test_cli_runner().invoke(args=["plan", "dump", "--json"])
    assert dump.exit_code == 0
    path = tmp_path / "dump.json"
    path.write_text(dump.output, encoding="utf-8")
    output = app.test_cli_runner().invoke(args=["plan", "load", str(path)])
    assert output.exit_code == 0, output.output
    after = scalar_rows(app, select(func.count(Case.id)))[0][0], scalar_rows(app, select(func.count(Indicator.id)))[0][0]
    assert after == before  # the same plan, updated in place: nothing doubled
    assert json.loads(dump.output)["actions"][0]["cases"][0]["key"]
