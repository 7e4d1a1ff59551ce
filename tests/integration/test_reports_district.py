"""No district in code: a plan of another district prints its own issuers and numbers (issue 9)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.integration.conftest import TEST_DB, recreate_database
from tests.integration.fixtures_reports import pdf_text

PLAN_FILE = Path(__file__).resolve().parents[1] / "data" / "plans" / "other-district-2025.yaml"


@pytest.fixture()
def other_district(app, fresh_db, seed_database):
    """The seeded database plus another district's plan (the latest plan); reset afterwards."""
    yield
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    recreate_database(TEST_DB, template=seed_database)  # the next tests see Hecheng's plan again


def test_another_districts_plan_renders_its_own_issuer_and_numbers(app, other_district):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Case, Plan
    from app.reports import render
    from app.services.plans import latest_plan, load_plan
    from workflows.periods import parse_period

    with app.app_context():
        load_plan(PLAN_FILE)
        plan = latest_plan()
        assert plan.title == "邵阳市大祥区实施“三大攻坚”总体方案"
        assert plan.organisation["number_prefixes"]["inspection"] == "祥督字"
        inspection = pdf_text(render("inspection", period=parse_period("2025-02"), plan=plan, options={}))
        monthly = pdf_text(render("monthly", period=parse_period("2025-02"), plan=plan, options={}))
        work_report = pdf_text(render("work-report", period=parse_period("2025-02"), plan=plan, options={}))
        case = db.session.scalar(select(Case).join(Plan).where(Plan.id == plan.id, Case.title == "新增规模工业企业"))
        notice = pdf_text(render("notice", case=case, as_of=dt.date(2025, 4, 2), options={"number": 7}))
        db.session.remove()

    # 督查通报: the red header and signature of this district's office, its own number series.
    assert "大祥区人民政府督查室文件" in inspection  # the masthead the file gives
    assert "祥督字〔2025〕2号" in inspection
    assert "大祥区人民政府督查室" in inspection and "区委办公室，区人大常委会办公室" in inspection
    assert "大祥区督查室" in inspection  # the body names the office by the file's short name
    # 月通报 and 工作月报: issued by this plan's task-force office.
    assert "祥攻通〔2025〕2号" in monthly and "大祥区“三大攻坚”总专班办公室" in monthly
    assert "大祥区人民政府：" in work_report
    # 工作月报 has no prefix in the file: the district's first character and the kind's series.
    assert "大报〔2025〕2号" in work_report
    assert "祥督办〔2025〕7号" in notice and "大祥区人民政府督查室" in notice
    for text in (inspection, monthly, work_report, notice):
        assert "鹤" not in text and "怀化" not in text and "八大行动" not in text and "区政府督查室" not in text
