"""Accessibility basics on the main pages, checked by axe-core in Chromium.

axe-core (npm package axe-core 4.14, tests/data/axe/axe.min.js, MPL-2.0) is injected from the
test data, not a CDN. Checked: every form field has a label, text has enough contrast, and
focus moves in reading order (no positive tabindex; Tab from the top of the login form goes
user name → password → sign in).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "data" / "axe" / "axe.min.js"
RULES = ["label", "select-name", "color-contrast", "tabindex", "button-name", "link-name",
         "image-alt", "html-has-lang", "document-title", "aria-dialog-name"]


def axe(page) -> list[dict]:
    """axe-core's violations of RULES on the page as it is now."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """rules => axe.run(document, {runOnly: {type: 'rule', values: rules}, resultTypes: ['violations']})
             .then(r => r.violations.map(v => ({id: v.id, help: v.help,
                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})))""",
        RULES,
    )


def sign_in(browser, base_url: str, username: str):
    # axe is injected as an inline script, which the pages' CSP rightly refuses: the
    # checking context lets the test tool in (the pages themselves are unchanged).
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900},
                                  bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("[type=submit]")
    return page


def test_the_login_form_is_labelled_and_tabs_in_order(live_server, browser, screenshot):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900},
                                  bypass_csp=True)  # for axe's inline script, as in sign_in
    page = context.new_page()
    page.goto(f"{live_server}/login/")
    assert axe(page) == []
    page.focus("#username")
    order = ["username"]
    for _ in range(2):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.type"))
    assert order == ["username", "password", "submit"], order
    context.close()


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("office", "/dashboard/"),
        ("office", "/caseview/list/"),
        ("worker1", "/mycasesview/list/"),
        ("worker1", "/caseview/show/{case}"),
        ("office", "/reports/"),
        ("worker1", "/notifications/"),
    ],
)
def test_main_pages_pass_axe(live_server, browser, app, username, path, wf):
    case_id = wf.worker1_cases()[0]
    page = sign_in(browser, live_server, username)
    page.goto(live_server + path.format(case=case_id))
    violations = axe(page)
    assert violations == [], "\n".join(f"{v['id']}: {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in violations)
    page.context.close()


def test_the_progress_dialog_is_labelled(live_server, browser, wf):
    case_id = wf.worker1_cases()[0]
    wf.drive(case_id, "in_progress")
    page = sign_in(browser, live_server, "worker1")
    page.goto(f"{live_server}/caseview/show/{case_id}")
    page.click("#btn-progress")
    page.locator("#dlg-progress").wait_for(state="visible")
    page.wait_for_timeout(400)  # the fade-in, so contrast is measured on the final colours
    violations = axe(page)
    assert violations == [], violations
    focused = page.evaluate("document.activeElement.closest('#dlg-progress') !== null")
    assert focused, "focus is not inside the open dialog"
    assert re.search(r"进展", page.locator("#dlg-progress").inner_text())
    page.context.close()
