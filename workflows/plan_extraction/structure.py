"""The outline of a plan: numbered headings, their bodies, and plain-text tables.

Chinese official documents number their levels 一、 → （一） → 1. → （1） → ①
(GB/T 9704); county plans add "第一部分"; goals are often "——" paragraphs; annexes start
with "附件". The rank of each numbering style is fixed in that order, so a document that
skips levels ("第一部分" then "1、") still nests correctly: a heading becomes the child of
the nearest open heading of a lower rank.

Tables in plain text are runs of lines whose cells are separated by tabs, by two or more
spaces or by "|" (a Markdown or pasted web table; "|---|" rules are skipped), starting with a
header row that names known columns (序号, 任务, 牵头单位, 完成时限…). A .docx table is read
into exactly this form by ``reader``. Two other ways tables arrive as text are read too:

- one cell per line (a web table copied cell by cell, with or without a trailing " |"): a
  run of at least three header cells on their own lines, then rows of as many lines — or,
  with a 序号 column, each row from its number to the next;
- a row that wraps: a line that starts with a tab continues the cell in the column its
  leading tabs point to ("\t投产项目12个" continues the second cell of the row above).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .textutil import Span, trim

# Numbering styles, by rank (outermost first). Each pattern matches the marker at a line start.
HEADING_STYLES: list[tuple[str, re.Pattern[str]]] = [
    ("annex", re.compile(r"附件\s*\d*\s*[:：]?\s*")),
    ("part", re.compile(r"第[一二三四五六七八九十]+(?:部分|章|篇)\s*[、:：.．]?\s*")),
    ("cn", re.compile(r"[一二三四五六七八九十]{1,3}\s*[、.．]\s*")),
    ("paren_cn", re.compile(r"[（(]\s*[一二三四五六七八九十]{1,3}\s*[）)]\s*[、.．]?\s*")),
    # "1." but not "1.5万户"; "1.6月底前…" is item 1 starting with a deadline.
    ("num", re.compile(r"\d{1,2}\s*(?:[、．]|\.(?!\d)|\.(?=\d{1,2}月))\s*")),
    ("paren_num", re.compile(r"[（(]\s*\d{1,2}\s*[）)]\s*")),
    ("circled", re.compile(r"[①-⑳]\s*")),
    ("dash", re.compile(r"(?:——|--)\s*")),
]
RANK = {name: i for i, (name, _) in enumerate(HEADING_STYLES)}

# Table cells: a tab, or two or more spaces (ASCII, ideographic or no-break), or "|".
_CELL_SEPARATOR = re.compile(r"\t|[ \u3000\u00a0]{2,}|\u3000")
_PIPE_ROW = re.compile(r"^\|?[^|\n]*(?:\|[^|\n]*){2,}$")
_PIPE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
# A cell on its own line, as a web table copies: "序号 |", "责任单位 |", "1 |".
_LINE_CELL_END = re.compile(r"\s*\|\s*$")

# Header keywords → column roles. Order matters: the first matching role wins for a column.
_COLUMN_ROLES: list[tuple[str, re.Pattern[str]]] = [
    ("index", re.compile(r"^(?:序号|编号|序)$")),
    ("kind", re.compile(r"清单类型|清单类别")),
    ("group", re.compile(r"所属行动|行动名称|^行动$|类别|分类|领域|板块|专班")),
    ("lead", re.compile(r"(?:牵头|主办|主责)(?:单位|部门|处室|科室|股室)|^牵头$")),
    ("partner", re.compile(r"(?:配合|协办|参与|协同)(?:单位|部门|处室|科室|股室)|^配合$")),
    ("responsible", re.compile(r"(?:责任|承办|实施)(?:单位|部门|处室|科室|股室)")),
    ("deadline", re.compile(r"完成时限|时限|完成时间|时间节点|截止时间|进度安排|计划完成")),
    ("person", re.compile(r"责任人|负责人|牵头领导|责任领导|联系人|电话|(?:县|市|区)领导|分管领导")),
    # Columns of a progress table: what was done so far, not the target.
    ("actual", re.compile(r"完成情况|进展情况|执行情况|完成率|完成比例|实际完成|累计完成|已完成|进度$|"
                          r"^\d{1,2}\s*[-—–～~至]\s*\d{1,2}\s*月|上半年|前三季度|截至")),
    ("title", re.compile(r"名称|^任务$|^项目$|^事项$|^实事$")),
    ("detail", re.compile(r"任务|内容|事项|措施|目标|规模|举措|指标|要求|项目|工作$|^工作")),
]


@dataclass
class Line:
    """One non-empty line of the text: ``span`` is its content without surrounding blanks."""

    span: Span
    text: str
    indent: str = ""  # the blanks before the content ("\t" on a wrapped table row)


@dataclass
class Cell:
    span: Span
    text: str
    # A cell that wraps over several lines has several parts (the first is ``span``).
    more: list[Span] = field(default_factory=list)

    @property
    def parts(self) -> list[Span]:
        return [self.span, *self.more]


@dataclass
class Table:
    """A plain-text table: a header row's roles and the rows' cells, with spans."""

    roles: list[str | None]
    rows: list[list[Cell]]
    span: Span
    # Per row, the category row above it ("（一）教育卫生类（3项）" spanning the table), if any.
    row_groups: list[Cell | None] = field(default_factory=list)


@dataclass
class Section:
    """A heading and everything under it."""

    style: str  # one of HEADING_STYLES' names, or "root"
    line: Line | None  # the heading line (None for the root)
    content: Span  # the heading line after its number
    body: list[Line] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    parent: Section | None = field(default=None, repr=False)

    @property
    def rank(self) -> int:
        return -1 if self.style == "root" else RANK[self.style]

    def end(self) -> int:
        """Offset where this section's text ends (its last line, table or child)."""
        ends = [self.content[1]]
        ends += [line.span[1] for line in self.body]
        ends += [t.span[1] for t in self.tables]
        ends += [c.end() for c in self.children]
        return max(ends)

    def leaves(self) -> list[Section]:
        if not self.children:
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]


def _lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        start, end = trim(text, pos, pos + len(raw))
        if end > start:
            lines.append(Line((start, end), text[start:end], text[pos:start].lstrip("\r\n")))
        pos += len(raw)
    return lines


def heading_style(line: Line) -> tuple[str, int] | None:
    """(style, offset after the marker) if the line starts with a numbering marker."""
    for name, pattern in HEADING_STYLES:
        m = pattern.match(line.text)
        if not m:
            continue
        rest = line.text[m.end():]
        if not rest or not re.match(r"[\u4e00-\u9fff“《(（\[]|\d{1,2}月|\d{4}年|[A-Z]{2,5}[\d.]*[\u4e00-\u9fff]", rest):
            continue  # "1.5万户…", "一、" alone, "—2027年": not a heading
        return name, line.span[0] + m.end()
    return None


def _is_pipe_row(line: Line) -> bool:
    return "\t" not in line.text and _PIPE_ROW.match(line.text) is not None


def _cells(text: str, line: Line) -> list[Cell]:
    if _is_pipe_row(line):
        return _pipe_cells(text, line)
    cells = []
    pos = line.span[0]
    for piece in _CELL_SEPARATOR.split(line.text):
        start = text.index(piece, pos) if piece else pos
        s, e = trim(text, start, start + len(piece))
        cells.append(Cell((s, e), text[s:e]))
        pos = start + len(piece)
    return cells


def _pipe_cells(text: str, line: Line) -> list[Cell]:
    """Cells of "| a | b |" or "a | b | c" (outer pipes optional)."""
    cells = []
    start, end = line.span
    if text[start] == "|":
        start += 1
    if end > start and text[end - 1] == "|":
        end -= 1
    pos = start
    for piece in text[start:end].split("|"):
        s, e = trim(text, pos, pos + len(piece))
        cells.append(Cell((s, e), text[s:e]))
        pos += len(piece) + 1
    return cells


def _line_cell(text: str, line: Line) -> Cell:
    """A line as one cell, without a trailing " |"."""
    m = _LINE_CELL_END.search(line.text)
    end = line.span[0] + m.start() if m else line.span[1]
    s, e = trim(text, line.span[0], end)
    return Cell((s, e), text[s:e])


def _header_role(cell_text: str) -> str | None:
    return next((r for r, p in _COLUMN_ROLES if p.search(cell_text)), None)


def _read_vertical_table(text: str, lines: list[Line], i: int) -> tuple[Table, int] | None:
    """A table pasted one cell per line: a header of short known column names, then rows."""
    header: list[Cell] = []
    j = i
    while j < len(lines) and len(header) < 12:
        cell = _line_cell(text, lines[j])
        if not cell.text or len(cell.text) > 8 or _header_role(cell.text) is None:
            break
        header.append(cell)
        j += 1
    if len(header) < 3:
        return None
    roles = _column_roles(header)
    if roles is None:
        return None
    n = len(roles)
    rows: list[list[Cell]] = []
    if roles[0] == "index":
        expected = 1
        while j < len(lines) and _line_cell(text, lines[j]).text == str(expected):
            k = j + 1
            while (k < len(lines) and _line_cell(text, lines[k]).text != str(expected + 1)
                   and k - j < n + 3 and heading_style(lines[k]) is None):
                k += 1
            if k - j < n and k < len(lines) and _line_cell(text, lines[k]).text != str(expected + 1):
                break
            cells = [_line_cell(text, line) for line in lines[j:min(k, j + n + 2)]]
            rows.append(_fold_cells(cells, roles))
            j = k if k - j <= n + 2 else j + n
            expected += 1
    else:
        while j + n <= len(lines) and all(heading_style(line) is None for line in lines[j:j + n]):
            cells = [_line_cell(text, line) for line in lines[j:j + n]]
            if not cells[-1].text or len(cells[-1].text) > 60:
                break
            rows.append(cells)
            j += n
    if not rows:
        return None
    return Table(roles, rows, (lines[i].span[0], lines[j - 1].span[1]), [None] * len(rows)), j


def _fold_cells(cells: list[Cell], roles: list[str | None]) -> list[Cell]:
    """A row with more lines than columns: the extra lines continue the task's cell."""
    extra = len(cells) - len(roles)
    if extra <= 0:
        return cells
    at = roles.index("title") if "title" in roles else 1
    folded = cells[:at + 1] + cells[at + 1 + extra:]
    folded[at] = Cell(cells[at].span, cells[at].text, [c.span for c in cells[at + 1:at + 1 + extra]])
    return folded


def _column_roles(cells: list[Cell]) -> list[str | None] | None:
    """Roles of a header row, or None if the row is not a table header."""
    roles: list[str | None] = []
    for cell in cells:
        role = next((r for r, p in _COLUMN_ROLES if p.search(cell.text)), None)
        roles.append(role)
    known = [r for r in roles if r]
    has_task = "title" in known or "detail" in known
    has_unit_or_time = any(r in known for r in ("lead", "responsible", "partner", "deadline"))
    if len(cells) < 3 or not (has_task and has_unit_or_time):
        return None
    if "title" not in roles:  # the first task-like column names the task
        roles[roles.index("detail")] = "title"
    if "lead" not in roles and "responsible" in roles:
        roles[roles.index("responsible")] = "lead_list"  # first of the list leads
    elif "responsible" in roles:
        roles[roles.index("responsible")] = "partner"
    return roles


def _read_table(text: str, lines: list[Line], i: int) -> tuple[Table, int] | None:
    """A table starting at lines[i] (its header), and the index after its last row."""
    header = _cells(text, lines[i])
    roles = _column_roles(header)
    if roles is None:
        return None
    rows: list[list[Cell]] = []
    groups: list[Cell | None] = []
    group: Cell | None = None
    j = i + 1
    while j < len(lines):
        if _PIPE_RULE.match(lines[j].text):
            j += 1  # "|---|---|"
            continue
        if rows and lines[j].indent.startswith("\t") and heading_style(lines[j]) is None:
            _continue_row(text, rows[-1], lines[j])  # a wrapped row: "\t投产项目12个"
            j += 1
            continue
        if _is_row(text, lines[j], roles):
            rows.append(_cells(text, lines[j]))
            groups.append(group)
            j += 1
        elif (j + 1 < len(lines) and len(lines[j].text) <= 40
              and len(_cells(text, lines[j])) == 1 and _is_row(text, lines[j + 1], roles)):
            group = _group_cell(text, lines[j])  # a merged category row inside the table
            j += 1
        else:
            break
    if not rows:
        return None
    return Table(roles, rows, (lines[i].span[0], lines[j - 1].span[1]), groups), j


def _continue_row(text: str, row: list[Cell], line: Line) -> None:
    """Append a wrapped line to the cell its leading tabs point to."""
    column = min(len(line.indent) - len(line.indent.lstrip("\t")), len(row) - 1)
    for k, cell in enumerate(_cells(text, line)):
        if not cell.text:
            continue
        target = row[min(column + k, len(row) - 1)]
        target.more.append(cell.span)
        target.text = f"{target.text}{cell.text}"


def _is_row(text: str, line: Line, roles: list[str | None]) -> bool:
    # A table ends at a heading ("第四部分  保障措施" has two spaces but is no row) or at a
    # line with too few cells to be a row.
    return (len(_cells(text, line)) >= max(2, len(roles) // 2)
            and heading_style(line) is None)


def _group_cell(text: str, line: Line) -> Cell:
    """A category row's name without its number and count: "（一）教育卫生类（3项）" → 教育卫生类."""
    found = heading_style(line)
    start = found[1] if found else line.span[0]
    count = re.search(r"\s*[（(]\s*(?:共)?\s*[\d一二三四五六七八九十]+\s*[项个件][）)]$", line.text)
    end = line.span[0] + count.start() if count else line.span[1]
    s, e = trim(text, start, end)
    return Cell((s, e), text[s:e])


def parse_outline(text: str) -> Section:
    """The section tree of ``text``; the root holds the lines before the first heading."""
    root = Section("root", None, (0, 0))
    stack = [root]
    lines = _lines(text)
    i = 0
    while i < len(lines):
        line = lines[i]
        table = None
        if _CELL_SEPARATOR.search(line.text) or _is_pipe_row(line):
            table = _read_table(text, lines, i)
        if table is None and len(line.text) <= 10 and _header_role(_line_cell(text, line).text):
            table = _read_vertical_table(text, lines, i)
        if table:
            stack[-1].tables.append(table[0])
            i = table[1]
            continue
        found = heading_style(line)
        if found:
            style, content_start = found
            section = Section(style, line, (content_start, line.span[1]))
            while stack[-1].rank >= section.rank:
                stack.pop()
            section.parent = stack[-1]
            stack[-1].children.append(section)
            stack.append(section)
        else:
            stack[-1].body.append(line)
        i += 1
    return root
