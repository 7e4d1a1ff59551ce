"""The report-kind registry: who may request, options, schedule, numbers; every entry complete."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from workflows.case_workflow import Actor, Role
from workflows.organisation import derive, from_mapping
from workflows.periods import PeriodKind
from workflows.report_kinds import (
    KINDS,
    SCHEDULED,
    OptionError,
    Subject,
    clean_options,
    may_request,
)

ROOT = Path(__file__).resolve().parents[2]


def actor(*roles: Role) -> Actor:
    return Actor(user_id=1, roles=frozenset(roles))


@pytest.mark.parametrize(("roles", "allowed"), [
    ((Role.OFFICE,), {"inspection", "dekad", "monthly", "work-report", "quarterly", "notice", "dossier"}),
    ((Role.ADMIN,), {"inspection", "dekad", "monthly", "work-report", "quarterly", "dossier"}),
    ((Role.LEADER,), {"dekad", "monthly", "work-report", "quarterly", "dossier"}),
    ((Role.TASK_FORCE_LEAD,), {"dekad", "monthly", "work-report", "quarterly", "notice", "dossier"}),
    ((Role.CASEWORKER,), {"dossier"}),
    ((), set()),
])
def test_who_may_request_each_kind(roles, allowed):
    assert {k for k in KINDS if may_request(actor(*roles), k)} == allowed
    assert not may_request(actor(*roles), "no-such-kind")


def test_beat_generates_the_dekad_month_and_quarter_reports():
    assert SCHEDULED == (("dekad", PeriodKind.DEKAD), ("monthly", PeriodKind.MONTH),
                         ("work-report", PeriodKind.MONTH), ("quarterly", PeriodKind.QUARTER))


def test_options_follow_each_kinds_schema():
    assert clean_options("inspection", {"remarks": " 请整改\r\n ", "requirement": "x", "red_header": "on"}) == {
        "remarks": "请整改", "red_header": True}
    assert clean_options("notice", {"remarks": "x", "requirement": "三日内报送", "red_header": False}) == {
        "requirement": "三日内报送", "red_header": False}
    assert clean_options("dossier", None) == {}
    with pytest.raises(OptionError) as caught:
        clean_options("notice", {"requirement": "字" * 1001})
    assert caught.value.reason == "too_long" and caught.value.max_length == 1000
    with pytest.raises(OptionError):
        clean_options("inspection", {"remarks": 5})
    with pytest.raises(OptionError):
        clean_options("inspection", ["remarks"])
    assert KINDS["dossier"].default("red_header") is False and KINDS["notice"].default("red_header") is True


@pytest.mark.parametrize("code", list(KINDS))
def test_every_entry_names_a_template_and_a_builder_that_exist(code):
    kind = KINDS[code]
    assert (ROOT / "templates" / kind.template).is_file()
    module, _sep, name = kind.builder.partition(":")
    assert (ROOT / Path(*module.split("."))).with_suffix(".py").is_file()
    source = (ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")
    assert f"def {name}(" in source
    assert (kind.subject == Subject.PERIOD) == bool(kind.period_kinds)
    assert kind.schedule is None or kind.schedule in kind.period_kinds
    assert kind.default_prefix


def test_the_builders_resolve():
    for kind in KINDS.values():
        module, _sep, name = kind.builder.partition(":")
        assert callable(getattr(importlib.import_module(module), name))


def test_an_organisation_is_derived_from_the_issuer_when_the_plan_gives_none():
    org = derive("怀化市鹤城区人民政府", "怀化市鹤城区实施“八大行动”总体方案")
    assert (org.district, org.government, org.office.name, org.office.masthead) == (
        "鹤城区", "鹤城区人民政府", "鹤城区人民政府督查室", "鹤城区人民政府督查室")
    assert org.task_force_office.name == "鹤城区“八大行动”总专班办公室"
    assert org.circulation == "各专班，区直各单位，各乡镇（街道）" and org.office.short_name == "区政府督查室"
    assert org.prefix("inspection", KINDS["inspection"].default_prefix) == "鹤督查"
    county = derive("某某市青山县人民政府", "青山县实施“五大工程”方案")
    assert county.district == "青山县" and county.copy_to.startswith("县委办公室")


def test_the_plans_block_wins_over_what_is_derived():
    org = from_mapping({"office": {"name": "甲区督查室", "masthead": "甲区督查室文件"},
                        "number_prefixes": {"inspection": "甲督"}},
                       issuer="某市甲区人民政府", title="甲区实施“两大行动”总体方案")
    assert org.office.name == "甲区督查室" and org.office.masthead == "甲区督查室文件"
    assert org.task_force_office.name == "甲区“两大行动”总专班办公室"  # derived: not in the block
    assert org.prefix("inspection", "督查") == "甲督" and org.prefix("notice", "督办") == "甲督办"


def test_a_bad_organisation_block_names_the_key():
    from workflows.organisation import BlockError, parse_block

    assert parse_block(None, KINDS) is None
    assert parse_block({"office": "甲区督查室", "number_prefixes": {"dekad": "甲简"}}, KINDS) == {
        "office": {"name": "甲区督查室", "masthead": "", "short_name": ""}, "number_prefixes": {"dekad": "甲简"}}
    for block, where in [({"ofice": "x"}, "organisation.ofice"),
                         ({"number_prefixes": {"weekly": "甲周"}}, "organisation.number_prefixes.weekly"),
                         ({"office": {"masthead": "x"}}, "organisation.office.name"),
                         ({"district": "区" * 201}, "organisation.district")]:
        with pytest.raises(BlockError) as caught:
            parse_block(block, KINDS)
        assert caught.value.key_path == where
