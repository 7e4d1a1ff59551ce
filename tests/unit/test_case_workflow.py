"""The case workflow: every (state, transition, actor) combination, inputs, errors, permissions."""

from types import MappingProxyType

import pytest

from workflows.access import can_view
from workflows.case_workflow import (
    TRANSITIONS,
    MissingInput,
    NotAllowed,
    StaleVersion,
    TransitionNotAllowed,
    TransitionNotPossible,
    TransitionRule,
    UnknownTransition,
    WorkflowError,
    available_transitions,
    check_transition,
    required_inputs,
)
from workflows.permissions import (
    can_comment,
    can_decide_extension,
    can_edit_deadline,
    can_request_extension,
    can_update_progress,
    can_urge,
)
from workflows.vocabulary import SYSTEM, Actor, CaseFacts, Need, Relation, Role, State, relations

ACTION, OTHER_ACTION = 1, 2
LEAD_DEPT, PARTNER_DEPT, OTHER_DEPT, NEW_DEPT = 10, 20, 30, 40

ACTORS = {
    "lead_caseworker": Actor(1, frozenset({Role.CASEWORKER}), frozenset({LEAD_DEPT})),
    "partner_caseworker": Actor(2, frozenset({Role.CASEWORKER}), frozenset({PARTNER_DEPT})),
    "other_caseworker": Actor(3, frozenset({Role.CASEWORKER}), frozenset({OTHER_DEPT})),
    "task_force_lead": Actor(
        4, frozenset({Role.TASK_FORCE_LEAD}), led_action_ids=frozenset({ACTION})
    ),
    "other_task_force_lead": Actor(
        5, frozenset({Role.TASK_FORCE_LEAD}), led_action_ids=frozenset({OTHER_ACTION})
    ),
    "office": Actor(6, frozenset({Role.OFFICE})),
    "leader": Actor(7, frozenset({Role.LEADER})),
    "admin": Actor(8, frozenset({Role.ADMIN})),
    # Departments and actions without the matching role grant nothing.
    "no_role": Actor(9, frozenset(), frozenset({LEAD_DEPT}), frozenset({ACTION})),
    "system": SYSTEM,
}

# domain.md's table written out by hand (not derived from TRANSITIONS): who may fire what, from
# which states.
MAY_FIRE = {
    ("accept", "lead_caseworker"): {State.ASSIGNED},
    ("submit", "lead_caseworker"): {State.IN_PROGRESS},
    ("verify", "task_force_lead"): {State.SUBMITTED},
    ("return", "task_force_lead"): {State.SUBMITTED},
    ("return", "office"): {State.VERIFIED},
    ("close", "office"): {State.VERIFIED},
    ("reopen", "office"): {State.CLOSED},
    ("reassign", "office"): {State.ASSIGNED, State.IN_PROGRESS, State.SUBMITTED, State.VERIFIED},
}
TARGET = {
    "accept": State.IN_PROGRESS,
    "submit": State.SUBMITTED,
    "verify": State.VERIFIED,
    "return": State.IN_PROGRESS,
    "close": State.CLOSED,
    "reopen": State.IN_PROGRESS,
    "reassign": State.ASSIGNED,
}
ALL_INPUTS = {"comment": "已完成，附佐证材料", "new_department_id": NEW_DEPT}


def make_case(state=State.IN_PROGRESS, **changes) -> CaseFacts:
    """A case of action 1, led by department 10 with partner 20."""
    facts = {
        "state": state,
        "action_id": ACTION,
        "lead_department_id": LEAD_DEPT,
        "partner_department_ids": frozenset({PARTNER_DEPT}),
    } | changes
    return CaseFacts(**facts)


def test_workflow_table_matches_domain():
    assert list(TRANSITIONS) == list(TARGET)
    assert {name: rule.target for name, rule in TRANSITIONS.items()} == TARGET


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("name", TARGET)
@pytest.mark.parametrize("state", State)
def test_every_state_transition_actor(state, name, who):
    case = make_case(state, requires_evidence=True, has_evidence=True)
    actor = ACTORS[who]
    allowed_from = MAY_FIRE.get((name, who), set())

    if state in allowed_from:
        assert check_transition(case, actor, name, **ALL_INPUTS) == TARGET[name]
    elif allowed_from:
        with pytest.raises(TransitionNotPossible) as caught:
            check_transition(case, actor, name, **ALL_INPUTS)
        assert caught.value.state == state
        assert set(caught.value.required_states) == allowed_from
    else:
        with pytest.raises(TransitionNotAllowed) as caught:
            check_transition(case, actor, name, **ALL_INPUTS)
        assert caught.value.transition == name
    assert (name in available_transitions(case, actor)) == (state in allowed_from)


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("name", ["", "approve", "ACCEPT", "delete", None])
def test_unknown_transition_is_reported_first(who, name):
    with pytest.raises(UnknownTransition) as caught:
        check_transition(make_case(), ACTORS[who], name)
    assert caught.value.code == "unknown_transition"
    assert "accept" in caught.value.params["known"]


@pytest.mark.parametrize(
    ("state", "name", "who", "inputs", "missing"),
    [
        (State.IN_PROGRESS, "submit", "lead_caseworker", {}, {Need.COMMENT}),
        (State.IN_PROGRESS, "submit", "lead_caseworker", {"comment": "  \n"}, {Need.COMMENT}),
        (State.SUBMITTED, "return", "task_force_lead", {}, {Need.REASON}),
        (State.VERIFIED, "return", "office", {"comment": " "}, {Need.REASON}),
        (State.CLOSED, "reopen", "office", {}, {Need.REASON}),
        (State.ASSIGNED, "reassign", "office", {}, {Need.NEW_DEPARTMENT}),
        (State.SUBMITTED, "reassign", "office", {"comment": "改派"}, {Need.NEW_DEPARTMENT}),
    ],
)
def test_missing_input(state, name, who, inputs, missing):
    with pytest.raises(MissingInput) as caught:
        check_transition(make_case(state), ACTORS[who], name, **inputs)
    assert set(caught.value.needs) == missing
    assert caught.value.code == "missing_input"


@pytest.mark.parametrize(
    ("requires", "has", "comment", "missing"),
    [
        (True, False, "进展说明", {Need.EVIDENCE}),
        (True, False, None, {Need.COMMENT, Need.EVIDENCE}),
        (True, True, None, {Need.COMMENT}),
        (True, True, "进展说明", None),
        (False, False, "进展说明", None),
    ],
)
def test_submit_needs_evidence_only_where_required(requires, has, comment, missing):
    case = make_case(State.IN_PROGRESS, requires_evidence=requires, has_evidence=has)
    actor = ACTORS["lead_caseworker"]
    if missing is None:
        assert check_transition(case, actor, "submit", comment=comment) == State.SUBMITTED
    else:
        with pytest.raises(MissingInput) as caught:
            check_transition(case, actor, "submit", comment=comment)
        assert set(caught.value.needs) == missing


def test_reassign_to_the_same_department_is_not_a_new_department():
    with pytest.raises(MissingInput) as caught:
        check_transition(make_case(), ACTORS["office"], "reassign", new_department_id=LEAD_DEPT)
    assert caught.value.needs == (Need.NEW_DEPARTMENT,)
    assert caught.value.same_department


@pytest.mark.parametrize("name", ["accept", "verify", "close"])
def test_transitions_without_needs_ignore_inputs(name):
    assert required_inputs(make_case(), name) == frozenset()


def test_required_inputs_for_the_dialog():
    assert required_inputs(make_case(), "submit") == {Need.COMMENT}
    assert required_inputs(make_case(requires_evidence=True), "submit") == {
        Need.COMMENT,
        Need.EVIDENCE,
    }
    assert required_inputs(make_case(), "return") == {Need.REASON}
    assert required_inputs(make_case(), "reassign") == {Need.NEW_DEPARTMENT}
    with pytest.raises(UnknownTransition):
        required_inputs(make_case(), "approve")


def test_order_relation_before_state_before_inputs():
    # A stranger learns only that they may not, not the state or what input is missing.
    with pytest.raises(TransitionNotAllowed):
        check_transition(make_case(State.CLOSED), ACTORS["other_caseworker"], "submit")
    # The right person at the wrong time learns the state, before being asked for a note.
    with pytest.raises(TransitionNotPossible) as caught:
        check_transition(make_case(State.ASSIGNED), ACTORS["lead_caseworker"], "submit")
    assert caught.value.required_states == (State.IN_PROGRESS,)


@pytest.mark.parametrize(
    ("who", "state", "needs_state"),
    [
        ("task_force_lead", State.VERIFIED, State.SUBMITTED),
        ("office", State.SUBMITTED, State.VERIFIED),
    ],
)
def test_return_is_per_source(who, state, needs_state):
    with pytest.raises(TransitionNotPossible) as caught:
        check_transition(make_case(state), ACTORS[who], "return", comment="材料不全")
    assert caught.value.required_states == (needs_state,)
    assert str(caught.value) == (
        f"Cannot return this case: it is {state}, and return needs it to be {needs_state}."
    )


def test_not_possible_lists_every_source_in_workflow_order():
    with pytest.raises(TransitionNotPossible) as caught:
        check_transition(make_case(State.CLOSED), ACTORS["office"], "reassign", new_department_id=1)
    assert caught.value.required_states == (
        State.ASSIGNED,
        State.IN_PROGRESS,
        State.SUBMITTED,
        State.VERIFIED,
    )
    assert caught.value.as_dict()["params"]["required"] == "assigned or in_progress or submitted or verified"


def test_actor_with_several_relations_gets_the_union():
    lead_and_worker = Actor(
        11,
        frozenset({Role.CASEWORKER, Role.TASK_FORCE_LEAD}),
        frozenset({LEAD_DEPT}),
        frozenset({ACTION}),
    )
    assert available_transitions(make_case(State.SUBMITTED), lead_and_worker) == [
        "verify",
        "return",
    ]
    assert available_transitions(make_case(State.IN_PROGRESS), lead_and_worker) == ["submit"]
    office_and_lead = Actor(
        12, frozenset({Role.OFFICE, Role.TASK_FORCE_LEAD}), led_action_ids=frozenset({ACTION})
    )
    assert available_transitions(make_case(State.SUBMITTED), office_and_lead) == [
        "verify",
        "return",
        "reassign",
    ]


def test_case_in_both_lead_and_partner_department():
    worker = Actor(13, frozenset({Role.CASEWORKER}), frozenset({LEAD_DEPT, PARTNER_DEPT}))
    assert relations(make_case(), worker) == {
        Relation.LEAD_CASEWORKER,
        Relation.PARTNER_CASEWORKER,
    }


def test_case_without_lead_department_or_action():
    case = make_case(State.ASSIGNED, lead_department_id=None, action_id=None)
    nobody_leads = Actor(14, frozenset({Role.CASEWORKER, Role.TASK_FORCE_LEAD}))
    assert relations(case, nobody_leads) == frozenset()
    assert available_transitions(case, ACTORS["office"]) == ["reassign"]


def test_states_from_the_database_as_plain_strings():
    case = make_case("submitted")
    assert check_transition(case, ACTORS["task_force_lead"], "verify") == State.VERIFIED
    assert available_transitions(case, ACTORS["office"]) == ["reassign"]
    assert not can_update_progress(make_case("closed"), ACTORS["lead_caseworker"])


# --- errors ---------------------------------------------------------------------------------


def test_errors_share_one_base_with_code_message_and_params():
    errors = [
        UnknownTransition("approve"),
        TransitionNotAllowed("verify"),
        TransitionNotPossible("close", State.SUBMITTED, frozenset({State.VERIFIED})),
        MissingInput("submit", frozenset({Need.EVIDENCE, Need.COMMENT})),
        StaleVersion(expected=3, actual=4),
        NotAllowed("urge"),
    ]
    codes = {e.code for e in errors}
    assert len(codes) == len(errors)
    for error in errors:
        assert isinstance(error, WorkflowError)
        assert str(error) == error.msgid % error.as_dict()["params"]
    assert isinstance(TransitionNotAllowed("verify"), NotAllowed)


def test_error_messages():
    assert str(TransitionNotAllowed("verify")) == "You may not verify this case: only task_force_lead may."
    assert TransitionNotAllowed("verify").as_dict()["params"]["who"] == "task_force_lead"
    assert TransitionNotAllowed("return").who == (Relation.TASK_FORCE_LEAD, Relation.OFFICE)
    missing = MissingInput("submit", frozenset({Need.EVIDENCE, Need.COMMENT}))
    assert str(missing) == "To submit this case, give comment, evidence."
    stale = StaleVersion(expected=3, actual=4)
    assert (stale.expected, stale.actual) == (3, 4)
    assert "your version 3, now 4" in str(stale)


# --- the rules as data ----------------------------------------------------------------------


def test_rules_are_immutable_data():
    with pytest.raises(TypeError):
        TRANSITIONS["approve"] = TRANSITIONS["verify"]
    assert isinstance(TRANSITIONS["return"].who_by_source, MappingProxyType)
    assert len({rule: name for name, rule in TRANSITIONS.items()}) == len(TRANSITIONS)  # hashable


def test_rule_rejects_who_by_source_outside_the_rule():
    with pytest.raises(ValueError):
        TransitionRule(
            "x",
            frozenset({State.ASSIGNED}),
            State.CLOSED,
            frozenset({Relation.OFFICE}),
            who_by_source={State.CLOSED: frozenset({Relation.OFFICE})},
        )
    with pytest.raises(ValueError):
        TransitionRule(
            "x",
            frozenset({State.ASSIGNED}),
            State.CLOSED,
            frozenset({Relation.OFFICE}),
            who_by_source={State.ASSIGNED: frozenset({Relation.TASK_FORCE_LEAD})},
        )


def test_who_from_and_sources_for():
    rule = TRANSITIONS["return"]
    assert rule.who_from(State.SUBMITTED) == {Relation.TASK_FORCE_LEAD}
    assert rule.who_from(State.VERIFIED) == {Relation.OFFICE}
    assert rule.who_from(State.CLOSED) == frozenset()
    assert rule.sources_for(frozenset({Relation.OFFICE})) == {State.VERIFIED}
    assert TRANSITIONS["reassign"].who_from(State.SUBMITTED) == {Relation.OFFICE}


# --- other permissions ----------------------------------------------------------------------

CASEWORKERS = {"lead_caseworker", "partner_caseworker"}
URGERS = {"office", "task_force_lead"}


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("state", State)
def test_can_update_progress(state, who):
    expected = who in CASEWORKERS and state != State.CLOSED
    assert can_update_progress(make_case(state), ACTORS[who]) == expected


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("state", State)
def test_can_urge(state, who):
    expected = who in URGERS and state != State.CLOSED
    assert can_urge(make_case(state), ACTORS[who]) == expected


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("state", State)
def test_can_request_extension(state, who):
    expected = who == "lead_caseworker" and state not in (State.VERIFIED, State.CLOSED)
    assert can_request_extension(make_case(state), ACTORS[who]) == expected


@pytest.mark.parametrize("who", ACTORS)
def test_can_decide_extension_and_edit_deadline(who):
    assert can_decide_extension(ACTORS[who]) == (who == "office")
    assert can_edit_deadline(ACTORS[who]) == (who in ("admin", "system"))


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("state", State)
def test_can_comment(state, who):
    commenters = CASEWORKERS | URGERS | {"admin", "system"}  # leaders only read
    assert can_comment(make_case(state), ACTORS[who]) == (who in commenters)


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("state", State)
def test_whoever_may_act_may_also_see(state, who):
    case, actor = make_case(state), ACTORS[who]
    if (
        available_transitions(case, actor)
        or can_update_progress(case, actor)
        or can_urge(case, actor)
    ):
        assert can_view(case, actor)
