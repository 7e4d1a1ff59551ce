"""Reports "截至今日" for the running period beside the finished ones (issue 10, item 8).

The office may request a dekad, month or quarter that has not ended: the report stands at
the day it is requested, says so under its title and in its sentences (截至X月X日, 本月以来),
carries no document number and is never signed or issued. Its facts are those of that day:
the same as a finished period ending that day.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest

from tests.integration.conftest import login
from tests.integration.fixtures_reports import pdf_text

JUNE_20 = dt.date(2024, 6, 20)


@pytest.fixture(scope="module")
def render_period(app, report_progress):
    """`render_period(kind, key, as_of=None)` → the PDF's text (as of a day: running)."""
    from app.extensions import db
    from app.reports import render
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    def run(kind: str, key: str, as_of: dt.date | None = None) -> str:
        period = parse_period(key)
        if as_of is not None:
            period = period.so_far(as_of)
        with app.app_context():
            try:
                return pdf_text(render(kind, period=period, plan=latest_plan(),
                                       options={"as_of": as_of.isoformat()} if as_of else {}))
            finally:
                db.session.remove()

    return run


def _sentence(text: str, start: str, end: str = "。") -> str:
    found = re.search(re.escape(start) + ".*?" + re.escape(end), text)
    assert found, f"{start!r} not in {text[:400]}"
    return found.group(0)


def test_a_running_month_stands_at_its_day_like_a_period_ending_that_day(render_period):
    running = render_period("monthly", "2024-06", JUNE_20)
    dekad = render_period("dekad", "2024-06-D2")  # the finished dekad that ends on June 20
    may = render_period("monthly", "2024-05")

    assert "关于2024年6月“八大行动”推进情况的通报" in running
    assert "（截至6月20日。本月尚未结束，本报告不是2024年6月的正式报告，以期末报告为准）" in running
    assert "〔2024〕" not in running and "2024年6月20日" in running  # no number, dated that day
    assert "截至6月30日" not in running and "7月1日" not in running  # nothing after the day
    # The state of the cases: word for word the dekad's, which ends on the same day.
    totals = "截至6月20日，“八大行动”"
    assert _sentence(running, totals, "平均进度") == _sentence(dekad, totals, "平均进度")
    assert (_sentence(running, "红灯（逾期）", "绿灯")
            == _sentence(dekad, "红灯（逾期）", "绿灯"))
    # 本月以来 against the whole of May: done now minus done at May's end.
    done_now = int(re.search(r"已完成（已核验或已办结）(\d+)项", dekad).group(1))
    done_may = int(re.search(r"已完成（已核验或已办结）(\d+)项", may).group(1))
    assert f"与上月（2024年5月）相比，本月以来完成任务增加{done_now - done_may}项" in running
    assert "本月以来与上月工作量对比" in running


def test_a_running_work_report_and_quarterly_say_as_of_which_day(render_period):
    work = render_period("work-report", "2024-06", JUNE_20)
    assert "一、本月以来工作进展" in work and "截至月底" not in work
    assert "本月以来各牵头单位报送进展" in work
    assert "本报告不是2024年6月的正式报告" in work
    quarter = render_period("quarterly", "2024-Q2", JUNE_20)
    assert "（截至6月20日。本季度尚未结束，本报告不是2024年第二季度的正式报告，以期末报告为准）" in quarter
    assert "四、本季度以来变化" in quarter and "截至6月20日" in quarter
    assert "下季度工作要求" in quarter  # the next period is still the next quarter
    finished = render_period("work-report", "2024-06")
    assert "一、本月工作进展" in finished and "正式报告" not in finished


def test_the_office_requests_the_running_dekad_and_gets_a_marked_report(app, report_progress, client, api):
    from app.clock import local_today
    from app.extensions import db
    from app.services import documents
    from app.services.reports import generate_report
    from workflows.errors import InvalidInput
    from workflows.periods import Period, PeriodKind

    with app.app_context():
        today = local_today()
    running = Period.containing(PeriodKind.DEKAD, today)
    day = f"{today.month}月{today.day}日"

    page = client.get("/reports/")  # anonymous: sign in as the office
    login(client, "office")
    page = client.get("/reports/").get_data(as_text=True)
    assert f'<option value="{running.key}"' in page and "截至今日（非正式）" in page

    response = client.post("/api/v1/report/", json={"kind": "dekad", "period": running.key},
                           headers=api("office"))
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["period"] == running.key and body["as_of"] == today.isoformat()
    with app.app_context():
        try:
            generate_report(body["id"])
            with pytest.raises(InvalidInput):  # never signed or issued
                documents.sign(body["id"], _office_actor())
        finally:
            db.session.remove()

    download = client.get(f"/api/v1/report/{body['id']}/download", headers=api("office"))
    assert download.status_code == 200
    assert f"旬简报-{running.key}-截至{day}.pdf" in unquote(download.headers["Content-Disposition"])
    text = pdf_text(download.data)
    assert f"{running.label_zh}“八大行动”推进情况简报" in text
    assert f"（截至{day}。本旬尚未结束，本报告不是{running.label_zh}的正式报告，以期末报告为准）" in text
    assert f"截至{day}" in text and "本旬以来" in text and "〔" not in text

    listed = client.get("/reports/").get_data(as_text=True)
    assert f"截至{day}，非正式报告" in listed

    # A period that has not started is still refused, in Chinese.
    later = running.next().next().next().next()
    refused = client.post("/api/v1/report/", json={"kind": "dekad", "period": later.key},
                          headers=api("office"))
    assert refused.status_code == 422 and "尚未开始" in refused.get_json()["message"]


def _office_actor():
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from app.extensions import db
    from app.security import actor_for

    return actor_for(db.session.scalar(select(User).where(User.username == "office")))


def test_the_cli_renders_the_running_month_as_of_today_without_a_number(app, report_progress, tmp_path):
    from app.clock import local_today
    from workflows.periods import Period, PeriodKind

    with app.app_context():
        today = local_today()
    month = Period.containing(PeriodKind.MONTH, today)
    out = tmp_path / "running.pdf"
    result = app.test_cli_runner().invoke(args=["report", "render", "monthly", "--period", month.key,
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert f"（截至{today.month}月{today.day}日。本月尚未结束" in text and "〔" not in text
