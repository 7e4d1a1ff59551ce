"""Who sees which cases: the policy behind every list, page, API and download."""

import pytest

from workflows.access import Visibility, can_view, visibility
from workflows.permissions import can_read_only
from workflows.vocabulary import SYSTEM, Actor, CaseFacts, Role, State

ACTION_1, ACTION_2 = 1, 2
DEPT_A, DEPT_B, DEPT_C = 10, 20, 30


def actor(*roles, departments=(), actions=()) -> Actor:
    """A user with the given roles, departments and led actions."""
    return Actor(100, frozenset(roles), frozenset(departments), frozenset(actions))


# Action 1 led by A with partner B; action 2 led by C; a case with neither department nor action.
CASES = {
    "a_leads": CaseFacts(State.IN_PROGRESS, ACTION_1, DEPT_A, frozenset({DEPT_B})),
    "c_leads": CaseFacts(State.ASSIGNED, ACTION_2, DEPT_C),
    "orphan": CaseFacts(State.ASSIGNED, None, None),
}

USERS = {
    "office": (actor(Role.OFFICE), {"a_leads", "c_leads", "orphan"}),
    "leader": (actor(Role.LEADER), {"a_leads", "c_leads", "orphan"}),
    "admin": (actor(Role.ADMIN), {"a_leads", "c_leads", "orphan"}),
    "system": (SYSTEM, {"a_leads", "c_leads", "orphan"}),
    "caseworker_a": (actor(Role.CASEWORKER, departments={DEPT_A}), {"a_leads"}),
    "caseworker_b_partner": (actor(Role.CASEWORKER, departments={DEPT_B}), {"a_leads"}),
    "caseworker_c": (actor(Role.CASEWORKER, departments={DEPT_C}), {"c_leads"}),
    "caseworker_no_department": (actor(Role.CASEWORKER), set()),
    "lead_action_1": (actor(Role.TASK_FORCE_LEAD, actions={ACTION_1}), {"a_leads"}),
    "lead_action_2": (actor(Role.TASK_FORCE_LEAD, actions={ACTION_2}), {"c_leads"}),
    "lead_1_and_caseworker_c": (
        actor(Role.TASK_FORCE_LEAD, Role.CASEWORKER, departments={DEPT_C}, actions={ACTION_1}),
        {"a_leads", "c_leads"},
    ),
    "no_role_with_department": (actor(departments={DEPT_A}, actions={ACTION_1}), set()),
    "lead_role_without_actions": (actor(Role.TASK_FORCE_LEAD, departments={DEPT_A}), set()),
}


@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("user", USERS)
def test_can_view(user, case_name):
    who, sees = USERS[user]
    assert can_view(CASES[case_name], who) == (case_name in sees)


@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("user", USERS)
def test_visibility_agrees_with_can_view(user, case_name):
    who, _ = USERS[user]
    assert visibility(who).admits(CASES[case_name]) == can_view(CASES[case_name], who)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (actor(Role.OFFICE), Visibility(all=True)),
        (actor(Role.LEADER, Role.CASEWORKER, departments={DEPT_A}), Visibility(all=True)),
        (
            actor(Role.CASEWORKER, departments={DEPT_A, DEPT_B}, actions={ACTION_1}),
            Visibility(all=False, department_ids=frozenset({DEPT_A, DEPT_B})),
        ),
        (
            actor(Role.TASK_FORCE_LEAD, departments={DEPT_A}, actions={ACTION_2}),
            Visibility(all=False, action_ids=frozenset({ACTION_2})),
        ),
        (
            actor(Role.TASK_FORCE_LEAD, Role.CASEWORKER, departments={DEPT_A}, actions={ACTION_2}),
            Visibility(False, frozenset({DEPT_A}), frozenset({ACTION_2})),
        ),
        (actor(), Visibility(all=False)),
    ],
)
def test_visibility_as_filter_data(who, expected):
    assert visibility(who) == expected


def test_nothing_visible():
    assert visibility(actor()).nothing
    assert visibility(actor(Role.CASEWORKER)).nothing
    assert not visibility(actor(Role.LEADER)).nothing
    assert not visibility(actor(Role.CASEWORKER, departments={DEPT_A})).nothing


@pytest.mark.parametrize(
    ("roles", "read_only"),
    [
        ({Role.LEADER}, True),
        ({Role.LEADER, Role.OFFICE}, False),
        ({Role.LEADER, Role.CASEWORKER}, False),
        ({Role.OFFICE}, False),
        ({Role.ADMIN}, False),
        (set(), False),  # sees nothing, so not a reader either
    ],
)
def test_can_read_only(roles, read_only):
    assert can_read_only(actor(*roles)) == read_only
