"""workflows.permissions: every "may this actor" question, and the queues read off the rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workflows import permissions
from workflows.case_workflow import (
    ON_ENTER,
    QUEUE_STEPS,
    TRANSITIONS,
    CaseClosed,
    ExtensionNotPossible,
    NotAllowed,
    available_transitions,
    in_queue,
    queue_grants,
)
from workflows.vocabulary import ANONYMOUS, SYSTEM, Actor, CaseFacts, Relation, Role, State

ROOT = Path(__file__).resolve().parents[2]
LEAD, PARTNER, ACTION = 10, 20, 1
WORKER = Actor(1, frozenset({Role.CASEWORKER}), frozenset({LEAD}))
PARTNER_WORKER = Actor(2, frozenset({Role.CASEWORKER}), frozenset({PARTNER}))
TF_LEAD = Actor(3, frozenset({Role.TASK_FORCE_LEAD}), led_action_ids=frozenset({ACTION}))
OFFICE = Actor(4, frozenset({Role.OFFICE}))
LEADER = Actor(5, frozenset({Role.LEADER}))
ADMIN = Actor(6, frozenset({Role.ADMIN}))
EVERYONE = (WORKER, PARTNER_WORKER, TF_LEAD, OFFICE, LEADER, ADMIN, SYSTEM, ANONYMOUS)


def case(state: State) -> CaseFacts:
    return CaseFacts(state, ACTION, LEAD, frozenset({PARTNER}))


def test_access_and_case_workflow_do_not_import_each_other():
    for module, other in (("access", "case_workflow"), ("case_workflow", "access")):
        tree = ast.parse((ROOT / "workflows" / f"{module}.py").read_text(encoding="utf-8"))
        imported = {
            node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        } | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert f"workflows.{other}" not in imported, module
        assert "workflows.permissions" not in imported, module


@pytest.mark.parametrize("state", list(State))
def test_case_acts_by_relation_and_state(state):
    facts = case(state)
    open_ = state != State.CLOSED
    assert permissions.can_update_progress(facts, WORKER) == open_
    assert permissions.can_update_progress(facts, PARTNER_WORKER) == open_
    assert permissions.can_urge(facts, OFFICE) == open_
    assert permissions.can_urge(facts, TF_LEAD) == open_
    assert permissions.can_request_extension(facts, WORKER) == (
        state in (State.ASSIGNED, State.IN_PROGRESS, State.SUBMITTED)
    )
    for nobody in (LEADER, ADMIN, SYSTEM, ANONYMOUS):
        assert not permissions.can_update_progress(facts, nobody)
        assert not permissions.can_urge(facts, nobody)
        assert not permissions.can_request_extension(facts, nobody)
    assert not permissions.can_request_extension(facts, PARTNER_WORKER)
    assert not permissions.can_urge(facts, WORKER)


def test_ensure_says_403_for_no_part_and_409_for_the_state():
    with pytest.raises(NotAllowed) as caught:
        permissions.ensure("urge", case(State.IN_PROGRESS), WORKER)
    assert caught.value.status == 403 and caught.value.params == {"operation": "urge"}
    with pytest.raises(CaseClosed) as closed:
        permissions.ensure("update_progress", case(State.CLOSED), PARTNER_WORKER)
    assert closed.value.status == 409 and closed.value.code == "case_closed"
    with pytest.raises(ExtensionNotPossible) as late:
        permissions.ensure("request_extension", case(State.VERIFIED), WORKER)
    assert late.value.status == 409 and late.value.params == {"state": "verified"}
    with pytest.raises(NotAllowed):
        permissions.ensure("request_extension", case(State.VERIFIED), OFFICE)
    permissions.ensure("urge", case(State.SUBMITTED), TF_LEAD)  # allowed: no error


def test_role_grants():
    assert [a for a in EVERYONE if permissions.can_decide_extension(a)] == [OFFICE]
    assert [a for a in EVERYONE if permissions.can_edit_deadline(a)] == [ADMIN, SYSTEM]
    assert [a for a in EVERYONE if permissions.can_import_lists(a)] == [OFFICE, ADMIN, SYSTEM]
    assert [a for a in EVERYONE if permissions.can_load_plans(a)] == [OFFICE, ADMIN, SYSTEM]
    assert [a for a in EVERYONE if permissions.sees_all(a)] == [OFFICE, LEADER, ADMIN, SYSTEM]
    assert [a for a in EVERYONE if permissions.can_read_only(a)] == [LEADER]
    # Bulk is a user's act: never the system's, never a read-only user's.
    assert [a for a in EVERYONE if permissions.can_bulk(a)] == [
        WORKER, PARTNER_WORKER, TF_LEAD, OFFICE, ADMIN,
    ]
    assert [permissions.start_page(a) for a in (WORKER, TF_LEAD, OFFICE, LEADER, ADMIN)] == [
        "my_cases", "my_cases", "dashboard", "dashboard", "my_cases",
    ]
    both = Actor(7, frozenset({Role.LEADER, Role.CASEWORKER}), frozenset({LEAD}))
    assert not permissions.can_read_only(both)


def test_comment_needs_visibility_and_a_writing_role():
    facts = case(State.IN_PROGRESS)
    assert permissions.can_comment(facts, WORKER) and permissions.can_comment(facts, ADMIN)
    assert not permissions.can_comment(facts, LEADER)
    stranger = Actor(8, frozenset({Role.CASEWORKER}), frozenset({99}))
    assert not permissions.can_comment(facts, stranger) and not permissions.can_comment(facts, ANONYMOUS)


def test_system_and_anonymous_are_explicit():
    assert SYSTEM.is_system and not ANONYMOUS.is_system and not ADMIN.is_system
    assert not any(available_transitions(case(s), SYSTEM) for s in State)


# --- queues read off the rules ----------------------------------------------------------------


def test_queue_grants_are_the_rules_sources_and_who():
    assert queue_grants("to_accept") == ((frozenset({State.ASSIGNED}), frozenset({Relation.LEAD_CASEWORKER})),)
    assert queue_grants("in_progress") == ((frozenset({State.IN_PROGRESS}), frozenset({Relation.LEAD_CASEWORKER})),)
    assert queue_grants("to_verify") == ((frozenset({State.SUBMITTED}), frozenset({Relation.TASK_FORCE_LEAD})),)
    assert queue_grants("to_close") == ((frozenset({State.VERIFIED}), frozenset({Relation.OFFICE})),)
    for name, steps in QUEUE_STEPS.items():
        for states, who in queue_grants(name):
            for state in states:
                assert any(who <= TRANSITIONS[t].who_from(state) for t in steps), name


@pytest.mark.parametrize("state", list(State))
def test_a_case_is_in_a_queue_exactly_when_its_step_is_available(state):
    facts = case(state)
    for actor in EVERYONE:
        mine = set(available_transitions(facts, actor))
        for name, steps in QUEUE_STEPS.items():
            last = "return" if name == "returned" else None
            assert in_queue(name, facts, actor, last) == bool(mine & set(steps)), (name, actor)
    assert not in_queue("returned", case(State.IN_PROGRESS), WORKER, "accept")


# --- side effects as data -------------------------------------------------------------------


def test_transition_side_effects_are_data_on_the_rules():
    assert TRANSITIONS["accept"].effects.take_assignee
    assert not any(r.effects.take_assignee for n, r in TRANSITIONS.items() if n != "accept")
    assert {"assignee_id", "owner_id"} <= set(TRANSITIONS["reassign"].effects.clear)
    assert "assigned_at" in TRANSITIONS["reassign"].effects.stamp
    for name, column in (("submit", "submitted_at"), ("verify", "verified_at"), ("close", "closed_at")):
        assert column in TRANSITIONS[name].effects.stamp
    for name in ("return", "reopen"):
        assert set(TRANSITIONS[name].effects.clear) == {"submitted_at", "verified_at", "closed_at"}
    for rule in TRANSITIONS.values():
        assert "state_changed_at" in rule.effects.stamp
        assert set(ON_ENTER[rule.target].stamp) <= set(rule.effects.stamp)


def test_who_reports_a_targets_actual_value():
    def may(actor, qualitative=False, unit=LEAD):
        return permissions.can_report_target(
            actor, qualitative=qualitative, responsible_department_id=unit
        )

    assert may(OFFICE) and may(OFFICE, qualitative=True) and may(OFFICE, unit=None)
    assert may(WORKER) and not may(WORKER, qualitative=True) and not may(WORKER, unit=PARTNER)
    assert not may(WORKER, unit=None)
    for nobody in (TF_LEAD, LEADER, ADMIN, SYSTEM, ANONYMOUS):
        assert not may(nobody)


def test_report_requests_are_asked_of_the_report_kind_registry():
    from workflows.report_kinds import KINDS, may_request

    for kind in KINDS:
        for actor in EVERYONE:
            assert permissions.can_request_report(actor, kind) == may_request(actor, kind)
    assert permissions.can_request_report(OFFICE, "inspection")
    assert not permissions.can_request_report(WORKER, "inspection")
