"""The case workflow (督办事项流转) as data, and the one function that checks a transition.

States and transitions follow domain.md. Who may fire a transition is a *relation* between
the actor and the case (caseworker of the lead department, lead of the case's task force,
supervision office), not a bare role: a caseworker of another department may not accept.

Order of checks in `check_transition`, chosen for the most useful error:

1. unknown name          -> UnknownTransition      (HTTP 400/422): a client bug, nothing else
                                                     is meaningful.
2. relation              -> TransitionNotAllowed   (403): permanent for this user and case;
                                                     checked before the state so that a user
                                                     who may never act learns "ask someone
                                                     else", not a state they cannot change.
3. current state         -> TransitionNotPossible  (409): the user may fire it, just not now;
                                                     says the current state and the states
                                                     this user could fire it from.
4. inputs                -> MissingInput           (422): asked last, so nobody types a reason
                                                     for a transition that cannot happen.

Admin (系统管理员) is a technical role: admins see every case and may change deadlines, but
fire no transition, urge nobody and decide no extension. Separation of duties: every step of
a case's history is taken by someone accountable for it; an admin who also supervises gets
the office role as well, which the audit log then shows.

Messages are English msgids with %(name)s params (`err.message % err.params`), to be
translated in the UI, which also owns the state labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class State(StrEnum):
    """Where a case is in its workflow."""

    ASSIGNED = "assigned"  # 已交办
    IN_PROGRESS = "in_progress"  # 办理中
    SUBMITTED = "submitted"  # 已报送
    VERIFIED = "verified"  # 已核验
    CLOSED = "closed"  # 已办结


class Role(StrEnum):
    """A user's role in the system (a user may hold several)."""

    ADMIN = "admin"  # 系统管理员
    OFFICE = "office"  # 政府督查室
    TASK_FORCE_LEAD = "task_force_lead"  # 专班负责人
    CASEWORKER = "caseworker"  # 经办人
    LEADER = "leader"  # 领导 (read-only)


class Relation(StrEnum):
    """How an actor stands to one case; transitions are granted to relations."""

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
    """Who acts: a user with roles, departments and the actions whose task force they lead."""

    user_id: int | None  # None: the system (Celery)
    roles: frozenset[Role]
    department_ids: frozenset[int] = frozenset()
    led_action_ids: frozenset[int] = frozenset()

    @property
    def is_system(self) -> bool:
        """Whether this is the system acting without a user (e.g. a Celery task)."""
        return self.user_id is None


# Celery's actor for reports and reminders: sees every case, fires no transition.
SYSTEM = Actor(user_id=None, roles=frozenset({Role.ADMIN}))


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case."""

    state: State
    action_id: int | None
    lead_department_id: int | None
    partner_department_ids: frozenset[int] = frozenset()
    requires_evidence: bool = False
    has_evidence: bool = False  # including files uploaded with the request being checked


@dataclass(frozen=True)
class TransitionRule:
    """One named transition: from which states, to which state, by whom, needing what.

    `who` lists every relation that may fire it; `who_by_source` narrows that for particular
    source states (return: the task-force lead from submitted, the office from verified).
    """

    name: str
    sources: frozenset[State]
    target: State
    who: frozenset[Relation]
    needs: frozenset[Need] = frozenset()
    who_by_source: Mapping[State, frozenset[Relation]] = field(default_factory=dict, hash=False)

    def __post_init__(self):
        object.__setattr__(self, "who_by_source", MappingProxyType(dict(self.who_by_source)))
        for source, who in self.who_by_source.items():
            if source not in self.sources or not who <= self.who:
                raise ValueError(f"{self.name}: who_by_source[{source}] is outside the rule")

    def who_from(self, source: State) -> frozenset[Relation]:
        """The relations that may fire this transition from `source`."""
        if source not in self.sources:
            return frozenset()
        return self.who_by_source.get(source, self.who)

    def sources_for(self, relations: frozenset[Relation]) -> frozenset[State]:
        """The source states from which any of `relations` may fire this transition."""
        return frozenset(s for s in self.sources if self.who_from(s) & relations)


_S = State
_R = Relation
_N = Need


def _rule(name, sources, target, who, needs=(), who_by_source=None) -> TransitionRule:
    return TransitionRule(
        name,
        frozenset(sources),
        target,
        frozenset(who),
        frozenset(needs),
        {s: frozenset(w) for s, w in (who_by_source or {}).items()},
    )


# The workflow of domain.md, in workflow order (the order buttons appear in).
TRANSITIONS: Mapping[str, TransitionRule] = MappingProxyType(
    {
        rule.name: rule
        for rule in (
            _rule("accept", {_S.ASSIGNED}, _S.IN_PROGRESS, {_R.LEAD_CASEWORKER}),
            _rule(
                "submit",
                {_S.IN_PROGRESS},
                _S.SUBMITTED,
                {_R.LEAD_CASEWORKER},
                {_N.COMMENT, _N.EVIDENCE},  # evidence only when the case requires it
            ),
            _rule("verify", {_S.SUBMITTED}, _S.VERIFIED, {_R.TASK_FORCE_LEAD}),
            _rule(
                "return",
                {_S.SUBMITTED, _S.VERIFIED},
                _S.IN_PROGRESS,
                {_R.TASK_FORCE_LEAD, _R.OFFICE},
                {_N.REASON},
                who_by_source={
                    _S.SUBMITTED: {_R.TASK_FORCE_LEAD},
                    _S.VERIFIED: {_R.OFFICE},
                },
            ),
            _rule("close", {_S.VERIFIED}, _S.CLOSED, {_R.OFFICE}),
            _rule("reopen", {_S.CLOSED}, _S.IN_PROGRESS, {_R.OFFICE}, {_N.REASON}),
            _rule(
                "reassign",
                set(State) - {_S.CLOSED},
                _S.ASSIGNED,
                {_R.OFFICE},
                {_N.NEW_DEPARTMENT},
            ),
        )
    }
)

STATE_ORDER: tuple[State, ...] = tuple(State)  # for listing states in workflow order


# --- errors -------------------------------------------------------------------------------


class WorkflowError(Exception):
    """A rule of the workflow refused an operation; `code`, `message` % `params` say why."""

    code = "workflow_error"
    message = "The workflow does not allow this."

    def __init__(self, **params):
        self.params = params
        super().__init__(self.message % params)


class UnknownTransition(WorkflowError):
    """No transition has this name (HTTP 400/422)."""

    code = "unknown_transition"
    message = "Unknown transition %(transition)s; known transitions: %(known)s."

    def __init__(self, transition: str):
        self.transition = transition
        super().__init__(transition=transition, known=", ".join(TRANSITIONS))


class NotAllowed(WorkflowError):
    """The actor may never do this to this case (HTTP 403)."""

    code = "not_allowed"
    message = "You may not %(operation)s this case."

    def __init__(self, operation: str, **params):
        self.operation = operation
        super().__init__(operation=operation, **params)


class TransitionNotAllowed(NotAllowed):
    """The actor's relation to the case never permits this transition (HTTP 403)."""

    code = "transition_not_allowed"
    message = "You may not %(operation)s this case."  # params["who"]: who may

    def __init__(self, transition: str):
        self.transition = transition
        self.who = tuple(r for r in Relation if r in TRANSITIONS[transition].who)
        super().__init__(transition, who=" or ".join(self.who))


class TransitionNotPossible(WorkflowError):
    """The actor may fire this transition, but not from the case's current state (HTTP 409)."""

    code = "transition_not_possible"
    message = (
        "Cannot %(transition)s this case: it is %(state)s, and %(transition)s needs it to be "
        "%(required)s."
    )

    def __init__(self, transition: str, state: State, required_states: frozenset[State]):
        self.transition = transition
        self.state = state
        self.required_states = tuple(s for s in STATE_ORDER if s in required_states)
        super().__init__(
            transition=transition,
            state=str(state),
            required=" or ".join(self.required_states),
        )


class MissingInput(WorkflowError):
    """The transition needs inputs that were not given (HTTP 422)."""

    code = "missing_input"
    message = "To %(transition)s this case, give %(needs)s."

    def __init__(self, transition: str, needs: frozenset[Need], *, same_department=False):
        self.transition = transition
        self.needs = tuple(n for n in Need if n in needs)
        self.same_department = same_department  # a "new" department equal to the current one
        super().__init__(transition=transition, needs=", ".join(self.needs))


class StaleVersion(WorkflowError):
    """The case changed since the user loaded it (HTTP 409); raised by the service layer."""

    code = "stale_version"
    message = (
        "The case was changed by someone else (your version %(expected)s, now %(actual)s). "
        "Reload it and try again."
    )

    def __init__(self, expected: int | None, actual: int | None):
        self.expected = expected
        self.actual = actual
        super().__init__(expected=expected, actual=actual)


# --- the engine -----------------------------------------------------------------------------


def relations(case: CaseFacts, actor: Actor) -> frozenset[Relation]:
    """How `actor` stands to `case` (empty when they have no part in it)."""
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


def required_inputs(case: CaseFacts, name: str) -> frozenset[Need]:
    """What the dialog for transition `name` must ask for on this case."""
    rule = _rule_named(name)
    if case.requires_evidence:
        return rule.needs
    return rule.needs - {Need.EVIDENCE}


def check_transition(
    case: CaseFacts,
    actor: Actor,
    name: str,
    *,
    comment: str | None = None,
    new_department_id: int | None = None,
) -> State:
    """Return the state transition `name` leads to, or raise why `actor` may not fire it now."""
    rule = _rule_named(name)
    possible_from = rule.sources_for(relations(case, actor))
    if not possible_from:
        raise TransitionNotAllowed(name)
    if case.state not in possible_from:
        raise TransitionNotPossible(name, case.state, possible_from)

    has_text = bool(comment and comment.strip())
    same_department = new_department_id is not None and new_department_id == case.lead_department_id
    given = {
        Need.COMMENT: has_text,
        Need.REASON: has_text,  # the reason travels as the comment
        Need.EVIDENCE: case.has_evidence,
        Need.NEW_DEPARTMENT: new_department_id is not None and not same_department,
    }
    missing = frozenset(need for need in required_inputs(case, name) if not given[need])
    if missing:
        raise MissingInput(name, missing, same_department=same_department)
    return rule.target


def available_transitions(case: CaseFacts, actor: Actor) -> list[str]:
    """The transitions `actor` may fire on `case` now, in workflow order (inputs aside)."""
    mine = relations(case, actor)
    return [name for name, rule in TRANSITIONS.items() if rule.who_from(case.state) & mine]


def _rule_named(name: str) -> TransitionRule:
    try:
        return TRANSITIONS[name]
    except (KeyError, TypeError):
        raise UnknownTransition(str(name)) from None


# --- other permissions ----------------------------------------------------------------------


def can_update_progress(case: CaseFacts, actor: Actor) -> bool:
    """Caseworkers of the lead and partner departments report progress until the case closes."""
    caseworkers = {Relation.LEAD_CASEWORKER, Relation.PARTNER_CASEWORKER}
    return case.state != State.CLOSED and bool(relations(case, actor) & caseworkers)


def can_urge(case: CaseFacts, actor: Actor) -> bool:
    """The office or the case's task-force lead may urge (催办) a case that is not closed."""
    urgers = {Relation.OFFICE, Relation.TASK_FORCE_LEAD}
    return case.state != State.CLOSED and bool(relations(case, actor) & urgers)


def can_request_extension(case: CaseFacts, actor: Actor) -> bool:
    """The lead caseworker may ask for more time while the work is not yet verified."""
    return case.state not in (State.VERIFIED, State.CLOSED) and (
        Relation.LEAD_CASEWORKER in relations(case, actor)
    )


def can_decide_extension(actor: Actor) -> bool:
    """Only the supervision office approves or refuses extension requests."""
    return Role.OFFICE in actor.roles


def can_comment(case: CaseFacts, actor: Actor) -> bool:
    """Anyone who can see the case may comment, except read-only users (leaders)."""
    from workflows.access import can_read_only, can_view  # access imports this module

    return can_view(case, actor) and not can_read_only(actor)


def can_edit_deadline(actor: Actor) -> bool:
    """Only an admin changes a deadline directly (recorded in history)."""
    return Role.ADMIN in actor.roles
