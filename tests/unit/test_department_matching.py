"""Issue 13: unit names as plans write them → the installation's departments, with a confidence."""

from __future__ import annotations

import pytest

from workflows.plan_extraction.departments import TRUST, best_match, core, match_department

KNOWN = [
    ("鹤城区发展和改革局", "区发改局"),
    ("鹤城区住房和城乡建设局", None),
    ("鹤城区人力资源和社会保障局", None),
    ("鹤城区教育局", None),
    ("鹤城区市场监督管理局", None),
    ("鹤城区文化旅游广电体育局", None),
    ("鹤城区委宣传部", None),
    ("鹤城经济开发区管委会", None),
    ("城北街道办事处", None),
]


@pytest.mark.parametrize(
    ("written", "expected", "how"),
    [
        ("鹤城区教育局", "鹤城区教育局", "exact"),
        ("区发改局", "鹤城区发展和改革局", "exact"),  # the department's own short name
        ("鹤城区教育局（牵头）", "鹤城区教育局", "role words"),
        ("区教育局", "鹤城区教育局", "prefix"),
        ("住房和城乡建设局", "鹤城区住房和城乡建设局", "prefix"),
        ("区住建局", "鹤城区住房和城乡建设局", "abbreviation"),
        ("县人社局", "鹤城区人力资源和社会保障局", "abbreviation"),
        ("区人力资源社会保障局", "鹤城区人力资源和社会保障局", "abbreviation"),
        ("区市场监管局", "鹤城区市场监督管理局", "abbreviation"),
        ("区委宣传部", "鹤城区委宣传部", "prefix"),
        ("发改委", "鹤城区发展和改革局", "abbreviation"),
    ],
)
def test_matches(written, expected, how):
    best = match_department(written, KNOWN)[0]
    assert (best.name, best.how) == (expected, how)
    assert best.confidence >= TRUST
    assert best_match(written, KNOWN).name == expected


def test_similar_names_are_only_suggestions():
    (first, *_) = match_department("区文旅局", KNOWN)  # 文旅局 abbreviates 文化旅游广电体育局
    assert (first.name, first.confidence) == ("鹤城区文化旅游广电体育局", TRUST)
    # 文化旅游局 and 文化旅游广电体育局 are both full forms of 文旅局: only a suggestion
    suggestion = match_department("区文化旅游局", KNOWN)[0]
    assert suggestion.name == "鹤城区文化旅游广电体育局" and suggestion.confidence < TRUST
    assert best_match("区文化旅游局", KNOWN) is None
    similar = match_department("鹤城区教育体育局", KNOWN)[0]
    assert (similar.name, similar.how) == ("鹤城区教育局", "similar") and similar.confidence < TRUST


def test_unknown_and_area_units_do_not_match_wrongly():
    assert match_department("区水利局", KNOWN) == [] or match_department("区水利局", KNOWN)[0].confidence < TRUST
    assert best_match("高新区管委会", KNOWN) is None  # not 经济开发区管委会
    assert best_match("城南街道办事处", KNOWN) is None


def test_core_strips_district_prefixes_only():
    assert core("怀化市鹤城区发展和改革局") == "发展和改革局"
    assert core("区住建局") == "住建局"
    assert core("鹤城经济开发区管委会") == "鹤城经济开发区管委会"
