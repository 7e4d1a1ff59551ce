"""The plan as data: loading, idempotence, completeness against the annotation, bad files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, Department, Goal, Indicator, Plan

ANNOTATION = Path(__file__).resolve().parents[1] / "data" / "seed-annotated.txt"
SPAN = re.compile(r"【([^】]+)】")
NUMBER_UNIT = re.compile(r"^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?(.*)$")


def annotated_targets() -> list[tuple[str, str]]:
    """(value, unit) of every target marked in the annotated seed."""
    text = "\n".join(
        line for line in ANNOTATION.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    )
    targets = []
    for span in SPAN.findall(text):
        match = NUMBER_UNIT.match(span)
        assert match, f"annotated span {span!r} is not number + unit"
        targets.append((match.group(1), match.group(3)))
    return targets


def all_indicators(dump: dict) -> list[dict]:
    found = [i for g in dump["goals"] for i in g["indicators"]]
    for action in dump["actions"]:
        found += action["indicators"]
        for case in action["cases"]:
            found += case["indicators"]
    return found


def dump_json(app) -> dict:
    result = app.test_cli_runner().invoke(args=["plan", "dump", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def table_counts() -> dict:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Plan, Goal, Case, Indicator, Department)
    }


def test_dump_holds_every_goal_action_target_and_task(app, seed_text):
    dump = dump_json(app)
    assert dump["title"] == "怀化市鹤城区实施“八大行动”总体方案" and dump["year"] == 2024
    assert [g["index"] for g in dump["goals"]] == list(range(1, 9))
    assert [a["index"] for a in dump["actions"]] == list(range(1, 9))
    assert dump["goals"][0]["title"] == "产业培育加力提速"
    assert dump["actions"][0]["title"] == "大力实施产业培塑行动"

    cases = [c for a in dump["actions"] for c in a["cases"]]
    assert len(cases) >= 50
    for case in cases:
        assert case["text"] in seed_text, case["title"]
        assert case["list_kind"] in {"task", "policy", "project"}
        assert case["deadline"] == "2024-12-31"

    indicators = all_indicators(dump)
    for ind in indicators:
        assert set(ind) >= {"name", "value", "unit", "comparator", "quote"}
        assert ind["quote"] in seed_text, ind
        assert ind["comparator"] in {"≥", "≤", "="}

    # Every target marked in our own annotation of the text is in the database,
    # value and unit exactly as written; one span may feed several indicators.
    remaining = [(str(i["value"]), i["unit"]) for i in indicators]
    targets = annotated_targets()
    for target in targets:
        assert target in remaining, f"target {target} of the text is missing"
        remaining.remove(target)
    header = ANNOTATION.read_text(encoding="utf-8").splitlines()[1]
    shared = int(re.search(r"feeds (\d+) indicators", header).group(1)) - 1
    assert len(indicators) == len(targets) + shared
    assert [r for r in remaining if r != ("15", "%")] == []


def test_values_and_units_as_written(app):
    indicators = all_indicators(dump_json(app))
    by_quote = {i["quote"]: i for i in indicators}
    assert by_quote["实有经营主体达到7.15万户以上"]["value"] == 7.15
    assert by_quote["实有经营主体达到7.15万户以上"]["unit"] == "万户"
    assert by_quote["实有经营主体达到7.15万户以上"]["comparator"] == "≥"
    knowledge = next(i for i in indicators if i["unit"] == "千万元")
    assert knowledge["value"] == 8
    ranged = next(i for i in indicators if "value_max" in i)
    assert (ranged["value"], ranged["value_max"], ranged["unit"]) == (1, 2, "个")


def test_loading_the_same_file_twice_changes_nothing(app, fresh_db):
    before = dump_json(app)
    with app.app_context():
        counts = table_counts()
        stamps = dict(db.session.execute(select(Case.id, Case.updated_at)).all())
    result = app.test_cli_runner().invoke(args=["plan", "load"])
    assert result.exit_code == 0, result.output
    assert "新增 0 条，更新 0 条" in result.output
    assert dump_json(app) == before
    with app.app_context():
        assert table_counts() == counts
        assert dict(db.session.execute(select(Case.id, Case.updated_at)).all()) == stamps


BAD_FILES = {
    "missing-title": (
        "year: 2024\ngoals: []\nactions: []\n",
        ["title", "缺少必填项"],
    ),
    "unknown-department": (
        "title: 测试方案\nyear: 2024\ngoals: []\nactions:\n  - index: 1\n    title: 行动一\n"
        "    cases:\n      - title: 任务\n        lead_departments: [不存在的局]\n",
        ["第8行", "lead_departments", "未知单位“不存在的局”"],
    ),
    "bad-date": (
        "title: 测试方案\nyear: 2024\ngoals: []\nactions:\n  - index: 1\n    title: 行动一\n"
        "    cases:\n      - title: 任务\n        deadline: 2024-13-01\n",
        ["第8行", "actions[0].cases[0].deadline", "日期无效"],
    ),
    "yaml-syntax": ("title: [unclosed\nyear: 2024\n", ["YAML 格式错误"]),
    "duplicate-index": (
        "title: 测试方案\nyear: 2024\ngoals:\n  - {index: 1, title: 甲}\n  - {index: 1, title: 乙}\nactions: []\n",
        ["goals", "序号1重复"],
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_plan_file_names_the_problem_and_writes_nothing(app, fresh_db, tmp_path, name):
    content, expected = BAD_FILES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(content, encoding="utf-8")
    with app.app_context():
        counts = table_counts()
    result = app.test_cli_runner().invoke(args=["plan", "load", str(path)])
    assert result.exit_code == 1
    for fragment in expected:
        assert fragment in result.output, result.output
    with app.app_context():
        assert table_counts() == counts


def test_a_late_error_leaves_no_half_written_plan(app, fresh_db, tmp_path):
    """A file valid up to its last case writes nothing when that case is bad."""
    path = tmp_path / "late.yaml"
    path.write_text(
        "title: 新方案\nyear: 2025\ndepartments:\n  - {name: 新设局, kind: district_department}\n"
        "goals:\n  - {index: 1, title: 目标一}\nactions:\n  - index: 1\n    title: 行动一\n"
        "    cases:\n      - {title: 好任务, lead_departments: [新设局]}\n"
        "      - {title: 坏任务, list_kind: wishlist}\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["plan", "load", str(path)])
    assert result.exit_code == 1 and "list_kind" in result.output
    with app.app_context():
        assert db.session.scalar(select(Plan).where(Plan.year == 2025)) is None
        assert db.session.scalar(select(Department).where(Department.name == "新设局")) is None
