"""Daily use of the installed app (scripts/run), as its users live it, in Chromium.

One story on the living demo, in order: the office urges a unit and the mail reaches it; the
morning reminders reach the mailbox and the robot (webhook); the caseworker opens the link
in the mail, signs in, accepts, reports progress with an evidence file and submits; the
task-force lead verifies it and returns another case; the office approves an extension,
closes the verified case, generates a report and downloads it; a leader clicks from the
dashboard to the cases behind a number. Screenshots of each step (desktop and phone) go to
test-artifacts/acceptance/.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.acceptance.conftest import DEMO_PASSWORD, DESKTOP

pytestmark = [pytest.mark.acceptance, pytest.mark.browser]

ZONE = ZoneInfo("Asia/Shanghai")
ENGLISH = ("Record Count", "Cancel", "Submit", "Actions", "Deadline", "None", "Show ", "Edit ")


def sign_in(browser, url: str, username: str, next_url: str | None = None):
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(next_url or f"{url}/login/")
    if "/login" not in page.url:
        page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("[type=submit]")
    return page


def fire(page, transition: str, comment: str | None = None):
    page.click(f"#btn-{transition}")
    dialog = page.locator(f"#dlg-{transition}")
    dialog.wait_for(state="visible")
    if comment is not None:
        dialog.locator("textarea[name=comment]").fill(comment)
    with page.expect_navigation():
        dialog.locator("button[type=submit]").click()


def flash(page) -> str:
    return page.locator(".alert").first.inner_text()


def assert_chinese(page):
    text = page.locator("body").inner_text()
    for english in ENGLISH:
        assert english not in text, f"{english!r} on {page.url}"


def last_working_day_morning(installed) -> str:
    """10:00 local on the latest working day up to today (when the reminders go out)."""
    import chinese_calendar

    day = dt.datetime.now(ZONE).date()
    while not chinese_calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), tzinfo=ZONE).isoformat()


def test_the_installed_app_through_a_working_day(installed, browser, mailbox, hooks, shoot):
    box, _ = mailbox
    received, hook_port = hooks
    url = installed.url

    # The admin's set-up: a robot for every event, mail at any hour (the test runs at night too).
    installed.sql("INSERT INTO webhook (name, url, format, active) VALUES (?, ?, 'generic', 1)",
                  ("督办机器人", f"http://127.0.0.1:{hook_port}/hook"))
    installed.sql("INSERT OR REPLACE INTO setting (key, value, description) VALUES "
                  "('notifications.office_hours_only', 'false', '')")

    # A case the office has just handed to the demo unit, in an action with another case
    # waiting for verification (the lead returns that one).
    case_id, action_id = installed.sql(
        """SELECT c.id, c.action_id FROM "case" c JOIN department d ON d.id = c.lead_department_id
           WHERE d.name = '演示承办单位' AND c.state = 'assigned'
             AND EXISTS (SELECT 1 FROM "case" o WHERE o.action_id = c.action_id AND o.state = 'submitted')
           ORDER BY c.id LIMIT 1""")[0]
    other_id = installed.sql("""SELECT id FROM "case" WHERE action_id = ? AND state = 'submitted'
                                ORDER BY id LIMIT 1""", (action_id,))[0][0]
    action_index = installed.sql("SELECT \"index\" FROM action WHERE id = ?", (action_id,))[0][0]
    lead = "lead1" if action_index == 1 else f"lead{action_index}"
    extension_case = installed.sql(
        "SELECT case_id FROM extension_request WHERE status = 'pending' ORDER BY id LIMIT 1")[0][0]

    # 1. The office urges the unit from the case page.
    office = sign_in(browser, url, "office")
    assert "演示数据" in office.locator(".duban-demo-banner").inner_text()
    shoot(office, "01-office-start")
    office.goto(f"{url}/caseview/show/{case_id}")
    office.click("#btn-urge")
    office.locator("#dlg-urge").wait_for(state="visible")
    office.fill("#urge-comment", "请尽快签收并报送工作计划。")
    shoot(office, "02-office-urge-dialog")
    with office.expect_navigation():
        office.locator("#dlg-urge button[type=submit]").click()
    assert "催办" in flash(office)
    assert_chinese(office)

    # The mail reaches the unit's caseworker, with the link to the case.
    urge_mail = box.wait_for(lambda m: f"/caseview/show/{case_id}" in m["body"] and "催办" in m["subject"])[0]
    caseworker = urge_mail["to"][0].split("@")[0]
    assert caseworker.startswith("worker")
    link = re.search(r"https?://\S+/caseview/show/\d+", urge_mail["body"]).group(0)

    # 2. The morning reminders (what beat runs every quarter hour) reach mail and the robot.
    installed.flask("reminders", "tick", "--at", last_working_day_morning(installed))
    box.wait_for(lambda m: "提醒" in m["subject"] or "逾期" in m["subject"] or "到期" in m["subject"])
    deadline = dt.datetime.now() + dt.timedelta(seconds=120)
    while not received.bodies and dt.datetime.now() < deadline:
        office.wait_for_timeout(500)
    assert received.bodies, "the webhook received nothing"
    assert all(body.get("title") for body in received.bodies)

    # 3. The caseworker opens the link in the mail: sign-in, then the case.
    worker = sign_in(browser, url, caseworker, next_url=link)
    if f"/caseview/show/{case_id}" not in worker.url:
        worker.goto(link)
    assert worker.locator(".case-badges .case-state").inner_text() == "已交办"
    assert "请尽快签收" in worker.locator("body").inner_text()
    shoot(worker, "03-caseworker-from-mail")
    worker.click("#btn-accept")
    worker.locator("#dlg-accept").wait_for(state="visible")
    with worker.expect_navigation():
        worker.locator("#dlg-accept button[type=submit]").click()
    assert worker.locator(".case-badges .case-state").inner_text() == "办理中"
    evidence = Path(installed.folder) / "var" / "现场照片说明.txt"
    evidence.write_text("现场核查记录：项目已开工，照片另附。\n", encoding="utf-8")
    worker.click("#btn-progress")
    dialog = worker.locator("#dlg-progress")
    dialog.wait_for(state="visible")
    dialog.locator("#progress-note").fill("已签收并制定工作计划，项目已开工。")
    dialog.locator("#progress-percent").fill("40")
    dialog.locator("#progress-files").set_input_files(str(evidence))
    shoot(worker, "04-caseworker-progress")
    with worker.expect_navigation():
        dialog.locator("button[type=submit]").click()
    assert "40%" in flash(worker)
    assert worker.locator("a.evidence-link").first.inner_text() == evidence.name
    fire(worker, "submit", "阶段任务已完成，请核验。")
    assert "已报送" in flash(worker)
    assert_chinese(worker)
    shoot(worker, "05-caseworker-submitted")
    worker.context.close()

    # 4. The task-force lead verifies it and returns the other one.
    lead_page = sign_in(browser, url, lead)
    lead_page.goto(f"{url}/caseview/show/{case_id}")
    fire(lead_page, "verify", "核验通过。")
    assert "已核验" in flash(lead_page)
    lead_page.goto(f"{url}/caseview/show/{other_id}")
    fire(lead_page, "return", "佐证材料不全，请补充数据来源。")
    assert "办理中" in lead_page.locator(".case-badges .case-state").inner_text()
    assert_chinese(lead_page)
    shoot(lead_page, "06-lead-returned")
    lead_page.context.close()

    # 5. The office approves the extension, closes the verified case, makes a report.
    office.goto(f"{url}/caseview/show/{extension_case}")
    shoot(office, "07-office-extension")
    office.fill("#pending-extension input[name=comment]", "同意延期。")
    with office.expect_navigation():
        office.click("#btn-approve")
    assert office.locator("#pending-extension").count() == 0
    office.goto(f"{url}/caseview/show/{case_id}")
    fire(office, "close")
    assert office.locator(".case-badges .case-state").inner_text() == "已办结"
    shoot(office, "08-office-closed")
    office.goto(f"{url}/reports/")
    office.select_option("#kind", "monthly")
    today = dt.datetime.now(ZONE).date()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    office.fill("#period", f"{last_month:%Y-%m}")
    with office.expect_navigation():
        office.click("#report-form button[type=submit]")
    download_link = office.locator(".report-download a").first
    download_link.wait_for(state="visible", timeout=180_000)
    shoot(office, "09-office-reports")
    with office.expect_download() as download:
        download_link.click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")
    assert_chinese(office)
    office.context.close()

    # 6. A leader clicks from the dashboard to the cases behind a number.
    leader = sign_in(browser, url, "leader")
    leader.goto(f"{url}/dashboard/")
    shoot(leader, "10-leader-dashboard")
    red = leader.locator("tfoot a.dash-num").nth(6)  # 合计, five states, then 红灯
    count = int(red.inner_text())
    assert count > 0
    with leader.expect_navigation():
        red.click()
    links = {a.get_attribute("href") for a in leader.locator("a[href^='/caseview/show/']").all()}
    assert len(links) == count, (count, sorted(links))
    assert_chinese(leader)
    shoot(leader, "11-leader-red-cases")
    leader.context.close()
