"""The grammar of list cells, as plain Python: targets, milestones, columns, action names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from workflows.lists.cells import (
    KEEP,
    cell_text,
    is_cleared,
    norm,
    split_departments,
    strip_role_note,
    title_from,
)
from workflows.lists.columns import is_header, kind_of, match_headers, sheet_kind
from workflows.lists.matching import find_action, suggest
from workflows.lists.milestones import milestones_text, parse_milestones
from workflows.lists.targets import indicator_key, parse_targets, target_cells


def one(raw, unit=""):
    values, findings = parse_targets(raw, unit)
    assert findings == []
    assert len(values) == 1
    v = values[0]
    return v["comparator"], v["value"], v["value_max"], v["unit"]


@pytest.mark.parametrize(("raw", "unit", "expected"), [
    (5, "个", ("=", Decimal(5), None, "个")),
    ("≥5", "个", ("≥", Decimal(5), None, "个")),
    ("5个以上", "", ("≥", Decimal(5), None, "个")),
    ("不超过3", "%", ("≤", Decimal(3), None, "%")),
    ("1-2", "亿元", ("=", Decimal(1), Decimal(2), "亿元")),
    ("８５％", "", ("=", Decimal(85), None, "%")),
    ("1,200", "户", ("=", Decimal(1200), None, "户")),
])
def test_a_target_cell_gives_value_comparator_and_unit(raw, unit, expected):
    assert one(raw, unit) == expected


def test_several_targets_take_their_units_in_order():
    values, findings = parse_targets("≥5；20", "个；亿元")
    assert findings == []
    assert [(v["comparator"], v["value"], v["unit"]) for v in values] == [("≥", 5, "个"), ("=", 20, "亿元")]


def test_empty_keeps_and_none_word_clears():
    assert parse_targets(None, "") == (KEEP, [])
    assert parse_targets("无", "") == ([], [])


@pytest.mark.parametrize(("raw", "unit", "field", "words"), [
    ("增长8.5%", "", "target", "is not a number"),
    ("5；6", "个；亿元；%", "unit", "target values but"),
    ("", "个", "target", "no target value"),
    ("5个", "亿元", "unit", "differs from the unit column"),
    ("3-2", "", "target", "out of range"),
])
def test_a_bad_target_is_a_finding_on_its_column(raw, unit, field, words):
    values, findings = parse_targets(raw, unit)
    assert values == []
    assert [f.field for f in findings] == [field]
    assert words in findings[0].msgid
    assert findings[0].level == "error"


def test_milestones_need_a_date_each():
    values, findings = parse_milestones("6月底前完成方案；2024-09-30：开工建设", 2024)
    assert findings == []
    assert values == [("6月底前完成方案", dt.date(2024, 6, 30)), ("开工建设", dt.date(2024, 9, 30))]
    values, findings = parse_milestones("尽快完成；12月底前验收", 2024)
    assert values == [("12月底前验收", dt.date(2024, 12, 31))]
    assert [(f.field, f.params) for f in findings] == [("milestones", {"text": "尽快完成"})]
    assert parse_milestones("", 2024) == (KEEP, [])
    assert parse_milestones("—", 2024) == ([], [])
    assert parse_milestones(dt.date(2024, 5, 31), 2024) == ([("2024-05-31", dt.date(2024, 5, 31))], [])


@dataclass
class _Milestone:
    title: str
    due_date: dt.date


@dataclass
class _Indicator:
    value: Decimal
    value_max: Decimal | None
    unit: str
    comparator: str


def test_export_cells_read_back_as_the_same_values():
    milestones = [_Milestone("6月底前完成方案", dt.date(2024, 6, 30)), _Milestone("验收", dt.date(2024, 11, 15))]
    text = milestones_text(milestones, 2024)
    assert text == "6月底前完成方案；2024年11月15日：验收"
    assert parse_milestones(text, 2024)[0] == [(m.title, m.due_date) for m in milestones]
    indicators = [_Indicator(Decimal("4.5000"), None, "亿元", "≥"), _Indicator(Decimal(1), Decimal(2), "个", "=")]
    target, unit = target_cells(indicators)
    assert (target, unit) == ("≥4.5；1-2", "亿元；个")
    values, _f = parse_targets(target, unit)
    assert [indicator_key(v) for v in values] == [indicator_key(i) for i in indicators]
    assert target_cells([_Indicator(Decimal("8.50"), None, "%", "=")]) == (8.5, "%")


def test_cells_and_names():
    assert cell_text(3.0) == "3" and cell_text(dt.datetime(2024, 6, 30, 0, 0)) == "2024-06-30"
    assert norm(" 区商务局。") == "区商务局" and norm("ＡＢＣ") == "ABC"
    assert is_cleared("／") and not is_cleared("区商务局")
    assert split_departments("区商务局、区发改局；区财政局") == ["区商务局", "区发改局", "区财政局"]
    assert strip_role_note("区商务局（牵头）") == "区商务局"
    assert title_from("引进新能源项目5个，总投资20亿元。") == "引进新能源项目5个"


def test_header_rows_and_list_kinds():
    found = match_headers(["序号", "所属行动", "工作任务", "责任单位*", "完成时限（必填）"])
    assert {f: c for f, (c, _h) in found.items()} == {"seq": 0, "action": 1, "content": 2, "lead": 3, "deadline": 4}
    assert is_header(found) and not is_header(match_headers(["工作任务", "备注"]))
    assert sheet_kind("2024年政策清单") == "policy" and sheet_kind("Sheet1") is None
    assert kind_of("项目") == "project" and kind_of(" Task ") == "task" and kind_of("其他") is None


@dataclass
class _Action:
    index: int
    title: str

    def __str__(self) -> str:
        return f"（{self.index}）{self.title}"


ACTIONS = [_Action(1, "大力实施产业培塑行动"), _Action(2, "大力实施科技创新行动"), _Action(12, "深入实施城市更新行动")]


@pytest.mark.parametrize(("text", "index"), [
    ("（1）大力实施产业培塑行动", 1), ("大力实施科技创新行动", 2), ("行动一", 1), ("（二）", 2), ("2", 2),
    ("第十二项行动", 12), ("产业培塑行动", 1), ("（一）产业培塑行动", 1),
])
def test_an_action_is_found_by_name_number_or_core(text, index):
    action, suggestions = find_action(text, ACTIONS)
    assert action is not None and action.index == index and suggestions == []


def test_an_unknown_action_gets_suggestions():
    assert find_action("（二）产业培塑行动", ACTIONS)[0] is None  # number and name disagree
    action, suggestions = find_action("科技创新", ACTIONS)
    assert action is ACTIONS[1]
    action, suggestions = find_action("大力实施产业培育行动", ACTIONS)
    assert action is None and suggestions[0] == "（1）大力实施产业培塑行动"
    assert suggest("区商务", ["区商务局", "区财政局"])[0] == "区商务局"
