"""三看三评三比 by the scheme: the computed parts, the office's averaged scores, deductions, ties."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflows.evaluation import (
    DEFAULT_SCHEME,
    EvaluationPeriodInvalid,
    SchemeInvalid,
    ScoreInvalid,
    edited,
    evaluation_period,
    parse_score,
    scheme_from_dict,
)
from workflows.evaluation_scoring import (
    DekadFact,
    Event,
    IndicatorFact,
    OfficeScore,
    TaskFact,
    UnitInput,
    evaluate,
    rank_within,
)

SCHEME = scheme_from_dict(DEFAULT_SCHEME, 1)


def part(result, key):
    return next(p for p in result.parts if p.key == key)


def unit(uid, name, group="district_department", **facts):
    return UnitInput(uid, name, group, **facts)


def test_the_default_scheme_has_three_dimensions_worth_100_points():
    assert [d.name for d in SCHEME.dimensions] == ["三看", "三评", "三比"]
    assert sum(c.weight for _, c in SCHEME.criteria()) == 100
    assert [c.key for c in SCHEME.dimensions[0].criteria if c.computed] == ["goals", "scheduling", "key_tasks"]
    assert all(not c.computed for d in SCHEME.dimensions[1:] for c in d.criteria)
    assert [g.name for g in SCHEME.groups] == ["行动专班", "区直部门", "乡镇（街道）"]


def test_goal_completion_is_the_mean_credit_of_the_units_indicators_lights():
    u = unit(1, "区商务局", indicators=[IndicatorFact(1, "外贸进出口", "green", "实际5亿元"),
                                      IndicatorFact(2, "实际利用外资", "red"), IndicatorFact(3, "新增市场主体", None)])
    [r] = evaluate(SCHEME, [u])
    goals = part(r, "kan.goals")
    # (1 + 0.2 + 0) / 3 of 20 points
    assert goals.score == Decimal("8.00") and goals.computed
    assert [f["indicator_id"] for f in goals.facts] == [1, 2, 3]
    assert "绿灯" in goals.facts[0]["text"] and "未报送" in goals.facts[2]["text"]


def test_key_tasks_count_the_original_deadline_unless_extended_and_progress_against_pace():
    tasks = [
        TaskFact(1, "按时", "on_time", "2024-05-31"),
        TaskFact(2, "超期", "late_done", "2024-05-31"),
        TaskFact(3, "逾期", "overdue", "2024-06-14", overdue_days=11),
        TaskFact(4, "未到期", "not_due", "2024-12-31", percent=25, expected=50),
        TaskFact(5, "延期", "submitted", "2024-07-31", extended=True),
    ]
    [r] = evaluate(SCHEME, [unit(1, "区发改局", tasks=tasks)])
    key = part(r, "kan.key_tasks")
    # (1 + 0.5 + 0 + 0.5 + 1) / 5 × 15
    assert key.score == Decimal("9.00")
    texts = [f["text"] for f in key.facts]
    assert "逾期未完成11个工作日" in texts[2] and "已批准延期" in texts[4] and "序时进度50%" in texts[3]


def test_scheduling_is_the_share_of_dekads_reported_and_names_each_missed_one():
    dekads = [DekadFact(7, "项目A", f"2024-04-D{n}", n != 2) for n in (1, 2, 3)]
    [r] = evaluate(SCHEME, [unit(1, "区住建局", dekads=dekads, tasks=[TaskFact(7, "项目A", "not_due", "2024-12-31")])])
    sched = part(r, "kan.scheduling")
    assert sched.score == Decimal("10.00")  # 2 of 3 × 15
    assert any("2024-04-D2未报送进展" in f["text"] for f in sched.facts)


def test_office_scores_are_averaged_over_scorers_with_their_comments():
    scores = {"ping.results": [OfficeScore("张三", Decimal("8"), "成效明显"), OfficeScore("李四", Decimal("9"))]}
    [r] = evaluate(SCHEME, [unit(1, "区商务局", scores=scores, tasks=[TaskFact(1, "t", "on_time", "2024-05-31")])])
    results = part(r, "ping.results")
    assert results.score == Decimal("8.50") and not results.computed
    assert results.note == "2位评分人平均"
    assert [f["comment"] for f in results.facts] == ["成效明显", ""]
    assert part(r, "bi.drive").note == "尚未评分" and part(r, "bi.drive").score == 0
    assert r.subtotals["ping"] == Decimal("8.50")


def test_deductions_are_capped_and_never_take_look_below_zero():
    events = {"red_light": [Event(i, f"任务{i}") for i in range(30)], "urge": [Event(1, "任务1", "2024-06-20")]}
    [r] = evaluate(SCHEME, [unit(1, "区商务局", events=events, tasks=[TaskFact(1, "t", "overdue", "2024-05-31")])])
    red = part(r, "deduction.red_light")
    assert red.score == Decimal("-10.00") and "以10分为限" in red.note and len(red.facts) == 30
    assert part(r, "deduction.urge").score == Decimal("-0.50")
    assert r.subtotals["kan"] >= 0
    assert r.total == r.subtotals["kan"] + r.subtotals["ping"] + r.subtotals["bi"]


def test_waiting_verification_counts_against_the_task_force_not_the_department():
    events = {"waiting_verification": [Event(3, "待核验")]}
    dept, tf = evaluate(SCHEME, [unit(1, "区商务局", events=events, tasks=[TaskFact(3, "待核验", "submitted", "2024-05-31")]),
                                 unit(2, "产业专班", "task_force", events=events,
                                      tasks=[TaskFact(3, "待核验", "submitted", "2024-05-31")])])[::-1]
    assert "deduction.waiting_verification" not in {p.key for p in dept.parts}
    assert part(tf, "deduction.waiting_verification").score == Decimal("-0.50")


def test_a_criterion_without_facts_takes_the_groups_average_and_says_so():
    a = unit(1, "甲", indicators=[IndicatorFact(1, "x", "green")])
    b = unit(2, "乙", indicators=[IndicatorFact(2, "y", "red")])
    c = unit(3, "丙", tasks=[TaskFact(1, "t", "on_time", "2024-05-31")])
    by_name = {r.unit: r for r in evaluate(SCHEME, [a, b, c])}
    goals = part(by_name["丙"], "kan.goals")
    assert goals.score == Decimal("12.00")  # (20 + 4) / 2
    assert "按本组2个单位平均分计" in goals.note and goals.facts


def test_groups_are_ranked_apart_and_ties_share_a_rank():
    same = [TaskFact(1, "t", "on_time", "2024-05-31")]
    units = [unit(1, "甲", tasks=same), unit(2, "乙", tasks=same), unit(3, "丙", tasks=[TaskFact(2, "t", "overdue", "2024-05-31")]),
             unit(4, "镇一", "township", tasks=same), unit(5, "专班一", "task_force", tasks=same)]
    ranked = evaluate(SCHEME, units)
    assert [(r.group, r.unit, r.rank) for r in ranked] == [
        ("task_force", "专班一", 1), ("district_department", "乙", 1), ("district_department", "甲", 1),
        ("district_department", "丙", 3), ("township", "镇一", 1)]


def test_ranking_compares_totals_to_two_decimals():
    class R:
        def __init__(self, unit, total):
            self.unit, self.total, self.rank = unit, Decimal(total), 0

    rows = [R("a", "80.004"), R("b", "80.001"), R("c", "79.99"), R("d", "81")]
    rank_within(rows)
    assert [(r.unit, r.rank) for r in rows] == [("a", 2), ("b", 2), ("c", 4), ("d", 1)]


def test_the_office_edits_the_scheme_and_bad_edits_are_refused_with_the_reason():
    changed = edited(DEFAULT_SCHEME, {"kan.goals.weight": "25", "ping.results.weight": "5",
                                      "deduction.red_light.points": "2", "name": "2025年评价方案"})
    scheme = scheme_from_dict(changed, 2)
    assert scheme.criterion("kan.goals")[1].weight == 25 and scheme.name == "2025年评价方案"
    assert DEFAULT_SCHEME["dimensions"][0]["criteria"][0]["weight"] == 20  # the default is untouched
    with pytest.raises(SchemeInvalid) as err:
        edited(DEFAULT_SCHEME, {"kan.goals.weight": "30"})
    assert "合计应为100分，现为110分" in err.value.english()
    with pytest.raises(SchemeInvalid):
        edited(DEFAULT_SCHEME, {"kan.goals.weight": "abc"})
    with pytest.raises(SchemeInvalid):
        edited(DEFAULT_SCHEME, {"deduction.urge.cap": "-1"})


def test_scores_and_periods_are_checked():
    _, results = SCHEME.criterion("ping.results")
    assert parse_score("8.25", results) == Decimal("8.2") or parse_score("8.25", results) == Decimal("8.3")
    for bad in ("11", "-1", "abc", "nan"):
        with pytest.raises(ScoreInvalid):
            parse_score(bad, results)
    assert evaluation_period("2024-q3").key == "2024-Q3"
    assert evaluation_period("2024-03").key == "2024-03" and evaluation_period("2024").key == "2024"
    for bad in ("2024-06-D2", "第三季度", "", "2024-13"):
        with pytest.raises(EvaluationPeriodInvalid):
            evaluation_period(bad)


def test_the_office_adds_and_removes_office_scored_criteria_but_not_computed_ones():
    changed = edited(DEFAULT_SCHEME, {"bi.conduct.remove": "1", "bi.new.name": "比创新", "bi.new.weight": "6",
                                      "kan.goals.remove": "1"})
    scheme = scheme_from_dict(changed, 2)
    assert [c.name for c in scheme.dimensions[2].criteria] == ["比干劲", "比业绩", "比创新"]
    assert scheme.criterion("kan.goals")[1].computed  # computed criteria stay
    new_key = scheme.dimensions[2].criteria[-1].key
    # A criterion added after a removal never takes a retired key (old scores do not count for it).
    again = edited(changed, {f"bi.{new_key}.remove": "1", "bi.new.name": "比担当", "bi.new.weight": "6"})
    keys = [c["key"] for c in again["dimensions"][2]["criteria"]]
    assert new_key not in keys and "conduct" not in keys and len(set(keys)) == 3
    with pytest.raises(SchemeInvalid):  # the weights no longer add up to 100
        edited(DEFAULT_SCHEME, {"bi.conduct.remove": "1"})
