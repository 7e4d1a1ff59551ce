"""Each report kind rendered from the loaded plan with March–June 2024 progress.

Every kind is rendered once for the module (rendering is the slow part); the tests read the
PDFs back and check them against the database: headings, figures, layout, fonts, safety.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.integration.fixtures_reports import (
    embedded_fonts,
    missing_glyphs,
    pdf_pages,
    pdf_rows,
    pdf_text,
)

AS_OF = dt.date(2024, 7, 1)
SUBJECTS = {
    "inspection": {"period": "2024-06"},
    "dekad": {"period": "2024-06-D3"},
    "monthly": {"period": "2024-06"},
    "work-report": {"period": "2024-06"},
    "quarterly": {"period": "2024-Q2"},
    "notice": {},
    "dossier": {},
}
REMARKS = "请各单位于7月10日前报送整改情况。"


@pytest.fixture(scope="module")
def issue(app, report_progress):
    """`issue(kind, period, options)` → the options of the issued document (number from the register)."""
    def run(kind: str, key: str, options: dict) -> dict:
        from app.extensions import db
        from app.services.documents import issued_options
        from app.services.plans import latest_plan
        from workflows.periods import parse_period

        with app.app_context():
            try:
                issued = issued_options(kind, key, parse_period(key), latest_plan(), options)
                db.session.commit()
                return issued
            finally:
                db.session.remove()

    return run


@pytest.fixture(scope="module")
def pdfs(report_progress, render_as_of, issue):
    """Every kind rendered once: kind → PDF bytes."""
    rendered = {}
    for kind, subject in SUBJECTS.items():
        if "period" in subject:
            options = {"remarks": REMARKS + report_progress.bait} if kind == "inspection" else {}
            options = issue(kind, subject["period"], options)
            rendered[kind] = render_as_of(kind, period=subject["period"], options=options)
        else:
            case_id = min(report_progress.overdue) if kind == "notice" else report_progress.dossier
            rendered[kind] = render_as_of(kind, case_id=case_id, as_of=AS_OF)
    return rendered


@pytest.fixture(scope="module")
def texts(pdfs):
    return {kind: pdf_text(pdf) for kind, pdf in pdfs.items()}


def db_scalar(app, query):
    from app.extensions import db

    with app.app_context():
        try:
            return db.session.scalar(query)
        finally:
            db.session.remove()


def working_days(app, start: dt.date, end: dt.date) -> int:
    from app.extensions import db
    from app.services.calendar import current_calendar

    with app.app_context():
        try:
            return current_calendar().working_days_between(start, end)
        finally:
            db.session.remove()


# --- layout and fonts -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", SUBJECTS)
def test_every_page_is_a4(pdfs, kind):
    pages = pdf_pages(pdfs[kind])
    assert pages, f"{kind}: no page"
    for width, height in pages:
        assert abs(width - 595.28) <= 1 and abs(height - 841.89) <= 1, (kind, width, height)


@pytest.mark.parametrize("kind", SUBJECTS)
def test_every_font_is_embedded_and_has_every_glyph(pdfs, kind):
    fonts = embedded_fonts(pdfs[kind])
    assert fonts and all(fonts.values()), f"{kind}: fonts not embedded: {fonts}"
    assert not missing_glyphs(pdfs[kind]), f"{kind}: characters drawn without a glyph"


def test_the_glyph_check_catches_a_missing_glyph(app):
    """A character no installed font has (Tangut U+17000) is reported by missing_glyphs."""
    from app.extensions import db
    from app.reports.render import html_to_pdf

    with app.app_context():
        try:
            pdf = html_to_pdf('<html lang="zh-CN"><head><meta charset="utf-8">'
                              '<link rel="stylesheet" href="print.css"></head><body><p>名称：\U00017000</p></body></html>')
        finally:
            db.session.remove()
    assert {"\U00017000"} in missing_glyphs(pdf).values()


def test_official_faces_are_used(pdfs):
    """仿宋 body (FandolFang), 小标宋-style title (Noto Serif CJK Black), 黑体 and 楷体 headings."""
    from tests.integration.fixtures_reports import chars_by_font

    used = chars_by_font(pdfs["monthly"])
    assert "月" in used["Duban-Fang"] and "截" in used["Duban-Fang"]  # body text
    title_fonts = [name for name, chars in used.items() if "通" in chars and "Serif" in name]
    assert any("Heavy" in name or "Black" in name or "Bold" in name for name in title_fonts), used.keys()
    assert "总" in used["Noto-Sans-CJK-SC"]  # 一、总体进展 in 黑体
    assert set("产业培塑") <= chars_by_font(pdfs["work-report"])["Duban-Kai"]  # （一）产业培塑行动 in 楷体


def test_page_numbers_alternate_sides(pdfs):
    """— N — at the foot, odd pages to the right, even pages to the left."""
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdfs["monthly"])) as doc:
        assert len(doc.pages) >= 2
        for number, page in enumerate(doc.pages, 1):
            words = [w for w in page.extract_words() if w["top"] > page.height - 35 * 72 / 25.4]
            footer = "".join(w["text"] for w in words)
            assert f"—{number}—" in footer.replace(" ", ""), (number, footer)
            x = min(w["x0"] for w in words)
            if number % 2:
                assert x > page.width / 2, f"page {number}: number should be on the right"
            else:
                assert x < page.width / 2, f"page {number}: number should be on the left"


def test_type_area_follows_gbt_9704(pdfs):
    """Body text inside the 156 × 225 mm type area (margins 37/26/35/28 mm)."""
    import io

    import pdfplumber

    mm = 72 / 25.4
    with pdfplumber.open(io.BytesIO(pdfs["inspection"])) as doc:
        for page in doc.pages:
            body = [c for c in page.chars if c["top"] < page.height - 35 * mm]
            assert min(c["x0"] for c in body) >= 28 * mm - 1
            assert max(c["x1"] for c in body) <= page.width - 26 * mm + 1
            assert min(c["top"] for c in body) >= 37 * mm - 1


# --- content against the database -----------------------------------------------------------


def test_inspection_report(app, pdfs, texts, report_progress):
    from app.models import Case

    text = texts["inspection"]
    assert "鹤城区人民政府督查室" in text
    assert "鹤督查〔2024〕1号" in text
    assert "关于2024年6月“八大行动”重点任务推进情况的督查通报" in text
    assert "2024年7月1日" in text
    for heading in ("一、总体情况", "二、逾期任务情况", "三、退回重办情况", "四、延期审批情况",
                    "五、督查发现问题整改情况", "六、单位排名", "七、表扬和批评", "八、下步工作要求"):
        assert heading in text
    total = db_scalar(app, select(func.count()).select_from(Case))
    closed = db_scalar(app, select(func.count()).select_from(Case).where(Case.state == "closed"))
    verified = db_scalar(app, select(func.count()).select_from(Case).where(Case.state == "verified"))
    assert f"共有督办任务{total}项，其中已办结{closed}项、已核验{verified}项" in text
    # Overdue cases with their lead departments and working days overdue at June 30.
    assert f"共有{len(report_progress.overdue)}项任务超过完成时限" in text
    rows = pdf_rows(pdfs["inspection"])
    for case_id, deadline in report_progress.overdue.items():
        days = working_days(app, deadline, dt.date(2024, 6, 30))
        row = [report_progress.titles[case_id], report_progress.departments[case_id],
               f"{deadline.month}月{deadline.day}日", str(days)]
        assert any(r[1:] == row for r in rows), row
    # The extended case is not overdue: its new deadline is in July.
    assert report_progress.titles[report_progress.extended] not in text.split("二、逾期任务情况")[1].split("三、")[0]
    assert "本月共批准延期1项" in text and "7月31日" in text
    assert "本月共有1项报送材料经核验被退回重办" in text and "佐证材料不全，请补充。" in text
    # No evaluation for 2024-06: ranking by on-time rate; criticism names overdue departments.
    assert "牵头单位按时完成率排名" in text
    for case_id in report_progress.overdue:
        assert report_progress.departments[case_id] in text.split("予以通报批评的单位")[1]
    assert REMARKS in text


def test_user_html_prints_as_text_and_fetches_nothing(texts, report_progress, request_trap):
    """A note with <img src=…> and <link rel=stylesheet …> is shown as text; no request is made."""
    bait = report_progress.bait
    assert bait in texts["dossier"]  # the progress note, verbatim
    assert bait in texts["inspection"]  # the return reason and the office remarks
    assert request_trap.requests == []


def test_monthly_bulletin(app, pdfs, texts, report_progress):
    from app.models import Case, ProgressUpdate
    from tests.integration.fixtures_reports import at

    text = texts["monthly"]
    assert "关于2024年6月“八大行动”推进情况的通报" in text
    assert "鹤八行通〔2024〕1号" in text
    for heading in ("一、总体进展", "二、各行动推进情况", "三、主要指标完成情况", "四、本月变化情况",
                    "五、逾期和预警事项", "六、下步工作要求"):
        assert heading in text
    total = db_scalar(app, select(func.count()).select_from(Case))
    done = db_scalar(app, select(func.count()).select_from(Case).where(Case.state.in_(["verified", "closed"])))
    assert f"{total}项督办任务中，已完成（已核验或已办结）{done}项" in text
    june = db_scalar(app, select(func.count()).select_from(ProgressUpdate).where(
        ProgressUpdate.created_at >= at("2024-06-01", 0), ProgressUpdate.created_at < at("2024-07-01", 0)))
    may = db_scalar(app, select(func.count()).select_from(ProgressUpdate).where(
        ProgressUpdate.created_at >= at("2024-05-01", 0), ProgressUpdate.created_at < at("2024-06-01", 0)))
    assert f"进展反馈{june}{may}{june - may:+d}".replace("+0", "0") in text.replace(" ", "")
    # Indicator target against actual: the goal indicator entered as 8.7 against 8.5.
    # A growth rate: compared in percentage points, never as actual ÷ target.
    assert ["目标一", "规模工业增加值增长", "8.5%", "7.9%", "8.7%", "高于目标0.2个百分点"] in pdf_rows(pdfs["monthly"])
    # Action one's row: its cases and how many are done.
    action_one = select(func.count()).select_from(Case).join(Case.action).where(Case.action.has(index=1))
    assert any(r[:2] == ["一、产业培塑行动", str(db_scalar(app, action_one))] for r in pdf_rows(pdfs["monthly"]))


def test_dekad_brief_compares_with_the_previous_dekad(texts):
    text = texts["dekad"]
    assert "2024年6月下旬“八大行动”推进情况简报" in text
    assert "鹤八行简〔2024〕1号" in text and "2024年7月1日" in text
    assert "（6月21日至6月30日）" in text
    assert "本旬与上旬工作量对比" in text and "与上旬（2024年6月中旬）相比" in text


def test_work_report_goes_to_the_district_government(texts):
    text = texts["work-report"]
    assert "关于2024年6月“八大行动”工作情况的报告" in text
    assert "鹤城区人民政府：" in text
    for heading in ("一、本月工作进展", "二、主要指标完成情况", "三、存在的问题", "四、下月工作安排"):
        assert heading in text
    assert "（一）产业培塑行动" in text and "特此报告。" in text
    assert "鹤城区“八大行动”总专班办公室" in text


def test_quarterly_review_ranks_by_the_evaluation(pdfs, texts, report_progress):
    text = texts["quarterly"]
    assert "2024年第二季度“八大行动”推进情况讲评" in text
    assert "鹤八行评〔2024〕1号" in text
    assert "“三看三评三比”综合评价排名" in text
    # The published results (fixture: computed and published for 2024-Q2), each group ranked
    # apart; the same total, the same rank.
    ranking = [r for r in pdf_rows(pdfs["quarterly"]) if len(r) == 6 and r[1] in report_progress.evaluated]
    expected = sorted(report_progress.evaluated.items(), key=lambda item: (-item[1], item[0]))
    ranks = {name: 1 + sum(1 for _, other in expected if other > total) for name, total in expected}
    assert ranking and [(r[0], r[1], r[5]) for r in ranking] == [
        (str(ranks[name]), name, f"{total:g}") for name, total in expected[:len(ranking)]]
    assert "区直部门（组内排名）" in text
    assert "二、各行动讲评" in text and "居各行动第1位" in text


def test_urge_notice(app, texts, report_progress):
    text = texts["notice"]
    case_id = min(report_progress.overdue)
    assert "督办通知单" in text
    assert report_progress.titles[case_id] in text
    assert f"{report_progress.departments[case_id]}：" in text  # addressed to the lead department
    deadline = report_progress.overdue[case_id]
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in text
    days = working_days(app, deadline, AS_OF)
    assert f"已逾期{days}个工作日" in text
    assert "签发人" in text and "签收人" in text and "2024年7月1日" in text


def test_notice_fits_one_page(pdfs):
    assert len(pdf_pages(pdfs["notice"])) == 1


def test_dossier_has_the_whole_history_and_evidence(app, texts, report_progress):
    from app.models import CaseHistory

    text = texts["dossier"]
    entries = db_scalar(app, select(func.count()).select_from(CaseHistory).where(
        CaseHistory.case_id == report_progress.dossier))
    assert f"流转记录（共{entries}条）" in text
    assert "证明材料清单（共1件）" in text and report_progress.evidence_name in text
    assert "外资项目审批周期长。" in text and "不符合延期条件" in text
    assert report_progress.titles[report_progress.dossier] in text


def test_the_same_data_gives_the_same_pdf(pdfs, render_as_of, issue):
    again = render_as_of("monthly", period="2024-06", options=issue("monthly", "2024-06", {}))
    assert again == pdfs["monthly"]


def test_reports_describe_the_period_as_it_ended(app, render_as_of, report_progress):
    """May's bulletin, rendered after June's work, shows May: the June closure is not in it."""
    from app.extensions import db
    from app.reports.snapshot import cases_at

    with app.app_context():
        try:
            may = {c.id: c for c in cases_at(dt.date(2024, 5, 31))}
        finally:
            db.session.remove()
    assert may[report_progress.closed].state == "in_progress"
    assert may[report_progress.extended].deadline == dt.date(2024, 6, 14)  # before the extension
    assert may[report_progress.on_time[0]].state == "verified"
    text = pdf_text(render_as_of("monthly", period="2024-05"))
    assert "已完成（已核验或已办结）2项" in text
    assert re.search(r"红灯（逾期）0项", text)


def test_cli_renders_a_file(app, tmp_path, report_progress):
    runner = app.test_cli_runner()
    out = tmp_path / "dekad.pdf"
    result = runner.invoke(args=["report", "render", "dekad", "--period", "2024-06-D2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert "2024年6月中旬" in pdf_text(out.read_bytes())
    bad = runner.invoke(args=["report", "render", "dekad", "--period", "2024-06", "--out", str(out)])
    assert bad.exit_code == 1 and "旬简报" in bad.output and "2024-06-D2" in bad.output
    missing = runner.invoke(args=["report", "render", "notice", "--out", str(out)])
    assert missing.exit_code == 1 and "--case" in missing.output


def test_the_renderer_fetches_only_packaged_files(app, request_trap, tmp_path):
    """Even raw HTML (not escaped) cannot make WeasyPrint fetch from the network or the disk."""
    from app.extensions import db
    from app.reports.render import PackagedFilesFetcher, html_to_pdf

    secret = tmp_path / "secret.css"
    secret.write_text("p { color: red }")
    fetcher = PackagedFilesFetcher()
    html = (
        '<html lang="zh-CN"><head><meta charset="utf-8"><link rel="stylesheet" href="print.css">'
        f'<link rel="stylesheet" href="{secret.as_uri()}"></head><body>'
        f'{request_trap.bait()}<img src="font:../../../../etc/passwd"><p>正文</p></body></html>'
    )
    with app.app_context():
        try:
            pdf = html_to_pdf(html, fetcher=fetcher)
        finally:
            db.session.remove()
    assert pdf.startswith(b"%PDF") and "正文" in pdf_text(pdf)
    assert request_trap.requests == []
    assert sorted(fetcher.refused) == sorted([
        f"http://127.0.0.1:{request_trap.port}/x.png", f"http://127.0.0.1:{request_trap.port}/s.css",
        secret.as_uri(), "font:../../../../etc/passwd",
    ])
