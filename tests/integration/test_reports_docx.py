"""DOCX as well as PDF, from the same content (issue 12): the Word file of every report kind
carries the PDF's text — number, title, 成文日期, every paragraph in order — read back with
python-docx against `pdftotext`, and through LibreOffice when its Writer is installed.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

PAGE_NUMBER = re.compile(r"—\d+—")


def squeeze(text: str) -> str:
    """Text without whitespace and page numbers: line breaks fall elsewhere in Word and PDF."""
    return PAGE_NUMBER.sub("", re.sub(r"\s+", "", text))


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")


def docx_paragraphs(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    return [squeeze(p.text) for p in document.paragraphs if p.text.strip()]


def docx_cells(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    return [squeeze(c.text) for t in document.tables for r in t.rows for c in r.cells if c.text.strip()]


def assert_in_order(paragraphs: list[str], text: str, what: str) -> None:
    """Every paragraph is in `text`, each after the one before it."""
    position = 0
    for paragraph in paragraphs:
        found = text.find(paragraph, position)
        assert found >= 0, f"{what}: not found after position {position}: {paragraph[:60]}"
        position = found + len(paragraph)


def render_both(app, kind: str, **subject) -> tuple[bytes, bytes]:
    from app.extensions import db
    from app.models import Case
    from app.reports import render_files
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    with app.app_context():
        try:
            if "period" in subject:
                return render_files(kind, period=parse_period(subject["period"]), plan=latest_plan(),
                                    options=subject.get("options"))
            return render_files(kind, case=db.session.get(Case, subject["case_id"]), as_of=subject["as_of"],
                                options=subject.get("options"))
        finally:
            db.session.remove()


def test_the_cli_writes_the_docx_of_the_same_issued_document(app, report_progress, tmp_path):
    runner = app.test_cli_runner()
    args = ["report", "render", "work-report", "--period", "2024-06", "--signer", "王明"]
    as_pdf = runner.invoke(args=[*args, "--out", str(tmp_path / "工作月报.pdf")])
    as_docx = runner.invoke(args=[*args, "--out", str(tmp_path / "工作月报.docx")])
    assert as_pdf.exit_code == 0 and as_docx.exit_code == 0, as_pdf.output + as_docx.output
    pdf = (tmp_path / "工作月报.pdf").read_bytes()
    data = (tmp_path / "工作月报.docx").read_bytes()
    assert pdf.startswith(b"%PDF") and data.startswith(b"PK")
    pdf_text = squeeze(pdftotext(pdf))
    paragraphs = docx_paragraphs(data)
    number = re.search(r"鹤八行报〔2024〕\d+号", pdf_text).group(0)
    # The same register number, 签发人, title, 主送 and 成文日期 in both, in the same places.
    assert paragraphs[0] == "鹤城区“八大行动”总专班办公室"
    assert paragraphs[1] == f"{number}签发人：王明"
    assert paragraphs[2] == "关于2024年6月“八大行动”工作情况的报告" and paragraphs[2] in pdf_text
    assert paragraphs[3] == "鹤城区人民政府："
    assert paragraphs.count("2024年7月1日") == 1 and "2024年7月1日" in pdf_text
    assert "特此报告。" in paragraphs
    assert_in_order(paragraphs, pdf_text, "工作月报")
    assert len(paragraphs) > 20
    # The tables' figures too (headers may wrap inside a narrow PDF column).
    cells = [c for c in docx_cells(data) if re.fullmatch(r"[\d.%+-]+|[一二三四五六七八]、.+", c)]
    assert cells and all(c in pdf_text for c in cells)


@pytest.mark.parametrize("kind, subject", [
    ("inspection", {"period": "2024-06", "options": {"number": "鹤督查〔2024〕6号", "date": "2024-07-01",
                                                     "remarks": "请各单位<img src=x>于7月10日前整改。"}}),
    ("dekad", {"period": "2024-06-D2"}),
    ("monthly", {"period": "2024-05", "options": {"highlights": "新签约项目5个。\n开工项目3个。"}}),
    ("quarterly", {"period": "2024-Q2"}),
    ("notice", {"case_id": "open", "as_of": "2024-07-01"}),
    ("dossier", {"case_id": "open", "as_of": "2024-07-01"}),
])
def test_every_kind_has_the_same_paragraphs_in_word_and_pdf(app, report_progress, kind, subject):
    import datetime as dt

    if subject.get("case_id") == "open":
        subject = {**subject, "case_id": next(iter(report_progress.overdue)) if kind == "notice" else report_progress.dossier, "as_of": dt.date.fromisoformat(subject["as_of"])}
    pdf, data = render_both(app, kind, **subject)
    pdf_text = squeeze(pdftotext(pdf))
    paragraphs = docx_paragraphs(data)
    assert len(paragraphs) >= 5
    assert_in_order(paragraphs, pdf_text, kind)
    options = subject.get("options") or {}
    for typed in (options.get(name, "") for name in ("remarks", "highlights", "next_steps")):
        for line in filter(None, typed.split("\n")):
            assert squeeze(line) in paragraphs  # the office's wording, as text (never markup)
    again = render_both(app, kind, **subject)[1]
    assert again == data  # deterministic: the same content gives the same bytes


def _writer_available(tmp_path: Path) -> bool:
    if not shutil.which("soffice"):
        return False
    probe = tmp_path / "probe.docx"
    document = docx.Document()
    document.add_paragraph("测试")
    document.save(probe)
    return _convert(probe, tmp_path) is not None


def _convert(path: Path, folder: Path) -> Path | None:
    subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/lo-profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), str(path)],
                   capture_output=True, timeout=180)
    out = folder / (path.stem + ".pdf")
    return out if out.is_file() else None


def test_libreoffice_opens_the_docx_with_the_same_text(app, report_progress, tmp_path):
    if not _writer_available(tmp_path):
        pytest.skip("LibreOffice Writer is not installed (Debian: libreoffice-writer-nogui)")
    pdf, data = render_both(app, "inspection", period="2024-06",
                            options={"number": "鹤督查〔2024〕6号", "date": "2024-07-01"})
    (tmp_path / "通报.docx").write_bytes(data)
    converted = _convert(tmp_path / "通报.docx", tmp_path)
    assert converted is not None
    office_text = squeeze(pdftotext(converted.read_bytes()))
    ours = squeeze(pdftotext(pdf))
    paragraphs = docx_paragraphs(data)
    assert_in_order(paragraphs, office_text, "LibreOffice")
    assert_in_order(paragraphs, ours, "WeasyPrint")
    for fact in ("鹤督查〔2024〕6号", "2024年7月1日", paragraphs[2]):
        assert fact in office_text and fact in ours


def test_the_bulletin_docx_carries_each_chart_as_a_picture_and_opens_in_libreoffice(app, report_progress, tmp_path):
    """One picture per chart of the PDF (the SVG as the PDF draws it), its caption below it."""
    from PIL import Image

    from app.extensions import db
    from app.reports import report_html
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    with app.app_context():
        try:
            html = report_html("monthly", period=parse_period("2024-06"), plan=latest_plan(), options={})
        finally:
            db.session.remove()
    charts = re.findall(r"<svg\b", html)
    captions = [squeeze(c) for c in re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)]
    assert charts and len(captions) == len(charts)
    pdf, data = render_both(app, "monthly", period="2024-06")
    document = docx.Document(io.BytesIO(data))
    shapes = document.inline_shapes
    assert len(shapes) == len(charts)
    for shape in shapes:
        assert abs(shape.width.mm - 156) < 0.5  # the chart's printed width, the type area
        blob = document.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
        with Image.open(io.BytesIO(blob)) as image:
            assert image.format == "PNG" and image.width >= 1200
            ink = sum(image.convert("L").histogram()[:200])  # pixels darker than 200 of 255
            assert ink > image.width * image.height * 0.03, "the picture shows the chart"
    paragraphs = docx_paragraphs(data)
    for caption in captions:
        assert caption in paragraphs
    assert_in_order(paragraphs, squeeze(pdftotext(pdf)), "monthly")
    if not _writer_available(tmp_path):
        pytest.skip("LibreOffice Writer is not installed (Debian: libreoffice-writer-nogui)")
    (tmp_path / "月通报.docx").write_bytes(data)
    converted = _convert(tmp_path / "月通报.docx", tmp_path)
    assert converted is not None
    listed = subprocess.run(["pdfimages", "-list", str(converted)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert len(listed) >= len(charts), "LibreOffice lays out every chart picture"
    assert_in_order(paragraphs, squeeze(pdftotext(converted.read_bytes())), "LibreOffice")
