"""Report periods: 旬 (dekad), 月, 季, 年 — "旬简报、月通报、季讲评".

Keys, also the CLI's `--period`: "2024-06-D2" (dekad: D1 days 1–10, D2 11–20, D3 21–end of
month), "2024-06", "2024-Q2", "2024". Reports are generated on calendar days (a holiday does
not move the dekad brief); delivering the messages about them follows office hours.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum


class PeriodKind(StrEnum):
    """How long a report period is."""

    DEKAD = "dekad"  # 旬
    MONTH = "month"  # 月
    QUARTER = "quarter"  # 季度
    YEAR = "year"  # 年


_DEKAD_NAMES = {1: "上旬", 2: "中旬", 3: "下旬"}
_QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}
_FORMATS_ZH = "2024（年）、2024-Q2（季度）、2024-06（月）、2024-06-D2（旬，D1/D2/D3）"

_PATTERN = re.compile(
    r"(?P<year>\d{4})"
    r"(?:-Q(?P<quarter>\d)|-(?P<month>\d{1,2})(?:-D(?P<dekad>\d))?)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Period:
    """A report period: its kind, first and last day (inclusive) and its key."""

    kind: PeriodKind
    start: date
    end: date
    key: str
    # A running period (截至今日): `end` is the day the report's facts stand at, and
    # `last_day` the period's own last day; None for a whole period.
    last_day: date | None = None

    @property
    def running(self) -> bool:
        """Whether this is a period as it stands before its end (a 截至今日 report)."""
        return self.last_day is not None

    def so_far(self, day: date) -> Period:
        """The period as it stands on `day`, a day inside it: its facts up to that day."""
        if not self.start <= day <= (self.last_day or self.end):
            raise ValueError(f"{day} 不在 {self.key} 之内")
        return replace(self, end=day, last_day=self.last_day or self.end)

    @classmethod
    def dekad(cls, year: int, month: int, n: int) -> Period:
        """Dekad n (1, 2, 3) of a month: days 1–10, 11–20, 21–end."""
        if n not in _DEKAD_NAMES:
            raise ValueError(f"旬只能是 D1、D2 或 D3，不是 D{n}")
        start = date(year, month, 10 * (n - 1) + 1)
        end = date(year, month, monthrange(year, month)[1] if n == 3 else 10 * n)
        return cls(PeriodKind.DEKAD, start, end, f"{year:04d}-{month:02d}-D{n}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """A calendar month."""
        start = date(year, month, 1)
        end = date(year, month, monthrange(year, month)[1])
        return cls(PeriodKind.MONTH, start, end, f"{year:04d}-{month:02d}")

    @classmethod
    def quarter(cls, year: int, q: int) -> Period:
        """Quarter q (1–4) of a year."""
        if q not in _QUARTER_NAMES:
            raise ValueError(f"季度只能是 Q1 至 Q4，不是 Q{q}")
        first_month = 3 * (q - 1) + 1
        start = date(year, first_month, 1)
        end = date(year, first_month + 2, monthrange(year, first_month + 2)[1])
        return cls(PeriodKind.QUARTER, start, end, f"{year:04d}-Q{q}")

    @classmethod
    def year(cls, year: int) -> Period:
        """A calendar year."""
        return cls(PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31), f"{year:04d}")

    @classmethod
    def containing(cls, kind: PeriodKind | str, d: date) -> Period:
        """The period of `kind` that contains day `d`."""
        match PeriodKind(kind):
            case PeriodKind.DEKAD:
                return cls.dekad(d.year, d.month, min(3, (d.day - 1) // 10 + 1))
            case PeriodKind.MONTH:
                return cls.month(d.year, d.month)
            case PeriodKind.QUARTER:
                return cls.quarter(d.year, (d.month - 1) // 3 + 1)
            case PeriodKind.YEAR:
                return cls.year(d.year)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return Period.containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        """The period of the same kind just after this one (after its last day when running)."""
        return Period.containing(self.kind, (self.last_day or self.end) + timedelta(days=1))

    def contains(self, d: date) -> bool:
        """Whether day `d` falls in this period."""
        return self.start <= d <= self.end

    @property
    def label_zh(self) -> str:
        """The Chinese name used in report titles, e.g. 2024年6月中旬."""
        y, m = self.start.year, self.start.month
        match self.kind:
            case PeriodKind.DEKAD:
                return f"{y}年{m}月{_DEKAD_NAMES[(self.start.day - 1) // 10 + 1]}"
            case PeriodKind.MONTH:
                return f"{y}年{m}月"
            case PeriodKind.QUARTER:
                return f"{y}年第{_QUARTER_NAMES[(m - 1) // 3 + 1]}季度"
            case _:
                return f"{y}年"

    def __str__(self) -> str:
        return self.key


def parse_period(text: str) -> Period:
    """Parse a period key such as 2024-06-D2, 2024-06, 2024-Q2 or 2024."""
    match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise _bad_period(text)
    year = int(match["year"])
    quarter, month, dekad = (match[g] and int(match[g]) for g in ("quarter", "month", "dekad"))
    if year < 1:
        raise _bad_period(text, "年份不正确")
    if quarter is not None:
        if quarter not in _QUARTER_NAMES:
            raise _bad_period(text, "季度只能是 Q1 至 Q4")
        return Period.quarter(year, quarter)
    if month is None:
        return Period.year(year)
    if not 1 <= month <= 12:
        raise _bad_period(text, "月份只能是 01 至 12")
    if dekad is None:
        return Period.month(year, month)
    if dekad not in _DEKAD_NAMES:
        raise _bad_period(text, "旬只能是 D1、D2 或 D3")
    return Period.dekad(year, month, dekad)


def _bad_period(text: object, detail: str = "") -> ValueError:
    reason = f"（{detail}）" if detail else ""
    return ValueError(f"无法识别的期间“{text}”{reason}，可用格式：{_FORMATS_ZH}")


def period_just_ended(kind: PeriodKind | str, today: date) -> Period:
    """The latest period of `kind` that ended before `today` (what a report on `today` covers)."""
    return Period.containing(kind, today).previous()


def periods_due_on(today: date) -> list[Period]:
    """The periodic reports beat generates on `today`, each for the period just ended."""
    due = []
    if today.day in (1, 11, 21):
        due.append(period_just_ended(PeriodKind.DEKAD, today))
    if today.day == 1:
        due.append(period_just_ended(PeriodKind.MONTH, today))
        if today.month in (1, 4, 7, 10):
            due.append(period_just_ended(PeriodKind.QUARTER, today))
    return due


def report_choices(today: date, kinds=(PeriodKind.DEKAD, PeriodKind.MONTH, PeriodKind.QUARTER)) -> list[Period]:
    """The periods a report request offers first: for each kind the running one as it stands
    on `today` (截至今日), then the one just ended."""
    choices = []
    for kind in kinds:
        running = Period.containing(kind, today)
        choices += [running.so_far(today), running.previous()]
    return choices
