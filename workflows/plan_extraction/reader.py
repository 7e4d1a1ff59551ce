"""Read a plan document from disk into plain text: UTF-8 or GB18030 text, or a .docx.

Government offices save text as UTF-8 (with or without BOM) or GB18030/GBK (Windows'
default for Chinese), and most plans arrive as Word files. Everything that cannot be read
raises ``PlanTextError`` with a message an office user can act on.

A .docx is read with the standard library (zipfile + ElementTree): paragraphs become lines,
each table row becomes one line with its cells separated by tabs (the extractor reads such
lines as a table), and Word's automatic list numbers ("一、", "（一）", "1.") are written
back in front of their paragraphs, because the extractor needs them to see the structure.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from ..numerals import int_to_cn
from .errors import PlanTextError

__all__ = ["decode_plan_bytes", "read_plan_document"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def read_plan_document(path: str | Path) -> str:
    """Return the plain text of a plan file (.txt in UTF-8/GB18030, or .docx).

    Raises ``PlanTextError`` for a missing, empty, binary or unsupported file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlanTextError(f"找不到文件：{path}") from None
    except IsADirectoryError:
        raise PlanTextError(f"这是一个文件夹，不是文件：{path}") from None
    except OSError as exc:
        raise PlanTextError(f"无法读取文件 {path.name}：{exc.strerror or exc}") from None
    return decode_plan_bytes(data, filename=path.name)


def decode_plan_bytes(data: bytes, filename: str = "") -> str:
    """Decode an uploaded plan file's bytes to text; see ``read_plan_document``."""
    name = filename or "文件"
    if not data.strip():
        raise PlanTextError(f"{name} 是空文件，没有可识别的内容。")
    if data.startswith(b"PK\x03\x04"):
        text = _docx_text(data, name)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise PlanTextError(f"{name} 是旧版 Word（.doc）或 WPS 格式，无法直接读取，"
                            "请在 Word/WPS 中另存为 .docx 或 .txt 后再上传。")
    elif data.startswith(b"%PDF"):
        raise PlanTextError(f"{name} 是 PDF 文件，无法直接读取，"
                            "请复制其中文字另存为 .txt，或上传 Word（.docx）原件。")
    elif data.lstrip().startswith(b"{\\rtf"):
        raise PlanTextError(f"{name} 是 RTF 格式，请另存为 .docx 或 .txt 后再上传。")
    else:
        text = _decode_text(data, name)
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise PlanTextError(f"{name} 不是文本文件（含二进制内容），请上传 .txt 或 .docx。")
    if not text.strip():
        raise PlanTextError(f"{name} 中没有文字内容。")
    if not _CJK.search(text):
        raise PlanTextError(f"{name} 中没有中文内容，不像是一份工作方案。")
    return text


def _decode_text(data: bytes, name: str) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlanTextError(f"无法识别 {name} 的文字编码（既不是 UTF-8 也不是 GB18030/GBK），"
                        "请用记事本或 WPS 另存为 UTF-8 编码的 .txt 后再上传。")


# ---------------------------------------------------------------------------------------------
# .docx
# ---------------------------------------------------------------------------------------------

def _docx_text(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names:
                if any(n.startswith("xl/") for n in names):
                    raise PlanTextError(f"{name} 是 Excel 文件；任务清单请用“清单导入”功能。")
                raise PlanTextError(f"{name} 不是 Word（.docx）文档，无法读取。")
            document = ElementTree.fromstring(archive.read("word/document.xml"))
            numbering = (_read_numbering(archive.read("word/numbering.xml"))
                         if "word/numbering.xml" in names else {})
    except PlanTextError:
        raise
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError, OSError):
        raise PlanTextError(f"{name} 已损坏或不是有效的 .docx 文件，无法读取。") from None
    body = document.find(f"{_W}body")
    if body is None:
        raise PlanTextError(f"{name} 中没有正文。")
    lines: list[str] = []
    _Numberer(numbering).walk(body, lines)
    return "\n".join(lines)


def _attr(element: ElementTree.Element | None, name: str = "val") -> str | None:
    return None if element is None else element.get(f"{_W}{name}")


def _read_numbering(xml: bytes) -> dict[str, dict[int, tuple[str, str, int]]]:
    """numId → {level: (numFmt, lvlText, start)} from word/numbering.xml."""
    root = ElementTree.fromstring(xml)
    abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
    for node in root.iter(f"{_W}abstractNum"):
        levels = {}
        for lvl in node.iter(f"{_W}lvl"):
            levels[int(_attr(lvl, "ilvl") or 0)] = (
                _attr(lvl.find(f"{_W}numFmt")) or "decimal",
                _attr(lvl.find(f"{_W}lvlText")) or "",
                int(_attr(lvl.find(f"{_W}start")) or 1),
            )
        abstract[_attr(node, "abstractNumId") or ""] = levels
    return {
        _attr(num, "numId") or "": abstract.get(_attr(num.find(f"{_W}abstractNumId")) or "", {})
        for num in root.iter(f"{_W}num")
    }


def _format_number(fmt: str, n: int) -> str:
    if fmt.startswith(("chinese", "ideograph")) or fmt == "taiwaneseCounting":
        return int_to_cn(n)
    if fmt.startswith("decimalEnclosedCircle") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "bullet" or fmt == "none":
        return ""
    return str(n)


class _Numberer:
    """Walks the document body in order, producing lines and Word's list numbers."""

    def __init__(self, numbering: dict[str, dict[int, tuple[str, str, int]]]):
        self.numbering = numbering
        self.counters: dict[str, dict[int, int]] = {}

    def walk(self, container: ElementTree.Element, lines: list[str]) -> None:
        for child in container:
            if child.tag == f"{_W}p":
                lines.append(self.marker(child) + _paragraph_text(child))
            elif child.tag == f"{_W}tbl":
                for row in child.iter(f"{_W}tr"):
                    lines.append("\t".join(_row_cells(row)))
            elif child.tag == f"{_W}sdt":  # content control: its content is ordinary body
                content = child.find(f"{_W}sdtContent")
                if content is not None:
                    self.walk(content, lines)

    def marker(self, paragraph: ElementTree.Element) -> str:
        num_pr = paragraph.find(f"{_W}pPr/{_W}numPr")
        if num_pr is None:
            return ""
        num_id = _attr(num_pr.find(f"{_W}numId")) or ""
        level = int(_attr(num_pr.find(f"{_W}ilvl")) or 0)
        levels = self.numbering.get(num_id)
        if not levels or level not in levels:
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[level] = counters.get(level, levels[level][2] - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]  # a new item restarts its sub-list
        fmt, text, _ = levels[level]
        if fmt == "bullet":
            return ""

        def substitute(match: re.Match[str]) -> str:
            ref = int(match.group(1)) - 1
            ref_fmt = levels.get(ref, ("decimal", "", 1))[0]
            return _format_number(ref_fmt, counters.get(ref, levels.get(ref, ("", "", 1))[2]))

        return re.sub(r"%(\d)", substitute, text)


def _paragraph_text(paragraph: ElementTree.Element) -> str:
    """Text of one paragraph: runs' w:t, tabs and line breaks; deleted text is skipped."""
    parts = []
    for node in paragraph.iter():
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W}tab":
            parts.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return "".join(parts)


def _row_cells(row: ElementTree.Element) -> list[str]:
    """Cell texts of one table row; a cell spanning n grid columns adds n-1 empty cells."""
    cells = []
    for cell in row.findall(f"{_W}tc"):
        texts = [_paragraph_text(p).strip() for p in cell.iter(f"{_W}p")]
        cells.append(" ".join(t for t in texts if t).replace("\t", " ").replace("\n", " "))
        span = _attr(cell.find(f"{_W}tcPr/{_W}gridSpan"))
        if span and span.isdigit():
            cells.extend([""] * (int(span) - 1))
    return cells
