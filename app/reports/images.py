"""A report chart (inline SVG) as a picture: PDF (WeasyPrint, vector) and PNG (PDFium raster).

The DOCX carries each chart as a PNG (`app.reports.docx`); the black-and-white test reads
the charts on a grey raster. The SVG is laid out by the renderer the PDF uses, with the
same fetcher (nothing fetched but the packaged fonts), on a page exactly its size; PDFium
(pypdfium2, a runtime dependency) rasterises that page. Deterministic: the same SVG gives
the same bytes.
"""

from __future__ import annotations

import io
import re

from markupsafe import Markup

DEFAULT_DPI = 200
_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bheight="([\d.]+)pt"', re.S)


def svg_size_pt(svg: str) -> tuple[float, float]:
    """The chart's width and height in points (the report's SVGs state them in pt)."""
    found = _SIZE.search(svg)
    if found is None:
        raise ValueError("an SVG chart states its width and height in pt")
    return float(found.group(1)), float(found.group(2))


def svg_to_pdf(svg: str) -> bytes:
    """One PDF page the chart's size holding the chart (vector)."""
    from app.reports.render import html_to_pdf

    width, height = svg_size_pt(svg)
    html = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
        f"@page {{ size: {width}pt {height}pt; margin: 0 }} html, body {{ margin: 0; padding: 0 }}"
        " svg { display: block }</style></head><body>"
        f"{Markup(svg)}</body></html>"
    )
    return html_to_pdf(html)


def pdf_page_to_png(pdf: bytes, dpi: int = DEFAULT_DPI, *, grey: bool = False) -> bytes:
    """The PDF's first page as PNG bytes at `dpi` (in grey when `grey`)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=dpi / 72, grayscale=grey)
        image = bitmap.to_pil()
        if grey:
            image = image.convert("L")
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        return out.getvalue()
    finally:
        document.close()


def svg_to_png(svg: str, dpi: int = DEFAULT_DPI, *, grey: bool = False) -> bytes:
    """The chart as a PNG picture (what the DOCX embeds)."""
    return pdf_page_to_png(svg_to_pdf(svg), dpi, grey=grey)
