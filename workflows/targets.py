"""Targets with meaning (指标): what a target's number means, and how far an actual is from it.

Each indicator has a kind, read from the plan's own words:

- growth (增长X%): the actual is the year-to-date growth rate; it is compared with the target
  rate in percentage points ("低于目标37.1个百分点"), never as actual ÷ target;
- cumulative (新增/完成/引进 N, 产值、收入 N亿元): the actual is the running total of the year;
  it is compared with the expected pace (序时进度): the target × the elapsed share of the year
  at the end of the statistical period, or a per-quarter schedule when one is given;
- level (占比X%, 达到N万户, 强度X%): a stock or a share; compared with the target, or with the
  straight path from the baseline to the target when a baseline is given;
- ceiling (控制在、不超过, ≤): the other way round — at or under the ceiling is on track;
- qualitative (no number: 取得标志性成效, 同比下降): the office's judgement
  (已完成 / 基本完成 / 未完成) with a note.

The light: green on track, yellow a little behind (within the margins), red behind. No actual
(or no judgement) gives no light: 未报送.

Plain Python: no Flask, no SQLAlchemy. Numbers are Decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from workflows.errors import Forbidden, InvalidInput


class Kind(StrEnum):
    """What a target's number means."""

    GROWTH = "growth"  # 增长率
    CUMULATIVE = "cumulative"  # 累计量
    LEVEL = "level"  # 水平 / 占比
    CEILING = "ceiling"  # 上限
    QUALITATIVE = "qualitative"  # 定性


class Frequency(StrEnum):
    """How often the responsible unit reports an actual value."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class Light(StrEnum):
    """The target's traffic light."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Judgement(StrEnum):
    """The office's judgement of a qualitative target."""

    DONE = "done"  # 已完成
    MOSTLY_DONE = "mostly_done"  # 基本完成
    NOT_DONE = "not_done"  # 未完成


JUDGEMENT_LIGHTS = {Judgement.DONE: Light.GREEN, Judgement.MOSTLY_DONE: Light.YELLOW,
                    Judgement.NOT_DONE: Light.RED}

PERCENT = "%"
_CEILING_WORDS = ("控制在", "不超过", "不高于", "以内", "以下")
_LEVEL_WORDS = ("实有", "常住人口", "面积", "比重", "占比", "强度", "首位度", "城镇化率", "覆盖率")


def classify(name: str, quote: str = "", unit: str = "", comparator: str = "=",
             has_value: bool = True) -> Kind:
    """The kind of a target, from its name, the plan's words, its unit and comparator.

    Deterministic: the same text always gives the same kind. In order: no number →
    qualitative; ≤ or 控制在/不超过/以内 → ceiling; 增长 with a % → growth; a % or a stock
    (实有、常住人口、面积、比重…) → level; anything else (新增 N家, 产值 N亿元) → cumulative.
    """
    text = f"{name}{quote}"
    if not has_value:
        return Kind.QUALITATIVE
    if comparator == "≤" or any(word in text for word in _CEILING_WORDS):
        return Kind.CEILING
    if unit == PERCENT and "增长" in name:
        return Kind.GROWTH
    if unit == PERCENT or any(word in name for word in _LEVEL_WORDS):
        return Kind.LEVEL
    return Kind.CUMULATIVE


# --------------------------------------------------------------------------- statistical periods

_PERIOD = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2})|-Q(?P<quarter>[1-4]))?")


@dataclass(frozen=True, order=True)
class StatPeriod:
    """A statistical period (统计期): a month, a quarter or a year; `end_month` is its last month."""

    year: int
    end_month: int
    frequency: Frequency

    @property
    def key(self) -> str:
        match self.frequency:
            case Frequency.MONTHLY:
                return f"{self.year:04d}-{self.end_month:02d}"
            case Frequency.QUARTERLY:
                return f"{self.year:04d}-Q{self.end_month // 3}"
            case _:
                return f"{self.year:04d}"

    @property
    def start_month(self) -> int:
        return {Frequency.MONTHLY: self.end_month, Frequency.QUARTERLY: self.end_month - 2}.get(
            self.frequency, 1)

    def __str__(self) -> str:
        return self.key


class PeriodInvalid(InvalidInput):
    """A statistical period that cannot be read."""

    code = "period_invalid"
    msgid = "The statistical period “%(period)s” is not valid: write it as %(example)s."


class PeriodWrongFrequency(InvalidInput):
    """A period of another length than the indicator's reporting frequency."""

    code = "period_wrong_frequency"
    msgid = "Write this target's statistical period as %(example)s."


class PeriodOutsideYear(InvalidInput):
    """A period outside the target's year."""

    code = "period_outside_year"
    msgid = "The period %(period)s is not in the target's year %(year)s."


class PeriodInFuture(InvalidInput):
    """A period that has not begun yet."""

    code = "period_in_future"
    msgid = "The period %(period)s has not begun yet."


EXAMPLES = {Frequency.MONTHLY: "2024-06", Frequency.QUARTERLY: "2024-Q2", Frequency.YEARLY: "2024"}


def parse_stat_period(text: str, frequency: Frequency | str = Frequency.MONTHLY) -> StatPeriod:
    """Read "2024-06", "2024-Q2" or "2024"; it must be of the indicator's frequency."""
    frequency = Frequency(frequency)
    raw = (text or "").strip() if isinstance(text, str) else ""
    match = _PERIOD.fullmatch(raw.upper())
    if not match or (match["month"] and not 1 <= int(match["month"]) <= 12):
        raise PeriodInvalid(period=raw, example=EXAMPLES[frequency])
    year = int(match["year"])
    if match["month"]:
        period = StatPeriod(year, int(match["month"]), Frequency.MONTHLY)
    elif match["quarter"]:
        period = StatPeriod(year, 3 * int(match["quarter"]), Frequency.QUARTERLY)
    else:
        period = StatPeriod(year, 12, Frequency.YEARLY)
    if period.frequency != frequency:
        raise PeriodWrongFrequency(example=EXAMPLES[frequency])
    return period


def check_period(period: StatPeriod, target_year: int, today_year: int, today_month: int) -> None:
    """A period must lie in the target's year and must have begun by today."""
    if period.year != target_year:
        raise PeriodOutsideYear(period=period.key, year=target_year)
    if (period.year, period.start_month) > (today_year, today_month):
        raise PeriodInFuture(period=period.key)


def period_for(year: int, month: int, frequency: Frequency | str) -> StatPeriod:
    """The period of `frequency` that contains the given month."""
    frequency = Frequency(frequency)
    if frequency == Frequency.QUARTERLY:
        return StatPeriod(year, 3 * ((month - 1) // 3 + 1), frequency)
    if frequency == Frequency.YEARLY:
        return StatPeriod(year, 12, frequency)
    return StatPeriod(year, month, frequency)


# --------------------------------------------------------------------------- expected and light


@dataclass(frozen=True)
class Margins:
    """How far behind is still yellow rather than red (configurable settings)."""

    points: Decimal = Decimal("1")  # percentage points, for targets in %
    pace: Decimal = Decimal("0.8")  # cumulative: share of the expected pace still yellow
    level: Decimal = Decimal("0.95")  # level: share of the expected level still yellow
    ceiling: Decimal = Decimal("1.05")  # ceiling: how far over the ceiling is still yellow


@dataclass(frozen=True)
class Target:
    """What the rules need to know about an indicator."""

    kind: Kind
    value: Decimal | None
    unit: str = ""
    year: int = 0
    baseline: Decimal | None = None
    # Cumulative targets: the running total expected at the end of Q1..Q4, if the plan says so.
    schedule: tuple[Decimal, Decimal, Decimal, Decimal] | None = None

    @property
    def in_points(self) -> bool:
        """Whether gaps are percentage points (a rate or a share in %)."""
        return self.unit == PERCENT


@dataclass(frozen=True)
class Assessment:
    """An actual measured against its target for a period.

    `gap` = actual − expected (for ceilings: actual − ceiling), in percentage points for
    targets in %, in the target's unit otherwise; `reference` says what it is measured
    against: "target", "pace" (序时进度), "path" (baseline → target) or "ceiling".
    """

    expected: Decimal | None
    gap: Decimal | None
    in_points: bool
    reference: str
    light: Light | None


def elapsed_share(period: StatPeriod) -> Decimal:
    """The share of the year gone by at the end of the period (months / 12)."""
    return Decimal(period.end_month) / Decimal(12)


def expected_value(target: Target, period: StatPeriod) -> Decimal | None:
    """What the actual should be at the end of the period, by the target's kind."""
    if target.value is None or target.kind == Kind.QUALITATIVE:
        return None
    value = Decimal(target.value)
    if target.kind == Kind.CUMULATIVE:
        if target.schedule:
            return _scheduled(target.schedule, period.end_month)
        return value * elapsed_share(period)
    if target.baseline is not None and target.kind in (Kind.LEVEL, Kind.CEILING):
        baseline = Decimal(target.baseline)
        return baseline + (value - baseline) * elapsed_share(period)
    return value


def _scheduled(schedule, end_month: int) -> Decimal:
    """The running total a per-quarter schedule expects at a month's end (straight within a quarter)."""
    points = [Decimal(0), *(Decimal(v) for v in schedule)]
    quarter, into = divmod(end_month, 3)
    if into == 0:
        return points[quarter]
    return points[quarter] + (points[quarter + 1] - points[quarter]) * Decimal(into) / Decimal(3)


def assess(target: Target, period: StatPeriod | None, actual: Decimal | None = None,
           judgement: Judgement | str | None = None, margins: Margins = Margins()) -> Assessment:
    """Expected value for the period, the gap and the light; no light without an actual."""
    if target.kind == Kind.QUALITATIVE:
        light = JUDGEMENT_LIGHTS[Judgement(judgement)] if judgement else None
        return Assessment(None, None, False, "judgement", light)
    reference = {Kind.CUMULATIVE: "pace", Kind.CEILING: "ceiling"}.get(target.kind, "target")
    if target.baseline is not None and target.kind in (Kind.LEVEL, Kind.CEILING):
        reference = "path"
    if target.kind == Kind.CUMULATIVE and period is not None and period.end_month == 12:
        reference = "target"  # at the year's end the pace is the target itself
    expected = expected_value(target, period) if period is not None else None
    if actual is None or expected is None:
        return Assessment(expected, None, target.in_points, reference, None)
    actual = Decimal(actual)
    gap = actual - expected
    return Assessment(expected, gap, target.in_points, reference,
                      _light(target, actual, expected, gap, margins))


def _light(target: Target, actual: Decimal, expected: Decimal, gap: Decimal,
           margins: Margins) -> Light:
    if target.kind == Kind.CEILING:
        if actual <= expected:
            return Light.GREEN
        if target.in_points:
            return Light.YELLOW if gap <= margins.points else Light.RED
        return Light.YELLOW if expected > 0 and actual <= expected * margins.ceiling else Light.RED
    if gap >= 0:
        return Light.GREEN
    if target.in_points:  # growth rates and shares: percentage points
        return Light.YELLOW if -gap <= margins.points else Light.RED
    share = margins.pace if target.kind == Kind.CUMULATIVE else margins.level
    return Light.YELLOW if expected > 0 and actual >= expected * share else Light.RED


# --------------------------------------------------------------------------- reading any period key


def period_of_key(key: str) -> StatPeriod:
    """A stored period key of any frequency ("2024-06", "2024-Q2", "2024")."""
    for frequency in Frequency:
        try:
            return parse_stat_period(key, frequency)
        except PeriodWrongFrequency:
            continue
    raise PeriodInvalid(period=key, example=EXAMPLES[Frequency.MONTHLY])


# --------------------------------------------------------------------------- who reports what


class ActualValueInvalid(InvalidInput):
    """An actual value that is not a number."""

    code = "actual_invalid"
    msgid = "Give the actual value as a number (e.g. 8.5), not “%(value)s”."


class JudgementMissing(InvalidInput):
    """A qualitative target without a judgement."""

    code = "judgement_missing"
    msgid = "A qualitative target is judged: choose done, mostly done or not done."


class NotResponsible(Forbidden):
    """Someone who is neither the responsible unit nor the office reports an actual."""

    code = "not_responsible"
    msgid = "Only the responsible unit or the supervision office may report this target's actual values."


class OnlyOfficeJudges(Forbidden):
    """A qualitative target is judged by the supervision office."""

    code = "only_office_judges"
    msgid = "Only the supervision office judges a qualitative target."


MAX_ABS_VALUE = Decimal("1e13")


def parse_value(raw) -> Decimal:
    """An actual value from a form or JSON: a finite number of sensible size."""
    if isinstance(raw, bool) or raw is None:
        raise ActualValueInvalid(value="" if raw is None else str(raw))
    text = str(raw).strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise ActualValueInvalid(value=str(raw)) from None
    if not value.is_finite() or abs(value) >= MAX_ABS_VALUE:
        raise ActualValueInvalid(value=str(raw))
    return value.quantize(Decimal("0.0001"))


def parse_judgement(raw) -> Judgement:
    """A judgement code (done / mostly_done / not_done)."""
    try:
        return Judgement(str(raw or "").strip())
    except ValueError:
        raise JudgementMissing() from None
