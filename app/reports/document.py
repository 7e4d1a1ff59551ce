"""The parts of an official document (GB/T 9704-2012) every report shares.

Issuer mark, document number 〔2024〕N号, title, addressees, signature, date written
2024年7月1日, and the colophon (版记). Numbers are derived from the period or the case,
never from a counter, so the same data gives the same document. Who issues what, and the
prefixes of the numbers, are the plan's data (`organisation_of`), not code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.formatting import date_zh
from app.models import Plan
from workflows.organisation import Organisation, derive, from_mapping
from workflows.periods import Period, PeriodKind
from workflows.report_kinds import KINDS

# The type area is 156 mm (442 pt) wide; the issuer mark must fit on one line.
TYPE_AREA_PT = 442
MASTHEAD_MAX_PT = 40

@dataclass
class Document:
    """What the page frame prints around a report's body."""

    kind: str
    title: str
    issuer: str  # 发文机关署名
    date: dt.date  # 成文日期
    number: str = ""  # 发文字号
    masthead: str = ""  # 发文机关标志 (the red header), empty for none
    recipients: str = ""  # 主送机关
    copy_to: str = ""  # 抄送机关
    printed_by: str = ""  # 印发机关
    subtitle: str = ""
    signer: str = ""  # 签发人 of a report sent upwards (GB/T 9704 §7.2.5)
    draft: bool = False  # not issued yet: no number

    @property
    def date_zh(self) -> str:
        return date_zh(self.date)

    @property
    def created_iso(self) -> str:
        """The PDF's creation date: the document's date, so re-rendering changes nothing."""
        return f"{self.date.isoformat()}T08:00:00+08:00"

    @property
    def title_lines(self) -> list[str]:
        """The title broken into balanced lines between words (GB/T: 梯形或菱形)."""
        return split_title(self.title)

    @property
    def masthead_size(self) -> int:
        """Font size (pt) that keeps the issuer mark on one line of the type area."""
        length = max(1, len(self.masthead))
        return min(MASTHEAD_MAX_PT, int(TYPE_AREA_PT * 0.92 / length))

    @property
    def masthead_top_pt(self) -> float:
        """The space above the issuer mark's line so that its glyphs' upper edge is 35 mm below
        the type area's top (GB/T 9704 §7.2.2): 35 mm less the room the line keeps above the
        ink of 小标宋 ideographs (0.154 em, measured on the rendered PDF)."""
        return round(35 / 25.4 * 72 - INK_ABOVE_EM * self.masthead_size, 2)


# Noto Serif CJK SC Black at line-height 1.15: the line box's top is this many em above the
# ideographs' ink (measured by tests/integration/test_reports_layout.py on the raster).
INK_ABOVE_EM = 0.154

# Where a title may break: before these words, or after a closing quote.
TITLE_BREAKS = ("重点任务", "推进情况", "工作情况", "督查通报", "的通报", "的报告", "讲评", "简报")
TITLE_EM = 19  # 2号 (22 pt) characters per title line, leaving a margin on each side


def _em(text: str) -> float:
    return sum(0.55 if ord(ch) < 0x2000 else 1.0 for ch in text)


def split_title(title: str, width: float = TITLE_EM) -> list[str]:
    """One line when it fits, else two lines broken at the most balanced word boundary."""
    if _em(title) <= width:
        return [title]
    candidates = {i for word in TITLE_BREAKS for i in _find_all(title, word)}
    candidates |= {i + 1 for i, ch in enumerate(title) if ch == "”"}
    fitting = [i for i in candidates if 0 < i < len(title) and _em(title[:i]) <= width and _em(title[i:]) <= width]
    if not fitting:
        fitting = [len(title) // 2]
    best = min(fitting, key=lambda i: (abs(_em(title[:i]) - _em(title[i:])), i))
    return [title[:best], title[best:]]


def _find_all(text: str, word: str) -> list[int]:
    found, start = [], text.find(word)
    while start != -1:
        found.append(start)
        start = text.find(word, start + 1)
    return found


def period_ordinal(period: Period) -> int:
    """The period's number within its year: dekad 1–36, month 1–12, quarter 1–4."""
    month = period.start.month
    match period.kind:
        case PeriodKind.DEKAD:
            return (month - 1) * 3 + (period.start.day - 1) // 10 + 1
        case PeriodKind.MONTH:
            return month
        case PeriodKind.QUARTER:
            return (month - 1) // 3 + 1
        case _:
            return 1


def document_number(kind: str, year: int, n: int, org: Organisation) -> str:
    """发文字号 such as 鹤督查〔2024〕6号: the prefix is the plan's (organisation.number_prefixes)."""
    return f"{org.prefix(kind, KINDS[kind].default_prefix)}〔{year}〕{n}号"


def issue_date(period: Period) -> dt.date:
    """成文日期 by default: the first working day after the period (working-day calendar)."""
    from app.working_days import current_calendar
    from workflows.documents import default_issue_date

    return default_issue_date(period.end, current_calendar().is_working_day)


def organisation_of(plan: Plan | None) -> Organisation:
    """Who issues the plan's documents: its `organisation` block, else names derived from its issuer."""
    if plan is None:
        return derive(None, None)
    return from_mapping(plan.organisation, issuer=plan.issuer, title=plan.title)
