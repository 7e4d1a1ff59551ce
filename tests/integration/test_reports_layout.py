"""Layout that holds on real text (issue 12): the 督办通知单 on one page with a 1,000-character
督办要求, never an orphaned signature block; long unbroken strings wrap; the GB/T 9704 offsets
measured on the PDF (the glyphs' ink on a 300 dpi raster, the rule from its vector); and
characters the fonts cannot print reported before rendering.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pdfplumber
import pytest
from PIL import ImageChops

MM = 72 / 25.4  # PDF points per millimetre
DPI = 300
PX = DPI / 25.4  # pixels per millimetre
TOP, BOTTOM, RIGHT_EDGE = 37, 297 - 35, 210 - 26  # the type area (mm from the page's top / left)
REQUIREMENT = ("请区商务局会同配合单位对照任务内容，明确责任领导和具体责任人，查明逾期原因，倒排工期、挂图作战，"
               "确保按时限完成，并于7月8日前将办理情况（附佐证材料）通过督办系统报送区政府督查室。")
LONG = "https://www.hecheng.gov.cn/zwgk/" + "abcdefghij0123456789" * 6


def _render(app, kind, *, case_changes=None, **subject):
    """Render in an app context; `case_changes` are set on the first case (never committed)."""
    from app.extensions import db
    from app.models import Case
    from app.reports import render
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    with app.app_context():
        try:
            if "period" in subject:
                return render(kind, period=parse_period(subject["period"]), plan=latest_plan(),
                              options=subject.get("options"))
            case = db.session.scalars(db.select(Case).order_by(Case.id)).first()
            for name, value in (case_changes or {}).items():
                setattr(case, name, value)
            return render(kind, case=case, as_of=dt.date(2024, 7, 1), options=subject.get("options"))
        finally:
            db.session.rollback()
            db.session.remove()


FORM_LABELS = re.compile("督办事项|任务内容|牵头单位|配合单位|完成时限|当前进展|督办要求")


def _pages(pdf: bytes) -> list[str]:
    """Each page's text; the notice form's row labels (printed beside the text) left out."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [FORM_LABELS.sub("", re.sub(r"\s+", "", page.extract_text() or "")) for page in doc.pages]


# --- the one-page notice ---------------------------------------------------------------------


def test_the_notice_stays_on_one_page_with_a_1000_character_requirement(app):
    requirement = (REQUIREMENT * 20)[:1000]
    pdf = _render(app, "notice", options={"requirement": requirement})
    pages = _pages(pdf)
    assert len(pages) == 1
    assert FORM_LABELS.sub("", requirement) in pages[0]  # every character of it, set smaller
    assert "签收人" in pages[0] and "（盖章）" in pages[0]
    # A short notice keeps the full size: the form's text is 12 pt.
    with pdfplumber.open(io.BytesIO(_render(app, "notice", options={"requirement": "请按时完成。"}))) as doc:
        sizes = {round(c["size"]) for c in doc.pages[0].chars if c["text"] == "签"}
    assert 12 in sizes


def test_past_the_form_limits_the_table_continues_and_the_signature_keeps_company(app):
    requirement = (REQUIREMENT * 20)[:1000]
    pdf = _render(app, "notice", options={"requirement": requirement},
                  case_changes={"text": REQUIREMENT * 30})
    pages = _pages(pdf)
    assert len(pages) >= 2
    signed = next(p for p in pages if "签收人" in p)
    # Never a signature block alone on a page: part of the requirement is printed with it.
    before = signed.split("鹤城区人民政府督查室（盖章）")[0]
    assert len(before) > 100, before[:200]
    assert all(p.count("签收人") <= 1 for p in pages)


# --- wrapping --------------------------------------------------------------------------------


def _widest(pdf: bytes) -> float:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return max(c["x1"] for page in doc.pages for c in page.chars) / MM


def test_long_unbroken_strings_wrap_inside_the_type_area(app):
    inspection = _render(app, "inspection", period="2024-06", options={"remarks": f"详见{LONG}"})
    notice = _render(app, "notice", options={"requirement": f"请查阅{LONG}"},
                     case_changes={"title": f"项目{LONG}"[:150]})
    for name, pdf in (("督查通报", inspection), ("督办通知单", notice)):
        assert _widest(pdf) <= RIGHT_EDGE + 0.5, name
        assert LONG in "".join(_pages(pdf)), name  # wrapped, not cut


# --- GB/T 9704 offsets, measured --------------------------------------------------------------


def _masks(page):
    image = page.to_image(resolution=DPI).original.convert("RGB")
    r, g, b = image.split()

    def both(*masks):
        out = masks[0]
        for mask in masks[1:]:
            out = ImageChops.multiply(out, mask)
        return out

    red = both(r.point(lambda v: 255 if v > 150 else 0), g.point(lambda v: 255 if v < 90 else 0),
               b.point(lambda v: 255 if v < 90 else 0))
    dark = both(*(band.point(lambda v: 255 if v < 110 else 0) for band in (r, g, b)))
    return red, dark


def _dash_below_type_area(dark) -> tuple[float, float]:
    """The page number's first dash (一字线): its ink's middle below the type area (mm), and
    its left edge (mm from the page's left)."""
    y0 = int(BOTTOM * PX)
    foot = dark.crop((0, y0, dark.size[0], dark.size[1])).getbbox()
    dash = dark.crop((foot[0], y0, foot[0] + int(3 * PX), dark.size[1])).getbbox()
    return (y0 + (dash[1] + dash[3]) / 2) / PX - BOTTOM, foot[0] / PX


def offsets(pdf: bytes) -> dict[str, float]:
    """发文机关标志's ink top below the type area, the red rule below the number's ink, its
    width, and the page-number dash below the type area — page 1 (and page 2's dash)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        rule = min((r for r in page.rects if r.get("non_stroking_color")
                    and r["non_stroking_color"][0] > 0.6 and r["x1"] - r["x0"] > 150 * MM),
                   key=lambda r: r["top"])
        red, dark = _masks(page)
        second = _masks(doc.pages[1])[1] if len(doc.pages) > 1 else None
    rule_px = int(rule["top"] / MM * PX)
    issuer = red.crop((0, 0, red.size[0], rule_px - 2)).getbbox()
    number = dark.crop((0, issuer[3], dark.size[0], rule_px - 2)).getbbox()
    dash, dash_left = _dash_below_type_area(dark)
    out = {"issuer": issuer[1] / PX - TOP, "rule": rule["top"] / MM - (issuer[3] + number[3]) / PX,
           "rule_width": (rule["x1"] - rule["x0"]) / MM, "dash": dash, "dash_left": dash_left}
    if second is not None:
        out["dash_even"], out["dash_even_left"] = _dash_below_type_area(second)
    return out


@pytest.mark.parametrize("kind, period, options", [
    ("inspection", "2024-06", {"number": "鹤督查〔2024〕6号", "date": "2024-07-01"}),
    ("work-report", "2024-06", {"number": "鹤八行报〔2024〕6号", "date": "2024-07-01", "signer": "王明"}),
    ("dekad", "2024-06-D2", {}),
])
def test_gbt_9704_offsets_measured_on_the_pdf(app, kind, period, options):
    measured = offsets(_render(app, kind, period=period, options=options))
    assert measured["issuer"] == pytest.approx(35, abs=0.3), measured  # 发文机关标志: 35 mm
    assert measured["rule"] == pytest.approx(4, abs=0.3), measured  # red rule 4 mm below the number
    assert measured["rule_width"] == pytest.approx(156, abs=0.1), measured  # as wide as the type area
    assert measured["dash"] == pytest.approx(7, abs=0.3), measured  # page-number dash 7 mm below
    # Odd pages right, even pages left.
    assert measured["dash_left"] > 150, measured
    if "dash_even" in measured:
        assert measured["dash_even"] == pytest.approx(7, abs=0.3) and measured["dash_even_left"] < 60, measured


def test_the_measure_catches_a_misplaced_mark(app):
    """The same measurement on a document whose 版头 is 5 mm lower fails the 35 mm check."""
    from app.extensions import db
    from app.reports import build_context
    from app.reports.render import html_to_pdf, render_html
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    with app.app_context():
        try:
            context = build_context("dekad", period=parse_period("2024-06-D2"), plan=latest_plan())
            html = render_html("reports/periodic.html", context).replace(
                "padding-top: ", "padding-top: 14.17pt; margin-top: ", 1)
            pdf = html_to_pdf(html)
        finally:
            db.session.remove()
    assert offsets(pdf)["issuer"] == pytest.approx(40, abs=0.5)


# --- characters outside the fonts ------------------------------------------------------------


def test_characters_the_fonts_lack_are_reported_before_rendering(app, fresh_db, client, api, tmp_path):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Report

    def reports() -> int:
        with app.app_context():
            try:
                return db.session.scalar(select(func.count()).select_from(Report))
            finally:
                db.session.remove()

    before = reports()
    answer = client.post("/api/v1/report/", json={"kind": "inspection", "period": "2024-06",
                                                   "options": {"remarks": "请各单位👍加快进度，𪚥字另行说明。"}},
                         headers=api("office"))
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["message"].startswith("公文字体无法显示以下字符：👍、𪚥。")
    assert reports() == before  # nothing queued
    fine = client.post("/api/v1/report/", json={"kind": "inspection", "period": "2024-06",
                                                 "options": {"remarks": "请各单位加快进度。"}}, headers=api("office"))
    assert fine.status_code == 202
    draft = client.put(f"/api/v1/report/{fine.get_json()['id']}/draft", json={"highlights": "亮点🎉"},
                       headers=api("office"))
    assert draft.status_code == 422 and "🎉" in draft.get_json()["message"]

    # Data already stored (a case title) is rendered, and the CLI says which characters print as boxes.
    from app.models import Case

    with app.app_context():
        case = db.session.scalars(select(Case).order_by(Case.id)).first()
        case.title = "建设𪚥字号园区"
        db.session.commit()
        case_id = case.id
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["report", "render", "notice", "--case", str(case_id),
                                                "--out", str(tmp_path / "通知单.pdf")])
    assert result.exit_code == 0, result.output
    assert "字体无法显示" in result.output and "𪚥" in result.output
