"""The words every rule is written in: states, roles, relations, actors and case facts.

Everything in workflows/ speaks this vocabulary; nothing here decides anything except
`relations`, the one definition of how an actor stands to a case. Visibility
(workflows.access), the transition rules (workflows.case_workflow) and every other
"may this actor…" question (workflows.permissions) import this module and not each other.

A new role is a `Role` member here, its grants in workflows.permissions (and, when it takes
part in transitions, a `Relation` and its line in `relations`), and its row in the role
table of app/security.py — nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """Where a case is in its workflow."""

    ASSIGNED = "assigned"  # 已交办
    IN_PROGRESS = "in_progress"  # 办理中
    SUBMITTED = "submitted"  # 已报送
    VERIFIED = "verified"  # 已核验
    CLOSED = "closed"  # 已办结


STATE_ORDER: tuple[State, ...] = tuple(State)  # for listing states in workflow order
OPEN_STATES = frozenset(State) - {State.CLOSED}


class Role(StrEnum):
    """A user's role in the system (a user may hold several)."""

    ADMIN = "admin"  # 系统管理员
    OFFICE = "office"  # 政府督查室
    TASK_FORCE_LEAD = "task_force_lead"  # 专班负责人
    CASEWORKER = "caseworker"  # 经办人
    LEADER = "leader"  # 区领导: reads everything; writes only 领导批示 and 签发 (signs documents)


class Relation(StrEnum):
    """How an actor stands to one case; transitions and case acts are granted to relations."""

    LEAD_CASEWORKER = "lead_caseworker"  # caseworker of the lead department
    PARTNER_CASEWORKER = "partner_caseworker"  # caseworker of a partner department
    TASK_FORCE_LEAD = "task_force_lead"  # lead of the case's action's task force
    OFFICE = "office"  # supervision office


class Need(StrEnum):
    """An input a transition requires."""

    COMMENT = "comment"  # a progress note
    REASON = "reason"  # why it is returned or reopened (given as the comment)
    NEW_DEPARTMENT = "new_department"  # the new lead department
    EVIDENCE = "evidence"  # evidence files, only where the case requires them


@dataclass(frozen=True)
class Actor:
    """Who acts: a user with roles, departments and the actions whose task force they lead.

    `user_id` is None for the system (SYSTEM) and for nobody (ANONYMOUS); there is no
    implicit "full access": code running without a user passes SYSTEM explicitly.
    """

    user_id: int | None
    roles: frozenset[Role]
    department_ids: frozenset[int] = frozenset()
    led_action_ids: frozenset[int] = frozenset()
    # The organisations (city, district, township…) whose cases an office or leader sees: those
    # of their departments and every one below. None: not scoped (a single-district
    # installation, an admin, the system).
    organisation_ids: frozenset[int] | None = None

    @property
    def is_system(self) -> bool:
        """Whether this is the system acting without a user (a Celery task, a CLI command)."""
        return self == SYSTEM


# The system's actor, passed explicitly by Celery tasks and CLI commands: sees every case
# (as an admin does), fires no transition (admins fire none).
SYSTEM = Actor(user_id=None, roles=frozenset({Role.ADMIN}))
# Nobody: a request without a user, or a user who is no longer active. Sees nothing.
ANONYMOUS = Actor(user_id=None, roles=frozenset())


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case."""

    state: State
    action_id: int | None
    lead_department_id: int | None
    partner_department_ids: frozenset[int] = frozenset()
    requires_evidence: bool = False
    has_evidence: bool = False  # including files uploaded with the request being checked
    organisation_id: int | None = None  # the organisation whose plan the case is in


def relations(case: CaseFacts, actor: Actor) -> frozenset[Relation]:
    """How `actor` stands to `case` (empty when they have no part in it).

    The SQL twin of this function is app.access.relation_clause: one clause per relation.
    """
    found = set()
    if Role.CASEWORKER in actor.roles:
        if case.lead_department_id is not None and case.lead_department_id in actor.department_ids:
            found.add(Relation.LEAD_CASEWORKER)
        if case.partner_department_ids & actor.department_ids:
            found.add(Relation.PARTNER_CASEWORKER)
    if Role.TASK_FORCE_LEAD in actor.roles and case.action_id in actor.led_action_ids:
        found.add(Relation.TASK_FORCE_LEAD)
    if Role.OFFICE in actor.roles:
        found.add(Relation.OFFICE)
    return frozenset(found)
