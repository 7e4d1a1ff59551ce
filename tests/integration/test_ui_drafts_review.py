"""The draft review screen in headless Chromium (issue 13): a unit's match is fixed from the
list, a target is added, and the draft is loaded into an existing action as its 实施方案.
Screenshots (desktop and 390 px) go to test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.integration.fixtures_browser import scalar
from tests.integration.test_ui_browser_flow import sign_in, visible_text

pytestmark = pytest.mark.browser


TEXT = """鹤城区2025年城市更新实施方案
2025年主要预期目标是：改造老旧小区12个，新增停车泊位800个。

一、重点任务
1.改造老旧小区12个，截至3月底已开工5个。
牵头单位：区住建局
责任单位：区文化旅游局、区教育局（配合）
2.新增停车泊位800个。（区城管执法局牵头）
"""


def test_review_screen_fix_a_match_add_a_target_load_into_an_action(restored_db, live_server, browser, screenshot, app,
                                                                   tmp_path):
    from app.models import Action, Case, Department, Plan

    plan_id = scalar(app, select(func.min(Plan.id)))
    action_id = scalar(app, select(Action.id).where(Action.plan_id == plan_id, Action.index == 8))
    before = scalar(app, select(func.count(Case.id)).where(Case.action_id == action_id))
    source = tmp_path / "城市更新实施方案.txt"
    source.write_text(TEXT, encoding="gb18030")

    page = sign_in(browser, live_server, "office")
    page.goto(f"{live_server}/drafts/")
    page.set_input_files("input[type=file]", str(source))
    with page.expect_navigation():
        page.click("form [type=submit]")
    assert "/drafts/" in page.url
    text = visible_text(page)
    assert "草稿中的单位" in text and "区住房和城乡建设局（100%）" in page.content()
    row = page.locator("tr.department-match[data-name='区文化旅游局']")
    assert "系统中有相近的单位" in row.inner_text()
    screenshot(page, "drafts-01-review-desktop")

    # The unit's match is fixed from the list: 区文化旅游局 is 区文化旅游广电体育局.
    row.locator("select").select_option("区文化旅游广电体育局")
    # A target the text did not give: added to the second task.
    with page.expect_navigation():
        page.click("button[value='add_target:a0.c1']")
    page.fill("input[name='a0.c1.i1.name']", "新建充电桩")
    page.fill("input[name='a0.c1.i1.value']", "200")
    page.fill("input[name='a0.c1.i1.unit']", "个")
    assert page.locator("tr.department-match[data-name='区文化旅游局'] select").input_value() == "区文化旅游广电体育局"
    assert "已由您选定" in page.locator("tr.department-match[data-name='区文化旅游局']").inner_text()
    # The actual value of the first task is offered for its target.
    assert page.locator("tr.actual-row").count() == 1 and "截至3月底" in page.locator("tr.actual-row").inner_text()

    page.check("input[name=load_mode][value=action]")
    page.select_option("#target-action", str(action_id))
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "drafts-02-review-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_navigation():
        page.click("button[value=load]")
    assert "作为行动实施方案载入" in visible_text(page), visible_text(page)[:500]

    assert scalar(app, select(func.count(Case.id)).where(Case.action_id == action_id)) == before + 2
    assert scalar(app, select(func.count(Department.id)).where(Department.name == "区文化旅游局")) == 0
    assert scalar(app, select(func.count(Department.id)).where(Department.name.like("%（配合）"))) == 0
    assert not re.search(r"\bNone\b", visible_text(page))
