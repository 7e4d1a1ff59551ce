"""Chinese deadline and date parsing, shared by the plan-text extractor and the Excel importer.

Plans and spreadsheets write deadlines the way people speak: "2024年6月30日", "2024/6/30",
"6月底前", "年内", "三季度末", "上半年", or an Excel serial number. A deadline is always the
*last* day the phrase allows: "6月底" is 30 June, "三季度" is 30 September, "年内" is 31
December of the plan's year.

Public API:

- ``parse_deadline(value, year)``: one cell or phrase → ``date`` or ``None`` (never raises).
- ``parse_deadline_strict(value, year)``: the same, but raises ``DateParseError`` (a
  ``ValueError``) with a Chinese message the importer can show next to the row and column.
- ``find_deadline(sentence, year)``: the first deadline phrase inside free text.

"No deadline" words ("长期", "持续推进", "常态化") give ``None`` in every function.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime, timedelta

from workflows.numerals import cn_to_int

__all__ = [
    "DEADLINE_PHRASE",
    "DateParseError",
    "find_all_deadlines",
    "find_deadline",
    "parse_deadline",
    "parse_deadline_strict",
]


class DateParseError(ValueError):
    """A deadline text that could not be read; the message is in Chinese, for end users."""


# Excel counts days from 1899-12-30 (its phantom 1900-02-29 makes 1899-12-31 wrong).
_EXCEL_EPOCH = date(1899, 12, 30)
# Serials between these bounds are dates from 1954 to 2119; outside them a bare number is
# more likely a year or a typo than a date.
_EXCEL_SERIAL_MIN, _EXCEL_SERIAL_MAX = 20000, 80000

# Words that mean "no fixed deadline": the task is ongoing.
_NO_DEADLINE = re.compile(r"^(?:长期|长期坚持|持续|持续推进|持续开展|常态化|常态长效|长效|"
                          r"按要求|按进度|按计划|按时序|按序时|动态|动态推进|全年持续|每月|每季度|每年)")

# A month written in digits or Chinese numerals (一月 … 十二月).
_MONTH = r"(?P<month>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY = r"(?P<day>3[01]|[12]\d|0?[1-9])"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
# Relative years that plans use: 今年 is the plan year, 明年 / 次年 the next.
_REL_YEAR = r"(?P<rel>今年|当年|本年|明年|次年|翌年)"

# The patterns below are tried in order on the normalised text; each names the groups the
# resolver reads. "Q" patterns come before the bare-year pattern so "2024年三季度" is a quarter.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 2024年6月30日, 2024/6/30, 2024-06-30, 2024.6.30
    ("ymd", re.compile(_YEAR + r"\s*[年/\-.]\s*" + _MONTH + r"\s*[月/\-.]\s*" + _DAY + r"\s*[日号]?")),
    # 6月30日, 6/30 is too ambiguous in free text; only the Chinese form
    ("md", re.compile(r"(?:" + _REL_YEAR + r")?" + _MONTH + r"月" + _DAY + r"[日号]")),
    # 2024年6月底, 2024年6月, 2024/6, 2024.6 (a year and month: the month's last day unless 上/中旬)
    ("ym", re.compile(_YEAR + r"\s*[年/\-.]\s*" + _MONTH + r"(?:月份?)?(?P<part>底|末|中旬|上旬|下旬)?")),
    # 6月底, 六月末, 明年3月中旬, 6月 (bare month only in cells, see _BARE_MONTH_OK)
    ("m", re.compile(r"(?:" + _REL_YEAR + r")?" + _MONTH + r"月份?(?P<part>底|末|中旬|上旬|下旬)?")),
    # 三季度末, 第三季度, 2024年第一季度, Q3
    ("q", re.compile(r"(?:" + _YEAR + r"年|" + _REL_YEAR + r")?(?:第)?(?P<q>[一二三四1-4])季度(?:末|底)?")),
    ("q", re.compile(r"(?:" + _YEAR + r"年?)?[Qq](?P<q>[1-4])")),
    # 上半年 / 下半年 / 年中
    ("half", re.compile(r"(?:" + _YEAR + r"年|" + _REL_YEAR + r")?(?P<half>上半年|下半年|年中)")),
    # 年底, 年末, 年内, 全年, 2024年底, 明年底, 2024年 (alone)
    ("yend", re.compile(r"(?:" + _YEAR + r"年?|(?P<rel>今年|当年|本年|明年|次年|翌年))"
                        r"(?P<yend>底|末|内|年底|年末|度|全年)?")),
    ("yend", re.compile(r"(?P<yend>年底|年末|年内|全年|年终)")),
]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _resolve_year(match: re.Match[str], year: int) -> int:
    groups = match.groupdict()
    if groups.get("year"):
        return int(groups["year"])
    if groups.get("rel") in ("明年", "次年", "翌年"):
        return year + 1
    return year


def _resolve(kind: str, match: re.Match[str], year: int) -> date:
    """Turn one pattern match into the last day it allows; ValueError if the date does not exist."""
    y = _resolve_year(match, year)
    g = match.groupdict()
    if kind == "ymd" or kind == "md":
        return date(y, cn_to_int(g["month"]), int(g["day"]))
    if kind in ("ym", "m"):
        month = cn_to_int(g["month"])
        part = g.get("part")
        if part == "上旬":
            return date(y, month, 10)
        if part == "中旬":
            return date(y, month, 20)
        return _month_end(y, month)
    if kind == "q":
        return _month_end(y, cn_to_int(g["q"]) * 3)
    if kind == "half":
        return date(y, 12, 31) if g["half"] == "下半年" else date(y, 6, 30)
    return date(y, 12, 31)  # yend


def _normalise(text: str) -> str:
    """Full-width digits and punctuation to ASCII (NFKC), and no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# What may follow a deadline phrase in a cell without changing its meaning.
_CELL_TAIL = re.compile(r"(?:之前|以前|前|止|为止|截止|完成|结束|[。.;；,，])*$")
# "X月前" means before month X starts, i.e. the end of the previous month.
_BEFORE_MONTH = re.compile(r"^(?P<prefix>.*?" + _MONTH + r"月份?)(?:之前|以前|前)")
# A range "3月-6月", "2024.1-2024.12", "1至6月": the deadline is its end.
_RANGE_SPLIT = re.compile(r"(?:—|–|-{1,2}|~|～|至|到)")


def _parse_cell_text(text: str, year: int) -> date | None:
    """Parse a whole cell/phrase; raise ValueError if it is not a recognisable deadline."""
    norm = _normalise(text)
    if not norm:
        return None
    if _NO_DEADLINE.match(norm):
        return None
    # An Excel serial stored as text ("45473" or "45473.0").
    if re.fullmatch(r"\d+(?:\.\d+)?", norm) and "." not in norm[:5]:
        return _from_number(float(norm))
    core = _CELL_TAIL.sub("", norm) or norm
    tail = norm[len(core):]
    # "6月前" / "2024年6月前": before month X, i.e. last day of month X-1.
    m = _BEFORE_MONTH.match(norm)
    if m and m.end() == len(norm) and "底" not in tail and "末" not in tail:
        end = _parse_cell_text(m["prefix"], year)
        if end is not None:
            return end.replace(day=1) - timedelta(days=1)
    # "2025年前" (before the year 2025 starts) → 31 Dec 2024.
    m = re.fullmatch(_YEAR + r"年(?:之前|以前|前)", norm)
    if m:
        return date(int(m["year"]) - 1, 12, 31)
    # The whole text (or its core without "前/完成" tails) must be one pattern: this rejects
    # "abc" and "6月底或7月". The full text goes first so "年底" is not cut down to "年".
    for candidate in dict.fromkeys((norm, core)):
        for kind, pattern in _PATTERNS:
            m = pattern.fullmatch(candidate)
            if m:
                return _resolve(kind, m, year)
    # A range: the deadline is the end of the range.
    parts = _RANGE_SPLIT.split(core)
    if len(parts) == 2 and parts[1]:
        start, end = parts
        start_year = re.match(_YEAR, start)
        end_text = end
        if start_year and not re.match(_YEAR, end) and ("年" in start or "/" in start or "." in start):
            # "2024年3月-6月": the end inherits the start's year.
            end_text = f"{start_year['year']}年{end}"
        if not end_text.endswith(("月", "日", "号", "底", "末", "度")) and re.fullmatch(r"\d{1,2}", end):
            end_text += "月"
        return _parse_cell_text(end_text, year)
    raise ValueError(text)


def _from_number(number: float) -> date:
    """An Excel serial date (or a plain year such as 2024) → date; ValueError if neither."""
    if 1900 <= number <= 2100 and number == int(number):
        return date(int(number), 12, 31)
    if _EXCEL_SERIAL_MIN <= number <= _EXCEL_SERIAL_MAX:
        return _EXCEL_EPOCH + timedelta(days=int(number))
    raise ValueError(number)


def _parse_any(value: object, year: int) -> date | None:
    """Shared core of the lenient and strict parsers; raises ValueError on unreadable input."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return _from_number(float(value))
    if isinstance(value, str):
        return _parse_cell_text(value, year)
    raise ValueError(value)


def parse_deadline(value: object, year: int) -> date | None:
    """Read a deadline cell or phrase ("2024年6月30日", "6月底前", "三季度末", 45473, a date).

    Returns the last day the text allows, ``None`` for empty cells, "no deadline" words
    ("长期", "持续推进") and anything unreadable. Never raises. A cell holding a sentence
    ("6月底前完成方案，12月底前完成建设") gives the latest deadline found in it.
    """
    try:
        return _parse_any(value, year)
    except (ValueError, OverflowError):
        pass
    if isinstance(value, str):
        found = find_all_deadlines(value, year)
        if found:
            return max(found)
    return None


def parse_deadline_strict(value: object, year: int) -> date | None:
    """Like ``parse_deadline`` but raise ``DateParseError`` (Chinese message) on bad input.

    Empty input and "no deadline" words still give ``None``: they are not errors.
    """
    try:
        return _parse_any(value, year)
    except (ValueError, OverflowError) as exc:
        shown = str(value).strip()
        if isinstance(value, str) and _looks_like_impossible_date(value):
            raise DateParseError(f"日期不存在：“{shown}”") from exc
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise DateParseError(
                f"无法把数字“{shown}”识别为日期（应为 Excel 日期或年份，如 2024）") from exc
        raise DateParseError(
            f"无法识别的日期：“{shown}”（可写作 2024年6月30日、2024/6/30、6月底、年底、"
            "三季度末、上半年 等）") from exc


def _looks_like_impossible_date(text: str) -> bool:
    """True for well-formed but non-existent dates such as 2024年2月30日 or 13月底."""
    core = _CELL_TAIL.sub("", _normalise(text))
    return bool(re.fullmatch(r"(?:\d{4}[年/\-.])?\d{1,2}[月/\-.]\d{1,2}[日号]?|\d{1,2}月(?:底|末)?", core))


# ---------------------------------------------------------------------------------------------
# Deadlines inside free text
# ---------------------------------------------------------------------------------------------

_CN_MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_YEAR_PREFIX = r"(?:(?:19|20)\d{2}年|今年|当年|本年|明年|次年|翌年)?"

# One alternation, tried left to right at each position; the finditer below returns the
# first phrase in the sentence. Each alternative is a phrase that, inside a sentence, fixes
# a deadline; bare months and bare years are not enough ("5月开始", "2023年以来").
_FREE_TEXT_DEADLINE = re.compile(
    r"(?<![\d每各逐])(?:"
    # a range "3月至6月", "2024年1月—12月": keep whole so the end is used
    r"(?:(?:19|20)\d{2}年)?" + _CN_MONTH + r"月(?:份)?(?:—|–|-|~|～|至|到)" + _CN_MONTH + r"月(?:底|末)?"
    # full dates
    r"|(?:19|20)\d{2}年" + _CN_MONTH + r"月\d{1,2}[日号]"
    r"|(?:19|20)\d{2}[/\-.](?:1[0-2]|0?[1-9])[/\-.](?:3[01]|[12]\d|0?[1-9])(?!\d)"
    r"|" + _YEAR_PREFIX + _CN_MONTH + r"月\d{1,2}[日号](?:前|之前|以前)?"
    # month end / parts of a month
    r"|" + _YEAR_PREFIX + _CN_MONTH + r"月(?:份)?(?:底前|底|末|中旬|上旬|下旬|前|之前|以前)"
    r"|" + _YEAR_PREFIX + _CN_MONTH + r"月(?:份)?(?=(?:完成|建成|竣工|投用|投产|开工|出台|印发|"
    r"启动|实现|上线|运营|开通|通车|开园|交付|办结|到位))"
    # quarters and halves
    r"|" + _YEAR_PREFIX + r"(?:第)?[一二三四1-4]季度(?:末|底)?"
    r"|" + _YEAR_PREFIX + r"(?:上半年|下半年)"
    # year end
    r"|(?:19|20)\d{2}年(?:底|末|内|年底|年末)"
    r"|(?:今年|当年|本年|明年|次年|翌年)(?:底|末|内)"
    r"|(?<![一二两三四五六七八九十\d多])(?:年底|年末|年内)"
    r")"
    r"(?!起|以来|开始)"  # "2024年1月1日起施行", "6月以来", "7月开始": a start, not a deadline
)


# Public name for other modules that need to recognise (and cut) a deadline phrase.
DEADLINE_PHRASE = _FREE_TEXT_DEADLINE


def find_all_deadlines(sentence: str, year: int) -> list[date]:
    """Every deadline phrase in free text, in order of appearance."""
    found: list[date] = []
    for m in _FREE_TEXT_DEADLINE.finditer(sentence):
        phrase = m.group(0)
        try:
            parsed = _parse_any(phrase, year)
        except (ValueError, OverflowError):
            continue
        if parsed is not None:
            found.append(parsed)
    return found


def find_deadline(sentence: str, year: int) -> date | None:
    """The first deadline phrase in free text ("…6月底前完成…", "…年内建成…", "到2024年末…").

    Returns ``None`` when the sentence gives no deadline, or on any input it cannot read.
    """
    if not isinstance(sentence, str):
        return None
    found = find_all_deadlines(sentence, year)
    return found[0] if found else None
