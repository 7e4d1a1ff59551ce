"""Targets with meaning: kinds from the plan's words, expected values, gaps and lights."""

from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

from workflows.targets import (
    Frequency,
    Judgement,
    Kind,
    Light,
    PeriodInFuture,
    PeriodInvalid,
    PeriodOutsideYear,
    PeriodWrongFrequency,
    StatPeriod,
    Target,
    assess,
    check_period,
    classify,
    expected_value,
    parse_stat_period,
)

SEED = Path(__file__).resolve().parents[2] / "app" / "data" / "plans" / "hecheng-eight-actions-2024.yaml"


def month(m: int, year: int = 2024) -> StatPeriod:
    return StatPeriod(year, m, Frequency.MONTHLY)


@pytest.mark.parametrize(
    ("name", "quote", "unit", "comparator", "kind"),
    [
        ("规模工业增加值增长", "规模工业增加值增长8.5%", "%", "=", Kind.GROWTH),
        ("外贸进出口总额增长", "外贸进出口总额增长80%以上", "%", "≥", Kind.GROWTH),
        ("生产性服务业占服务业比重", "生产性服务业占服务业比重超过35%", "%", "≥", Kind.LEVEL),
        ("全社会研发经费投入强度", "全社会研发经费投入强度达1.8%以上", "%", "≥", Kind.LEVEL),
        ("实有经营主体", "实有经营主体达到7.15万户以上", "万户", "≥", Kind.LEVEL),
        ("中心城区常住人口", "常住人口达到90万人", "万人", "=", Kind.LEVEL),
        ("新增市级以上科技创新平台", "新增10家市级以上科技创新平台", "家", "=", Kind.CUMULATIVE),
        ("旅游综合收入", "旅游综合收入180亿元以上", "亿元", "≥", Kind.CUMULATIVE),
        ("单位GDP能耗", "单位GDP能耗控制在0.5吨标准煤以内", "吨标准煤", "≤", Kind.CEILING),
        ("城镇登记失业率", "城镇登记失业率不超过4.5%", "%", "=", Kind.CEILING),
    ],
)
def test_kind_follows_the_plans_words(name, quote, unit, comparator, kind):
    assert classify(name, quote, unit, comparator) == kind


def test_a_target_without_a_number_is_qualitative():
    assert classify("改革攻坚实现突破", "取得标志性成效", "", "=", has_value=False) == Kind.QUALITATIVE


def _seed_indicators():
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    for goal in data["goals"]:
        yield from goal.get("indicators") or []
    for action in data["actions"]:
        yield from action.get("indicators") or []
        for case in action.get("cases") or []:
            yield from case.get("indicators") or []


def test_the_seed_plans_63_indicators_get_their_kinds():
    kinds = {}
    for ind in _seed_indicators():
        kind = classify(ind["name"], ind.get("quote", ""), ind.get("unit", ""), ind.get("comparator", "="))
        kinds.setdefault(kind, []).append(ind["name"])
    assert sum(len(v) for v in kinds.values()) == 63
    counts = {k: len(v) for k, v in kinds.items()}
    assert counts == {Kind.GROWTH: 11, Kind.LEVEL: 11, Kind.CUMULATIVE: 41}, counts
    # every 增长…% is a growth rate, every 新增 a count, every 实有 a level
    assert all(n.endswith("增长") for n in kinds[Kind.GROWTH])
    assert all("增长" not in n for n in kinds[Kind.CUMULATIVE])
    assert {"实有经营主体", "实有企业", "全区城镇化率", "中心城区经济首位度"} <= set(kinds[Kind.LEVEL])
    assert all(not n.startswith("新增") for n in kinds[Kind.LEVEL] + kinds[Kind.GROWTH])


# --------------------------------------------------------------------------- periods


def test_periods_are_read_by_frequency():
    assert parse_stat_period("2024-06") == month(6)
    assert parse_stat_period("2024-Q2", "quarterly") == StatPeriod(2024, 6, Frequency.QUARTERLY)
    assert parse_stat_period("2024", "yearly").key == "2024"
    assert parse_stat_period(" 2024-q3 ", "quarterly").key == "2024-Q3"


@pytest.mark.parametrize(("text", "frequency", "error"), [
    ("2024-13", "monthly", PeriodInvalid),
    ("June", "monthly", PeriodInvalid),
    ("", "monthly", PeriodInvalid),
    ("2024-06-15", "monthly", PeriodInvalid),
    ("2024-Q2", "monthly", PeriodWrongFrequency),
    ("2024-06", "quarterly", PeriodWrongFrequency),
])
def test_bad_periods_are_refused(text, frequency, error):
    with pytest.raises(error) as info:
        parse_stat_period(text, frequency)
    assert info.value.status == 422


def test_a_period_must_be_in_the_targets_year_and_have_begun():
    check_period(month(7), 2024, 2024, 7)
    with pytest.raises(PeriodInFuture):
        check_period(month(8), 2024, 2024, 7)
    with pytest.raises(PeriodOutsideYear):
        check_period(month(1, 2025), 2024, 2025, 2)


# --------------------------------------------------------------------------- growth


def test_growth_compares_percentage_points_never_a_ratio():
    target = Target(Kind.GROWTH, D("80"), "%", 2024)
    a = assess(target, month(6), D("42.9"))
    assert a.expected == D("80") and a.gap == D("-37.1") and a.in_points
    assert a.light == Light.RED
    negative = assess(Target(Kind.GROWTH, D("8.5"), "%", 2024), month(6), D("-2"))
    assert negative.gap == D("-10.5") and negative.light == Light.RED


@pytest.mark.parametrize(("actual", "light"), [("9.1", Light.GREEN), ("8.5", Light.GREEN),
                                               ("7.6", Light.YELLOW), ("7.4", Light.RED)])
def test_growth_light(actual, light):
    assert assess(Target(Kind.GROWTH, D("8.5"), "%", 2024), month(3), D(actual)).light == light


# --------------------------------------------------------------------------- cumulative


def test_cumulative_expects_the_pace_of_the_year():
    target = Target(Kind.CUMULATIVE, D("10"), "家", 2024)
    assert expected_value(target, month(6)) == D("5")
    assert expected_value(target, month(12)) == D("10")
    assert expected_value(target, StatPeriod(2024, 9, Frequency.QUARTERLY)) == D("7.5")


def test_cumulative_at_the_june_pace_is_green_in_june_and_red_in_december():
    target = Target(Kind.CUMULATIVE, D("10"), "家", 2024)
    june = assess(target, month(6), D("5"))
    assert (june.light, june.gap, june.reference) == (Light.GREEN, D("0"), "pace")
    december = assess(target, month(12), D("5"))
    assert (december.light, december.gap, december.reference) == (Light.RED, D("-5"), "target")
    assert assess(target, month(6), D("4")).light == Light.YELLOW  # 80% of the pace


def test_a_quarter_schedule_replaces_the_straight_pace():
    target = Target(Kind.CUMULATIVE, D("300"), "家", 2024, schedule=(D(30), D(90), D(200), D(300)))
    assert expected_value(target, month(3)) == D("30")
    assert expected_value(target, month(5)) == D("70")
    assert assess(target, month(6), D("100")).light == Light.GREEN  # the straight pace would be 150


# --------------------------------------------------------------------------- level and ceiling


def test_level_compares_with_the_target_or_the_path_from_the_baseline():
    plain = Target(Kind.LEVEL, D("7.15"), "万户", 2024)
    assert assess(plain, month(6), D("7.2")).light == Light.GREEN
    assert assess(plain, month(6), D("7.0")).light == Light.YELLOW
    assert assess(plain, month(6), D("6.0")).light == Light.RED
    path = Target(Kind.LEVEL, D("7.15"), "万户", 2024, baseline=D("6.55"))
    a = assess(path, month(6), D("6.9"))
    assert a.expected == D("6.85") and a.light == Light.GREEN and a.reference == "path"
    share = Target(Kind.LEVEL, D("35"), "%", 2024)
    assert assess(share, month(6), D("34.5")).light == Light.YELLOW  # 0.5 percentage points


def test_ceiling_under_is_on_track_over_is_not():
    ceiling = Target(Kind.CEILING, D("4.5"), "%", 2024)
    under = assess(ceiling, month(6), D("3.9"))
    assert under.light == Light.GREEN and under.gap == D("-0.6") and under.reference == "ceiling"
    assert assess(ceiling, month(6), D("5.2")).light == Light.YELLOW
    assert assess(ceiling, month(6), D("6")).light == Light.RED
    tonnes = Target(Kind.CEILING, D("100"), "万吨", 2024)
    assert assess(tonnes, month(6), D("104")).light == Light.YELLOW
    assert assess(tonnes, month(6), D("120")).light == Light.RED


# --------------------------------------------------------------------------- qualitative


def test_qualitative_gets_the_offices_judgement():
    target = Target(Kind.QUALITATIVE, None, "", 2024)
    assert assess(target, month(6), judgement=Judgement.DONE).light == Light.GREEN
    assert assess(target, month(6), judgement="mostly_done").light == Light.YELLOW
    assert assess(target, month(6), judgement="not_done").light == Light.RED
    assert assess(target, month(6)).light is None


def test_no_actual_no_light():
    a = assess(Target(Kind.CUMULATIVE, D("10"), "家", 2024), month(6))
    assert a.light is None and a.expected == D("5") and a.gap is None
