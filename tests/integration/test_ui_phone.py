"""On a phone (390×844): no page wider than the screen, lists as cards, the bell always in sight.

Every page reachable from the menu, as every demo role, plus a case page and the
notification centre. Screenshots: test-artifacts/screenshots/phone-<role>-<page>.png.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.integration.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ROLES = ["office", "leader", "lead1", "worker1", "admin"]
# Pages that are not pages: downloads, sign-out, the language switch.
NOT_PAGES = re.compile(r"/(logout|lang|lists/template|lists/export)|/export/|^#|^javascript")


def phone_page(browser, base_url: str, username: str):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def menu_links(page) -> list[str]:
    """Every link of the menu bar (inside the collapsed menu too), in order, once."""
    hrefs = page.eval_on_selector_all(
        ".navbar a[href]", "links => links.map(a => a.getAttribute('href'))")
    seen = []
    for href in hrefs:
        if href and not NOT_PAGES.search(href) and href not in seen:
            seen.append(href)
    return seen


def slug(url: str) -> str:
    path = urlparse(url).path.strip("/").replace("/", "-") or "home"
    return re.sub(r"[^\w-]", "", path)[:60]


@pytest.mark.parametrize("username", ROLES)
def test_no_page_is_wider_than_a_phone(live_server, browser, screenshot, username):
    context, page = phone_page(browser, live_server, username)
    try:
        # The bell is on the bar itself, not hidden in the collapsed menu.
        bell = page.locator(".navbar-header .duban-bell")
        assert bell.is_visible()
        assert page.locator(".navbar-collapse").is_hidden()
        urls = menu_links(page)
        assert len(urls) >= 3
        urls += ["/caseview/show/1", "/notifications/"]
        too_wide = {}
        for url in dict.fromkeys(urls):
            response = page.goto(live_server + url)
            assert response.status < 500, url
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.scrollingElement.scrollWidth")
            screenshot(page, f"phone-{username}-{slug(url)}")
            if width > PHONE["width"]:
                too_wide[url] = width
        assert not too_wide, too_wide
    finally:
        context.close()


def test_case_lists_are_cards_on_a_phone(live_server, browser, screenshot):
    context, page = phone_page(browser, live_server, "office")
    try:
        page.goto(f"{live_server}/caseview/list/?q=区商务局")
        card = page.locator("table.case-list tbody tr").first
        box = card.bounding_box()
        assert box["width"] <= PHONE["width"]
        # Each card shows the title, the light, the state, the deadline and the percentage…
        for column in ("case_link", "rag", "state", "deadline", "percent_done"):
            assert card.locator(f"td.col-{column}").is_visible(), column
        # …and not the other columns of the desktop table.
        for column in ("action", "lead_department", "partners"):
            assert card.locator(f"td.col-{column}").is_hidden(), column
        assert page.locator("table.case-list thead").is_hidden()
        assert "2024-12-31" in card.inner_text() and "已交办" in card.inner_text()
        screenshot(page, "phone-office-case-cards")
    finally:
        context.close()
