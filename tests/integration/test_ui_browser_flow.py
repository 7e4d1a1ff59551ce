"""One case from 已交办 to 已办结 through the pages, in headless Chromium, as four users.

worker1 accepts an action-1 case of 区商务局 from 我的待办, reports progress with a PDF and
submits it; lead1 verifies it from 待核验; office closes it from 待办结; worker2 can neither
open nor find it. Screenshots of every step go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integration.conftest import DEMO_PASSWORD
from tests.integration.fixtures_browser import scalar, small_pdf

pytestmark = pytest.mark.browser


def sign_in(browser, base_url: str, username: str):
    """A new browser context (own cookies) signed in as `username`, on its start page."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(re.compile(r"/((mycasesview|caseview)/list|dashboard)/"))
    return page


def open_queue(page, queue_label: str):
    """Open a queue from the navbar's 我的待办 menu."""
    page.click("a.dropdown-toggle:has-text('我的待办')")
    page.click(f".dropdown-menu a:has-text('{queue_label}')")
    page.wait_for_load_state()


def fire(page, transition: str, comment: str | None = None):
    """Open a transition's dialog, fill in its text, confirm, and wait for the case page."""
    page.click(f"#btn-{transition}")
    dialog = page.locator(f"#dlg-{transition}")
    dialog.wait_for(state="visible")
    if comment is not None:
        dialog.locator("textarea[name=comment]").fill(comment)
    with page.expect_navigation():
        dialog.locator("button[type=submit]").click()


def flash(page) -> str:
    return page.locator(".alert").first.inner_text()


def visible_text(page) -> str:
    return page.locator("body").inner_text()


def assert_tidy(page):
    """Chinese page: no 'None', none of the English strings FAB or we could leave behind."""
    text = visible_text(page)
    assert not re.search(r"\bNone\b", text)
    for english in ("Record Count", "RAG status", "Cancel", "Submit", "Actions", "Deadline"):
        assert english not in text, english


def test_a_case_goes_from_assigned_to_closed_through_the_pages(
    live_server, browser, screenshot, app, tmp_path
):
    from app.models import Action, Case, Department, Indicator

    case_id = scalar(
        app,
        select(Case.id)
        .join(Action, Case.action_id == Action.id)
        .join(Department, Case.lead_department_id == Department.id)
        .where(Action.index == 1, Department.name == "区商务局",
               Case.id.in_(select(Indicator.case_id)))
        .order_by(Case.id)
        .limit(1),
    )
    title = scalar(app, select(Case.title).where(Case.id == case_id))
    evidence = tmp_path / "跨境电商企业名单.pdf"
    evidence.write_bytes(small_pdf("跨境电商企业名单"))

    # worker1: 我的待办 → 待签收 → the case → 签收 → 进展反馈 with a PDF → 报送.
    page = sign_in(browser, live_server, "worker1")
    open_queue(page, "待签收")
    assert page.locator("h4.panel-title").first.inner_text().strip() == "待签收"
    screenshot(page, "01-worker1-to-accept")
    page.click(f"a[href='/caseview/show/{case_id}']")
    assert page.locator(".case-title").inner_text() == title
    assert page.locator(".case-badges .case-state").inner_text() == "已交办"
    assert page.locator("#btn-verify").count() == 0 and page.locator("#btn-close").count() == 0
    assert_tidy(page)
    screenshot(page, "02-worker1-case-assigned")

    page.click("#btn-accept")
    page.locator("#dlg-accept").wait_for(state="visible")
    screenshot(page, "03-worker1-accept-dialog", dialog=True)
    with page.expect_navigation():
        page.locator("#dlg-accept button[type=submit]").click()
    assert "签收成功" in flash(page)
    assert page.locator(".case-badges .case-state").inner_text() == "办理中"

    page.click("#btn-progress")
    dialog = page.locator("#dlg-progress")
    dialog.wait_for(state="visible")
    dialog.locator("#progress-note").fill("已新增跨境电商企业2家，电子商务示范企业正在申报。")
    dialog.locator("#progress-percent").fill("90")
    dialog.locator("input[name^='indicator-']").first.fill("2")
    dialog.locator("#progress-files").set_input_files(str(evidence))
    assert dialog.locator("#progress-file-names").inner_text() == evidence.name
    screenshot(page, "04-worker1-progress-dialog", dialog=True)
    with page.expect_navigation():
        dialog.locator("button[type=submit]").click()
    assert "进展反馈已保存（完成 90%）" in flash(page)
    assert page.locator("a.evidence-link").inner_text() == evidence.name
    with page.expect_download() as download:
        page.click("a.evidence-link")
    assert download.value.suggested_filename == evidence.name
    assert Path(download.value.path()).read_bytes() == evidence.read_bytes()

    fire(page, "submit", "跨境电商企业已新增2家，佐证材料见附件。")
    assert "报送成功，事项现为“已报送”" in flash(page)
    assert_tidy(page)
    screenshot(page, "05-worker1-submitted")
    page.context.close()

    # lead1: 我的待办 → 待核验 → the case → 核验通过.
    page = sign_in(browser, live_server, "lead1")
    open_queue(page, "待核验")
    assert page.locator(f"a[href='/caseview/show/{case_id}']").count() == 1
    assert_tidy(page)
    screenshot(page, "06-lead1-to-verify")
    page.click(f"a[href='/caseview/show/{case_id}']")
    assert page.locator("#btn-accept").count() == 0
    fire(page, "verify", "材料齐全，核验通过。")
    assert "核验通过成功，事项现为“已核验”" in flash(page)
    screenshot(page, "07-lead1-verified")
    page.context.close()

    # office: 我的待办 → 待办结 → the case → 办结.
    page = sign_in(browser, live_server, "office")
    open_queue(page, "待办结")
    assert page.locator(f"a[href='/caseview/show/{case_id}']").count() == 1
    screenshot(page, "08-office-to-close")
    page.click(f"a[href='/caseview/show/{case_id}']")
    fire(page, "close")
    assert "办结成功，事项现为“已办结”" in flash(page)
    assert page.locator(".case-badges .case-state").inner_text() == "已办结"
    timeline = page.locator(".timeline").inner_text()
    for step in ("签收", "进展反馈", "报送", "核验通过", "办结"):
        assert step in timeline, step
    assert_tidy(page)
    screenshot(page, "09-office-closed")
    page.context.close()

    # worker2 (区科学技术局): the case is not found, and no list shows it.
    page = sign_in(browser, live_server, "worker2")
    response = page.goto(f"{live_server}/caseview/show/{case_id}")
    assert response.status == 404
    assert "未找到该事项" in visible_text(page) or "无权查看" in visible_text(page)
    assert_tidy(page)
    screenshot(page, "10-worker2-not-found")
    page.goto(f"{live_server}/caseview/list/?psize_CaseView=200")
    assert title not in visible_text(page)
    assert page.locator(f"a[href='/caseview/show/{case_id}']").count() == 0
    screenshot(page, "11-worker2-all-cases")
    page.context.close()


def test_bulk_verify_from_the_queue_with_csrf_on(live_server, browser, screenshot, app, wf):
    """The 待核验 list's bulk action: checkboxes, comment box, Chinese confirm, CSRF token."""
    first, second = wf.worker1_cases()[:2]
    wf.drive(first, "submitted")
    wf.drive(second, "submitted")
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the action form must carry it
    try:
        page = sign_in(browser, live_server, "lead1")
        open_queue(page, "待核验")
        page.fill("#bulk-comment", "材料齐全，批量核验通过。")
        for case_id in (first, second):
            page.check(f"input.action_check[value='{case_id}']")
        page.click("#bulk-actions")
        page.click("a.bulk_verify_menu_item")
        confirm = page.locator("#modal-confirm")
        confirm.wait_for(state="visible")
        assert "确认核验通过所选事项" in confirm.inner_text()
        assert confirm.locator(".btn-default").inner_text() == "取消"
        screenshot(page, "12-lead1-bulk-verify-confirm", dialog=True)
        with page.expect_navigation():
            page.click("#modal-confirm-ok")
        assert "核验通过：成功 2 件。" in flash(page)
        assert "/toverifyview/list/" in page.url  # back to the queue
        assert_tidy(page)
        screenshot(page, "13-lead1-bulk-verified")
        page.context.close()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    for case_id in (first, second):
        assert wf.case(case_id)["state"] == "verified"
        assert wf.history(case_id, "transition")[-1]["comment"] == "材料齐全，批量核验通过。"
