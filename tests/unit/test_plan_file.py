"""Checks of the plan file app/data/plans/hecheng-eight-actions-2024.yaml against the seed.

Pure Python (yaml + pathlib): no Flask, no database.

The seed text lives outside the repository, in ../shared/seeds/ relative to the repo root;
if it is elsewhere, point DUBAN_SEED at it. tests/data/seed-annotated.txt is an independent
annotation of the seed in which every quantitative target is wrapped in 【…】; the tests
reconcile it with the indicators of the plan file, position by position.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PLAN_FILE = REPO / "app/data/plans/hecheng-eight-actions-2024.yaml"
ANNOTATED_FILE = REPO / "tests/data/seed-annotated.txt"
SEED_NAME = "hecheng-eight-actions-2024.txt"

CN_NUM = "一二三四五六七八"
COMPARATORS = {"≥", "≤", "="}
LIST_KINDS = {"task", "policy", "project"}
BASES = {"named", "implied", "none"}
DEPT_KINDS = {"district_department", "office", "township", "task_force"}
MARK_RE = re.compile(r"【([^【】]*)】")


# --------------------------------------------------------------------------- loading


def _seed_path() -> Path:
    candidate = Path(__file__).resolve().parents[3] / "shared/seeds" / SEED_NAME
    if candidate.is_file():
        return candidate
    env = os.environ.get("DUBAN_SEED")
    if env and Path(env).is_file():
        return Path(env)
    pytest.fail(f"seed text not found at {candidate} and DUBAN_SEED is not set to a file")


@cache
def seed() -> str:
    return _seed_path().read_text(encoding="utf-8")


@cache
def plan() -> dict:
    with PLAN_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def annotation() -> tuple[list[str], str]:
    """(header comment lines, annotated body)."""
    text = ANNOTATED_FILE.read_text(encoding="utf-8")
    lines = text.split("\n")
    n = 0
    while n < len(lines) and lines[n].startswith("#"):
        n += 1
    return lines[:n], "\n".join(lines[n:])


@cache
def spans() -> list[tuple[int, int, str]]:
    """Marked spans as (start, end, text) offsets in the de-marked text."""
    _, body = annotation()
    out, removed = [], 0
    for m in MARK_RE.finditer(body):
        start = m.start() - removed
        out.append((start, start + len(m.group(1)), m.group(1)))
        removed += 2
    return out


def part_bounds() -> tuple[int, int, int]:
    s = seed()
    return s.index("一、主要目标"), s.index("二、重点任务"), s.index("三、组织实施")


def fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v}"


def target_text(ind: dict) -> str:
    """The number+unit as it must be written in the seed, e.g. '7.15万户', '1-2个'."""
    if "value_max" in ind:
        return f"{fmt(ind['value'])}-{fmt(ind['value_max'])}{ind['unit']}"
    return f"{fmt(ind['value'])}{ind['unit']}"


@cache
def located_indicators() -> list[dict]:
    """Every indicator with the seed region of its owner (goal paragraph or case text)."""
    s = seed()
    out = []
    for g in plan()["goals"]:
        para = "——" + g["title"] + "。" + g["text"]
        start = s.index(para)
        region = (start, start + len(para))
        for ind in g["indicators"]:
            out.append({"ind": ind, "owner": f"goal {g['index']}", "region": region})
    for a in plan()["actions"]:
        a_start = s.index(a["text"])
        for ind in a.get("indicators") or []:
            out.append(
                {
                    "ind": ind,
                    "owner": f"action {a['index']}",
                    "region": (a_start, a_start + len(a["text"])),
                }
            )
        pos = a_start
        for c in a["cases"]:
            c_start = s.index(c["text"], pos)
            for ind in c["indicators"]:
                out.append(
                    {
                        "ind": ind,
                        "owner": f"action {a['index']} case {c['title']}",
                        "region": (c_start, c_start + len(c["text"])),
                    }
                )
            pos = c_start
    return out


def quote_occurrences(quote: str, region: tuple[int, int]) -> list[tuple[int, int]]:
    s, (lo, hi) = seed(), region
    found, i = [], s.find(quote, lo)
    while i != -1 and i + len(quote) <= hi:
        found.append((i, i + len(quote)))
        i = s.find(quote, i + 1)
    return found


def all_cases():
    for a in plan()["actions"]:
        for c in a["cases"]:
            yield a, c


# --------------------------------------------------------------------------- plan basics


def test_plan_header():
    p = plan()
    assert p["title"] == "怀化市鹤城区实施“八大行动”总体方案"
    assert p["title"] == seed().split("\n", 1)[0]
    assert p["year"] == 2024
    assert p["issuer"] == "怀化市鹤城区人民政府"
    assert p["default_deadline"] == dt.date(2024, 12, 31)


def test_eight_goals_cover_part_one_verbatim():
    goals = plan()["goals"]
    assert [g["index"] for g in goals] == list(range(1, 9))
    s = seed()
    p1, p2, _ = part_bounds()
    seed_paras = [p for p in s[p1:p2].split("\n\n") if p.startswith("——")]
    assert len(seed_paras) == 8
    for g, para in zip(goals, seed_paras, strict=True):
        assert "。" not in g["title"]
        assert "——" + g["title"] + "。" + g["text"] == para, f"goal {g['index']}"


def test_eight_actions_with_headings_and_verbatim_text():
    actions = plan()["actions"]
    assert [a["index"] for a in actions] == list(range(1, 9))
    s = seed()
    for a in actions:
        heading = f"({CN_NUM[a['index'] - 1]}){a['title']},{a['subtitle']}。"
        h = s.index(heading, part_bounds()[1])
        after = h + len(heading)
        body_at = after + 2 if s.startswith("\n\n", after) else after
        assert s.startswith(a["text"], body_at), f"action {a['index']} text must follow its heading"
        end = body_at + len(a["text"])
        assert end == len(s) or s.startswith("\n\n", end), f"action {a['index']} text is not whole"


# --------------------------------------------------------------------------- cases


def test_case_count():
    counts = {a["index"]: len(a["cases"]) for a in plan()["actions"]}
    assert sum(counts.values()) >= 50, counts
    assert all(n >= 3 for n in counts.values()), counts


def test_case_texts_are_verbatim_and_in_order():
    s = seed()
    for a in plan()["actions"]:
        pos = s.index(a["text"])
        for c in a["cases"]:
            assert c["text"] in a["text"], f"not verbatim in action {a['index']}: {c['text']}"
            i = s.find(c["text"], pos)
            assert i != -1, f"case out of order in action {a['index']}: {c['title']}"
            pos = i


def test_case_fields():
    for a, c in all_cases():
        where = f"action {a['index']} / {c['title']}"
        assert 0 < len(c["title"]) <= 30, where
        assert c["list_kind"] in LIST_KINDS, where
        assert c["lead_basis"] in BASES, where
        assert isinstance(c["lead_departments"], list), where
        assert (c["lead_basis"] == "none") == (not c["lead_departments"]), where
        assert isinstance(c["partner_departments"], list), where
        assert not set(c["lead_departments"]) & set(c["partner_departments"]), where
        assert isinstance(c["deadline"], dt.date) and c["deadline"].year == 2024, where
        for m in c["milestones"]:
            assert m["title"] and isinstance(m["due"], dt.date) and m["due"] <= c["deadline"], where
        assert isinstance(c["indicators"], list), where


def test_case_titles_unique_within_action():
    for a in plan()["actions"]:
        titles = [c["title"] for c in a["cases"]]
        assert len(titles) == len(set(titles)), a["index"]


def test_named_units_appear_in_text():
    """'named' is used only where the seed names the unit (by its name or the entity it runs)."""
    names = dept_index()
    for _action, c in all_cases():
        if c["lead_basis"] == "named":
            for ref in c["lead_departments"]:
                d = names[ref]
                stem = d["name"].removesuffix("管理委员会").removeprefix("区")
                assert stem in c["text"], f"{c['title']}: {ref} is not named in the text"
        for ref in c["partner_departments"]:
            d = names[ref]
            assert d["name"] in c["text"] or (d.get("short_name") or "") in c["text"], ref


def test_part_two_targets_belong_to_cases():
    n_action_level = sum(len(a.get("indicators") or []) for a in plan()["actions"])
    assert n_action_level <= 2


# --------------------------------------------------------------------------- indicators


def test_indicator_fields_and_quotes():
    for li in located_indicators():
        ind, where = li["ind"], li["owner"]
        assert ind["name"], where
        assert isinstance(ind["value"], (int, float)) and not isinstance(ind["value"], bool), where
        assert isinstance(ind["unit"], str) and ind["unit"], where
        assert ind["comparator"] in COMPARATORS, where
        if "value_max" in ind:
            assert ind["value_max"] > ind["value"], where
        q = ind["quote"]
        assert q in seed(), f"{where}: quote not verbatim: {q}"
        assert quote_occurrences(q, li["region"]), f"{where}: quote not inside its owner: {q}"
        assert target_text(ind) in q, f"{where}: {target_text(ind)} not written in quote {q}"


def test_comparators_follow_the_wording():
    for li in located_indicators():
        ind = li["ind"]
        q, t = ind["quote"], target_text(ind)
        before, after = q[: q.index(t)], q[q.index(t) + len(t) :]
        if after.startswith("以上") or before.endswith(("超过", "突破", "不低于")):
            expected = "≥"
        elif after.startswith(("以内", "以下")) or before.endswith("不超过"):
            expected = "≤"
        else:
            expected = "="
        assert ind["comparator"] == expected, f"{li['owner']}: {q}"


def test_indicator_counts():
    goals_n = sum(len(g["indicators"]) for g in plan()["goals"])
    cases_n = sum(len(c["indicators"]) for _, c in all_cases())
    assert goals_n >= 15
    assert goals_n + cases_n >= 55


# --------------------------------------------------------------------------- annotation


def test_annotation_strips_to_seed():
    _, body = annotation()
    assert MARK_RE.sub(r"\1", body) == seed()
    # no stray or nested markers
    assert MARK_RE.sub("", body).count("【") == 0
    assert MARK_RE.sub("", body).count("】") == 0


def test_annotation_header_counts_spans():
    header, _ = annotation()
    assert header, "annotation needs a '#' header"
    m = re.search(r"\d+", header[0])
    assert m and int(m.group()) == len(spans())
    assert not any("【" in line for line in header)


def test_spans_are_minimal_number_unit_in_parts_one_and_two():
    p1, _, p3 = part_bounds()
    for start, end, text in spans():
        assert p1 < start and end < p3, text
        assert re.fullmatch(r"[0-9一二三四五六七八九十两]+(\.[0-9]+)?(-[0-9]+)?[^0-9\s]+", text), (
            text
        )


def covers(li: dict, start: int, end: int) -> bool:
    """Some occurrence of the indicator's quote inside its owner's region contains [start, end)."""
    occurrences = quote_occurrences(li["ind"]["quote"], li["region"])
    return any(a <= start and end <= b for a, b in occurrences)


def test_every_span_is_an_indicator_at_that_position():
    for start, end, text in spans():
        hits = [
            li
            for li in located_indicators()
            if target_text(li["ind"]) == text and covers(li, start, end)
        ]
        context = seed()[max(0, start - 15) : end + 5]
        assert hits, f"marked {text} at {start} ({context}) has no indicator"


def test_every_indicator_quote_contains_its_span():
    marked = spans()
    for li in located_indicators():
        t = target_text(li["ind"])
        ok = any(text == t and covers(li, start, end) for start, end, text in marked)
        assert ok, f"{li['owner']}: {li['ind']['quote']} holds no marked {t}"


def test_indicators_map_onto_spans_one_to_one_except_shared_phrases():
    """Each indicator belongs to exactly one span; a span feeding several indicators is one
    phrase with one quote (e.g. '…均增长15%以上')."""
    per_span: dict[tuple[int, int], list[dict]] = {}
    for li in located_indicators():
        t = target_text(li["ind"])
        owners = [
            (start, end) for start, end, text in spans() if text == t and covers(li, start, end)
        ]
        assert len(owners) == 1, f"{li['owner']}: {li['ind']['quote']} matches spans {owners}"
        per_span.setdefault(owners[0], []).append(li["ind"])
    assert len(per_span) == len(spans())
    for inds in per_span.values():
        if len(inds) > 1:
            assert len({i["quote"] for i in inds}) == 1
            assert len({i["name"] for i in inds}) == len(inds)


# Numbers written with a unit in parts 一 and 二 that are deliberately not targets.
NOT_TARGETS = {
    "“4×4”",  # name of the provincial industry system
    "“三类500强”",  # name of a list of enterprises
    "“15分钟”",
    "“30分钟”",  # names of the fitness-circle standard
    "4条国际物流大通道",  # counts the four named corridors, which already exist
}


def test_no_number_with_unit_left_unmarked():
    """Independent completeness check: every Arabic number followed by a unit in parts 一
    and 二 is either marked or explicitly excluded (years and names are not targets)."""
    s = seed()
    p1, _, p3 = part_bounds()
    marked = [(a, b) for a, b, _ in spans()]
    unit = r"(%|个|家|人次|万人|人|万户|亿元|千万元|万元|平方公里|条|所|项|座|分钟|强|亩|公里)"
    for m in re.finditer(r"[0-9]+(\.[0-9]+)?(-[0-9]+)?" + unit, s[p1:p3]):
        a, b = p1 + m.start(), p1 + m.end()
        if any(x <= a and b <= y for x, y in marked):
            continue
        context = s[a - 3 : b + 10]
        assert any(nt in context or s[a - 1 : b + 1] in nt for nt in NOT_TARGETS), (
            f"unmarked number {m.group()} in …{s[a - 15 : b + 10]}…"
        )


# --------------------------------------------------------------------------- departments


@cache
def dept_index() -> dict[str, dict]:
    index: dict[str, dict] = {}
    for d in plan()["departments"]:
        for key in {d["name"], d.get("short_name") or d["name"]}:
            assert key not in index, f"department name or short name not unique: {key}"
            index[key] = d
    return index


def test_departments_well_formed():
    index = dept_index()
    depts = plan()["departments"]
    for d in depts:
        assert d["kind"] in DEPT_KINDS, d
        assert ("action" in d) == (d["kind"] == "task_force" and d["name"] != "“八大行动”总专班"), d
    task_forces = [d for d in depts if d["kind"] == "task_force"]
    assert len(task_forces) == 9
    assert sorted(d["action"] for d in task_forces if "action" in d) == list(range(1, 9))
    for a in plan()["actions"]:
        tf = next(d for d in task_forces if d.get("action") == a["index"])
        assert tf["name"] == a["title"].removeprefix("大力实施") + "专班"
    assert index["区政府办"]["kind"] == "office"
    assert index["区政府督查室"]["kind"] == "office"
    townships = {d["name"] for d in depts if d["kind"] == "township"}
    assert {"黄金坳镇", "凉亭坳乡"} <= townships
    assert all(n.endswith(("街道", "镇", "乡")) for n in townships)


def test_every_department_reference_resolves():
    index = dept_index()
    for a in plan()["actions"]:
        if a["lead_department"] is None:
            assert a["lead_basis"] == "none"
        else:
            assert a["lead_basis"] in {"named", "implied"}
            assert index[a["lead_department"]]["kind"] == "district_department"
        for c in a["cases"]:
            for ref in c["lead_departments"] + c["partner_departments"]:
                assert ref in index, f"{c['title']}: unknown department {ref}"
                assert index[ref]["kind"] != "task_force"


def test_demo_caseworker_departments():
    """worker1's department leads >= 4 cases of action 1; some other district department leads
    none of them (worker2)."""
    index = dept_index()
    action1 = plan()["actions"][0]
    leads = Counter(index[ref]["name"] for c in action1["cases"] for ref in c["lead_departments"])
    busy = [name for name, n in leads.items() if n >= 4]
    assert {"区工业和信息化局", "区商务局"} & set(busy), leads
    idle = [
        d["name"]
        for d in plan()["departments"]
        if d["kind"] == "district_department" and d["name"] not in leads
    ]
    assert idle
