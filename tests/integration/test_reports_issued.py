"""Official documents an office can sign and send (issue 12, part 1).

A year of 2024's periodic documents issued through the register: no number repeated
within a series and year of issue, every 成文日期 a working day; the draft → 签发 → issued
life of a report; praise and criticism that never name one unit twice; sentences only
where their facts hold.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from tests.integration.fixtures_reports import pdf_text

PERIODS_2024 = {
    "dekad": [f"2024-{m:02d}-D{d}" for m in range(1, 13) for d in (1, 2, 3)],
    "monthly": [f"2024-{m:02d}" for m in range(1, 13)],
    "work-report": [f"2024-{m:02d}" for m in range(1, 13)],
    "quarterly": [f"2024-Q{q}" for q in range(1, 5)],
    # 督查通报 covers any period: months and quarters share one series.
    "inspection": [f"2024-{m:02d}" for m in range(1, 13)] + [f"2024-Q{q}" for q in range(1, 5)] + ["2024"],
}


@pytest.fixture(scope="module")
def issued_year(app, report_progress):
    """Every periodic document of 2024 issued in the order beat would issue them."""
    from app.extensions import db
    from app.services.documents import issued_options
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    issued = []
    with app.app_context():
        plan = latest_plan()
        subjects = [(kind, parse_period(key)) for kind, keys in PERIODS_2024.items() for key in keys]
        for kind, period in sorted(subjects, key=lambda s: (s[1].end, s[0])):
            options = issued_options(kind, period.key, period, plan, {})
            issued.append((kind, period.key, options["number"], dt.date.fromisoformat(options["date"])))
        db.session.commit()
        db.session.remove()
    return issued


def test_a_year_of_documents_has_no_repeated_number_within_a_series_and_year_of_issue(issued_year):
    numbers = Counter(number for _kind, _key, number, _day in issued_year)
    assert [n for n, count in numbers.items() if count > 1] == []
    # 2024-03 and 2024-Q3 used to be both 鹤督查〔2024〕3号.
    by_subject = {(k, key): n for k, key, n, _d in issued_year}
    assert by_subject[("inspection", "2024-03")] != by_subject[("inspection", "2024-Q3")]
    # The year of issue is the year of the 成文日期: December's bulletin is a 2025 document.
    for kind, key, number, day in issued_year:
        assert f"〔{day.year}〕" in number, (kind, key, number, day)
    assert "〔2025〕" in by_subject[("monthly", "2024-12")]
    # Each series counts 1, 2, 3 … in its year of issue, without gaps.
    series: dict[tuple[str, int], list[int]] = {}
    for _kind, _key, number, _day in issued_year:
        prefix, year, seq = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", number).groups()
        series.setdefault((prefix, int(year)), []).append(int(seq))
    for seqs in series.values():
        assert seqs == list(range(1, len(seqs) + 1))


def test_every_date_written_is_a_working_day(app, issued_year):
    from app.extensions import db
    from app.working_days import current_calendar

    with app.app_context():
        calendar = current_calendar()
        db.session.remove()
    bad = [(kind, key, day) for kind, key, _n, day in issued_year if not calendar.is_working_day(day)]
    assert bad == []
    dates = {(k, key): day for k, key, _n, day in issued_year}
    # 2024-09's month-end: 10月1日–7日 is the National Day holiday; 2024-12: 1月1日 is a holiday.
    assert dates[("monthly", "2024-09")] == dt.date(2024, 10, 8)
    assert dates[("monthly", "2024-12")] == dt.date(2025, 1, 2)


def test_an_issued_document_keeps_its_number_when_rendered_again(app, issued_year, render_as_of):
    from app.extensions import db
    from app.services.documents import issued_options
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    number = next(n for k, key, n, _d in issued_year if (k, key) == ("inspection", "2024-06"))
    with app.app_context():
        again = issued_options("inspection", "2024-06", parse_period("2024-06"), latest_plan(), {})
        db.session.remove()
    assert again["number"] == number
    text = pdf_text(render_as_of("inspection", period="2024-06", options=again))
    assert number in text
    assert "2024年7月1日" in text  # 1 July 2024 was a Monday


def test_a_draft_has_no_number_yet(render_as_of):
    text = pdf_text(render_as_of("monthly", period="2024-06"))
    assert re.search(r"〔\d{4}〕\d+号", text) is None
    assert "〔" in text and "〕" in text  # the blank number of a draft


def test_no_report_praises_and_criticises_the_same_unit_or_praises_a_late_unit(app, report_progress):
    from app.extensions import db
    from app.reports import build_context
    from app.reports.snapshot import cases_at
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    checked = 0
    with app.app_context():
        plan = latest_plan()
        for key in ("2024-03", "2024-04", "2024-05", "2024-06", "2024-Q2"):
            context = build_context("inspection", period=parse_period(key), plan=plan)
            ranking = context["ranking"]
            praised = {p["department"] for p in ranking["praise"]}
            criticised = {c["department"] for c in ranking["criticism"]}
            assert not praised & criticised, key
            period = parse_period(key)
            late = {c.lead_department for c in cases_at(period.end, plan_id=plan.id)
                    if (c.overdue and c.state != "submitted")
                    or (c.done and c.done_on and period.start <= c.done_on <= period.end
                        and c.done_on > c.original_deadline)}
            assert not praised & late, (key, praised & late)
            checked += bool(praised or criticised)
        assert checked  # the periods do praise and criticise someone
        db.session.remove()


def test_the_work_report_prints_lagging_only_with_overdue_tasks_and_carries_a_signer(app, render_as_of):
    from app.extensions import db
    from app.reports import build_context
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    with app.app_context():
        for key in ("2024-01", "2024-06"):
            context = build_context("work-report", period=parse_period(key), plan=latest_plan())
            text = pdf_text(render_as_of("work-report", period=key, options={"signer": "王明"}))
            if context["overdue"]["total"] == 0 and context["at_risk"]["total"] == 0:
                assert "推进滞后" not in text
            assert "逾期任务0项" not in text or "推进滞后" not in text
        db.session.remove()
    # Drafts print no signer; an issued upward report prints one (GB/T 9704 §7.2.5).
    assert "签发人" in text


def test_quarterly_verdicts_are_against_the_pace(app, report_progress):
    from app.extensions import db
    from app.reports import build_context
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    with app.app_context():
        context = build_context("quarterly", period=parse_period("2024-Q2"), plan=latest_plan())
        db.session.remove()
    for action in context["actions_ranked"]:
        if not action["cases"]:
            continue
        behind = action["average_percent"] <= action["expected_percent"] - 10
        if behind or action["overdue"]:
            assert action["verdict"] == "进展滞后", action["short"]
        if action["verdict"] == "进展平稳":
            assert abs(action["average_percent"] - action["expected_percent"]) < 10


def test_draft_is_edited_signed_and_issued_then_cannot_change(app, report_progress):
    from app.extensions import db
    from app.models import IssuedNumber, Report
    from app.services import documents
    from app.services.reports import generate_report
    from workflows.case_workflow import Actor, Role
    from workflows.documents import DocumentLocked, SignerRequired

    with app.app_context():
        from flask_appbuilder.security.sqla.models import User

        leader_user = db.session.query(User).filter_by(username="leader").one()
        office = Actor(user_id=None, roles=frozenset({Role.OFFICE}))
        leader = Actor(user_id=leader_user.id, roles=frozenset({Role.LEADER}))
        report = Report(kind="work-report", period_key="2024-05", trigger="manual", status="queued",
                        progress=0, options={})
        db.session.add(report)
        db.session.commit()
        report_id = report.id
        generate_report(report_id)
        documents.edit_draft(report_id, office, wording={"remarks": "请各专班于6月10日前报送下步计划。"})
        generate_report(report_id)
        with pytest.raises(SignerRequired):
            documents.issue(report_id, office)  # an upward report needs its 签发人 first
        db.session.rollback()
        documents.sign(report_id, leader)
        issued = documents.issue(report_id, office)
        generate_report(report_id)
        number = issued.options["number"]
        assert issued.doc_state == "issued" and issued.doc_date == dt.date(2024, 6, 3)
        assert issued.options["signer"] == "区领导"
        assert issued.options["remarks"] == "请各专班于6月10日前报送下步计划。"
        assert db.session.query(IssuedNumber).filter_by(kind="work-report", subject_key="2024-05").one().text == number
        for change in (lambda: documents.edit_draft(report_id, office, wording={"remarks": "改"}),
                       lambda: documents.sign(report_id, leader),
                       lambda: documents.issue(report_id, office)):
            with pytest.raises(DocumentLocked):
                change()
            db.session.rollback()
        report = db.session.get(Report, report_id)
        assert report.status == "done" and report.options["number"] == number
        db.session.remove()
