"""The report's HTML → DOCX (python-docx), for offices that finish documents in WPS or Word.

The DOCX is written from the very HTML the PDF is laid out from (`app.reports.render_html`),
so both carry the same text: 发文机关标志, 发文字号 (and 签发人), title, 主送, every paragraph,
heading and table, 署名, 成文日期 and 版记. Layout follows GB/T 9704-2012 as far as a word
processor takes it: A4, margins 37/26/35/28 mm, 3号 仿宋 on a 28.9 pt line, headings 黑体 and
楷体, the red rule under the number, page numbers "— 1 —" at the foot (odd right, even left).
Charts (SVG) are pictures: each is laid out by the PDF's renderer and rasterised to PNG
(`app.reports.images`, 200 dpi, the chart's printed width), with its caption below it.

Nothing is fetched and nothing is marked safe: text is taken from the parsed HTML as text.
The file is deterministic (fixed zip times, the document date as created/modified).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

__all__ = ["html_to_docx"]

# The faces offices have (WPS and Word in Chinese government offices); a reader without
# them sees its own substitutes, the text is the same.
FANGSONG, HEITI, KAITI, XIAOBIAOSONG = "仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"
RED = RGBColor(0xE0, 0x00, 0x00)
LINE = Pt(28.9)  # 22 lines a page
BODY = Pt(16)  # 3号
VOID = frozenset({"br", "meta", "link", "col", "img", "hr", "input", "wbr"})
SKIP = frozenset({"svg", "figure", "script", "style", "head", "title", "colgroup"})
SVG_SOURCE = re.compile(r"<svg\b.*?</svg>", re.S)  # the charts as written (the parser lower-cases)
CHART_DPI = 200


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def find(self, tag: str) -> Node | None:
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    return child
                found = child.find(tag)
                if found is not None:
                    return found
        return None

    def all(self, tag: str) -> list[Node]:
        out = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    out.append(child)
                out += child.all(tag)
        return out


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]
        self.charts = 0

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        if tag == "svg":  # its source, by order, is SVG_SOURCE's match of the same number
            node.attrs["data-chart"] = str(self.charts)
            self.charts += 1
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def text_of(node, *, breaks: bool = True) -> str:
    """The node's text as the PDF prints it: whitespace collapsed, <br> a line break."""
    if isinstance(node, str):
        return re.sub(r"\s+", " ", node)
    if node.tag == "br":
        return "\n" if breaks else ""
    if node.tag in SKIP:
        return ""
    return "".join(text_of(c, breaks=breaks) for c in node.children)


def _clean(text: str) -> str:
    return "\n".join(line.strip() for line in text.split("\n")).strip()


# --- runs and paragraphs -----------------------------------------------------------------------


def _font(run, face: str, size: Pt | None = None, *, bold: bool = False, colour: RGBColor | None = None):
    run.font.name = "Times New Roman"
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), face)
    if size is not None:
        run.font.size = size
    run.font.bold = bold or None
    if colour is not None:
        run.font.color.rgb = colour


def _runs(paragraph, node, face: str, size: Pt | None = None, *, bold: bool = False,
          colour: RGBColor | None = None) -> None:
    """The node's inline content as runs (span.red in red, <br> as a line break)."""
    parts: list[tuple[str, RGBColor | None]] = []

    def walk(n, tint):
        if isinstance(n, str):
            parts.append((re.sub(r"\s+", " ", n), tint))
        elif n.tag == "br":
            parts.append(("\n", tint))
        elif n.tag not in SKIP:
            inner = RED if "red" in n.classes else tint
            for child in n.children:
                walk(child, inner)

    walk(node, colour)
    text = "".join(t for t, _ in parts)
    lead = len(text) - len(text.lstrip())
    trail = len(text.rstrip())
    position = 0
    for chunk, tint in parts:
        start, end = position, position + len(chunk)
        position = end
        chunk = chunk[max(0, lead - start):len(chunk) - max(0, end - trail)]
        if not chunk:
            continue
        for i, line in enumerate(chunk.split("\n")):
            if i:
                paragraph.add_run().add_break()
            if line:
                _font(paragraph.add_run(line), face, size, bold=bold, colour=tint)


def _paragraph(doc, *, align=None, indent_chars: float = 0, right_chars: float = 0,
               size: Pt = BODY, space_before: Pt | None = None, line: Pt | None = LINE):
    paragraph = doc.add_paragraph()
    fmt = paragraph.paragraph_format
    if align is not None:
        paragraph.alignment = align
    if indent_chars:
        fmt.first_line_indent = Pt(size.pt * indent_chars)
    if right_chars:
        fmt.right_indent = Pt(BODY.pt * right_chars)
    fmt.space_before = space_before or Pt(0)
    fmt.space_after = Pt(0)
    if line is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = line
    return paragraph


def _border(paragraph, side: str, *, colour: str = "000000", size: int = 6) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.append(borders)
    edge = OxmlElement(f"w:{side}")
    for key, value in (("val", "single"), ("sz", str(size)), ("space", "1"), ("color", colour)):
        edge.set(qn(f"w:{key}"), value)
    borders.append(edge)


def _right_tab(paragraph, doc) -> None:
    section = doc.sections[-1]
    width = section.page_width - section.left_margin - section.right_margin
    paragraph.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)


# --- blocks ------------------------------------------------------------------------------------


def _masthead(doc, node: Node) -> None:
    for child in node.children:
        if not isinstance(child, Node):
            continue
        if "issuer" in child.classes:
            size = re.search(r"font-size:\s*([\d.]+)pt", child.attrs.get("style", ""))
            p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, line=None,
                           space_before=Pt(35 / 25.4 * 72))
            _runs(p, child, XIAOBIAOSONG, Pt(float(size.group(1)) if size else 36), colour=RED)
        elif "number" in child.classes:
            p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, space_before=LINE * 2)
            if "upward" in child.classes:
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT
                _right_tab(p, doc)
                left = next((c for c in child.children if isinstance(c, Node) and "left" in c.classes), None)
                signer = next((c for c in child.children if isinstance(c, Node) and "signer" in c.classes), None)
                if left is not None:
                    _runs(p, left, FANGSONG)
                p.add_run("\t")
                if signer is not None:
                    _runs(p, signer, KAITI)
            else:
                _runs(p, child, FANGSONG)
        elif "rule" in child.classes:
            p = _paragraph(doc, line=Pt(4 / 25.4 * 72 + 1))
            _border(p, "top", colour="E00000", size=12)


def _table(doc, node: Node) -> None:
    caption = node.find("caption")
    if caption is not None and _clean(text_of(caption)):
        p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, size=Pt(12), line=Pt(20),
                       space_before=Pt(6))
        _runs(p, caption, HEITI, Pt(12))
    rows = list(node.all("tr"))
    if not rows:
        return
    width = max(sum(int(c.attrs.get("colspan") or 1) for c in r.children
                    if isinstance(c, Node) and c.tag in ("td", "th")) for r in rows)
    table = doc.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, row in enumerate(rows):
        col = 0
        for cell_node in (c for c in row.children if isinstance(c, Node) and c.tag in ("td", "th")):
            span = int(cell_node.attrs.get("colspan") or 1)
            cell = table.cell(r, col)
            if span > 1:
                cell = cell.merge(table.cell(r, col + span - 1))
            col += span
            p = cell.paragraphs[0]
            p.paragraph_format.space_after = Pt(0)
            header = cell_node.tag == "th"
            if "num" in cell_node.classes or header:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _runs(p, cell_node, HEITI if header else FANGSONG, Pt(12))
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _figure(doc, node: Node, charts: list[str]) -> None:
    """A chart: its picture (the SVG rendered as the PDF draws it), centred, then its caption."""
    from app.reports.images import svg_size_pt, svg_to_png

    caption = node.find("figcaption")
    caption_text = _clean(text_of(caption)) if caption is not None else ""
    for svg in node.all("svg"):
        index = int(svg.attrs.get("data-chart", -1))
        if not 0 <= index < len(charts):
            continue
        source = charts[index]
        width, _height = svg_size_pt(source)
        p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, line=None, space_before=Pt(6))
        run = p.add_run()
        run.add_picture(io.BytesIO(svg_to_png(source, CHART_DPI)), width=Pt(width))
        doc_pr = run._r.find(".//" + qn("wp:docPr"))
        if doc_pr is not None:  # the picture's alternative text: what the chart shows
            doc_pr.set("descr", caption_text[:250])
    if caption_text:
        p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, size=Pt(12), line=Pt(20))
        _runs(p, caption, HEITI, Pt(12))


def _block(doc, node, charts: list[str]) -> None:
    if isinstance(node, str):
        return
    if node.tag == "figure":
        _figure(doc, node, charts)
        return
    if node.tag in SKIP:
        return
    classes = node.classes
    if node.tag == "header" and "masthead" in classes:
        _masthead(doc, node)
    elif node.tag == "h1":
        p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36), space_before=LINE)
        _runs(p, node, XIAOBIAOSONG, Pt(22))
        doc.add_paragraph().paragraph_format.space_after = Pt(0)
    elif node.tag == "h2":
        _runs(_paragraph(doc, indent_chars=2), node, HEITI, BODY)
    elif node.tag in ("h3", "h4"):
        _runs(_paragraph(doc, indent_chars=2), node, KAITI, BODY)
    elif node.tag == "p":
        if "subtitle" in classes:
            _runs(_paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER), node, KAITI, BODY)
        elif "recipients" in classes or "flush" in classes:
            _runs(_paragraph(doc), node, FANGSONG, BODY)
        elif "note" in classes:
            _runs(_paragraph(doc, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent_chars=2, size=Pt(12),
                             line=Pt(20)), node, FANGSONG, Pt(12))
        else:
            _runs(_paragraph(doc, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent_chars=2), node, FANGSONG, BODY)
    elif node.tag == "table":
        _table(doc, node)
    elif node.tag == "div" and "signature" in classes:
        lines = [c for c in node.all("div") if "box" not in c.classes]
        for i, line in enumerate(lines):
            p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4 if i else 2,
                           space_before=LINE * 2 if i == 0 else None)
            _runs(p, line, FANGSONG, BODY)
    elif node.tag == "div" and "colophon" in classes:
        rows = [c for c in node.children if isinstance(c, Node) and "row" in c.classes]
        for i, row in enumerate(rows):
            p = _paragraph(doc, size=Pt(14), space_before=LINE if i == 0 else None)
            spans = [c for c in row.children if isinstance(c, Node) and c.tag == "span"]
            if len(spans) == 2:
                _right_tab(p, doc)
                _runs(p, spans[0], FANGSONG, Pt(14))
                p.add_run("\t")
                _runs(p, spans[1], FANGSONG, Pt(14))
            else:
                _runs(p, row, FANGSONG, Pt(14))
            if i == 0:
                _border(p, "top", size=8)
            if i == len(rows) - 1:
                _border(p, "bottom", size=8)
    else:
        for child in node.children:
            _block(doc, child, charts)


# --- the document --------------------------------------------------------------------------------


def _page_number(paragraph) -> None:
    """— PAGE — in 4号 (14 pt), as the PDF prints it."""
    _font(paragraph.add_run("— "), "宋体", Pt(14))
    run = paragraph.add_run()
    _font(run, "宋体", Pt(14))
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _font(paragraph.add_run(" —"), "宋体", Pt(14))


def _setup(doc) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(35 - 7 - 5)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = BODY
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    doc.settings.odd_and_even_pages_header_footer = True
    odd = section.footer.paragraphs[0]
    odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    odd.paragraph_format.right_indent = Pt(14)
    _page_number(odd)
    even = section.even_page_footer.paragraphs[0]
    even.alignment = WD_ALIGN_PARAGRAPH.LEFT
    even.paragraph_format.left_indent = Pt(14)
    _page_number(even)


def _meta(root: Node, name: str) -> str:
    for meta in root.all("meta"):
        if meta.attrs.get("name") == name:
            return meta.attrs.get("content", "")
    return ""


def _fixed_zip(data: bytes) -> bytes:
    """The same content gives the same bytes: zip entries in order with a fixed time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def html_to_docx(html: str) -> bytes:
    """The DOCX of a report's HTML (the same text as its PDF)."""
    root = parse(html)
    doc = Document()
    _setup(doc)
    # The default template's empty first paragraph would print before the red header.
    for p in list(doc.paragraphs):
        p._element.getparent().remove(p._element)
    body = root.find("body") or root
    charts = SVG_SOURCE.findall(html)
    for child in body.children:
        _block(doc, child, charts)
    props = doc.core_properties
    title = root.find("title")
    props.title = _clean("".join(text_of(c, breaks=False) for c in title.children) if title else "")[:250]
    props.author = props.last_modified_by = _meta(root, "author")[:250]
    props.keywords = _meta(root, "keywords")[:250]
    props.revision = 1
    created = _meta(root, "dcterms.created")
    try:
        stamp = dt.datetime.fromisoformat(created.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        stamp = dt.datetime(2000, 1, 1)
    props.created = props.modified = stamp
    props.last_printed = stamp
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue())
