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

Errors are `workflows.errors.DomainError`s: code, HTTP status and English msgid written once
on the class, params named in `labelled` (states, transitions, relations…) labelled by the UI
layer (`app.errors.translate`), which owns the labels.

Transition side effects are data on the rules (`TransitionRule.effects`, from `ON_ENTER` per
target state): the service applies them generically. The work queues (待签收, 办理中, 待核验,
待办结 …) are read off the rules too (`queue_grants`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from workflows.errors import N_, DomainError
from workflows.vocabulary import (  # noqa: F401  (re-exported: the rules' vocabulary)
    ANONYMOUS,
    OPEN_STATES,
    STATE_ORDER,
    SYSTEM,
    Actor,
    CaseFacts,
    Need,
    Relation,
    Role,
    State,
    relations,
)


@dataclass(frozen=True)
class Effects:
    """What firing a transition writes besides the state, as data (Frappe's `update_field`).

    Column names of the case row; the service applies them generically:
    `stamp` are set to the time of the transition, `clear` to NULL, and when
    `take_assignee` the actor becomes the assignee (经办人) if there is none.
    """

    stamp: tuple[str, ...] = ()
    clear: tuple[str, ...] = ()
    take_assignee: bool = False


# Timestamps describe the current pass; earlier passes stay in the history. Entering a state
# stamps its column; going back (return, reopen, reassign) clears the later passes' stamps.
_LATER_STAMPS = ("submitted_at", "verified_at", "closed_at")
ON_ENTER: Mapping[State, Effects] = MappingProxyType(
    {
        State.ASSIGNED: Effects(stamp=("state_changed_at", "assigned_at"), clear=_LATER_STAMPS),
        State.IN_PROGRESS: Effects(stamp=("state_changed_at",), clear=_LATER_STAMPS),
        State.SUBMITTED: Effects(stamp=("state_changed_at", "submitted_at")),
        State.VERIFIED: Effects(stamp=("state_changed_at", "verified_at")),
        State.CLOSED: Effects(stamp=("state_changed_at", "closed_at")),
    }
)


@dataclass(frozen=True)
class TransitionRule:
    """One named transition: from which states, to which state, by whom, needing what.

    `who` lists every relation that may fire it; `who_by_source` narrows that for particular
    source states (return: the task-force lead from submitted, the office from verified).
    `effects` is what firing it writes besides the state (see `Effects`, `ON_ENTER`).
    """

    name: str
    sources: frozenset[State]
    target: State
    who: frozenset[Relation]
    needs: frozenset[Need] = frozenset()
    who_by_source: Mapping[State, frozenset[Relation]] = field(default_factory=dict, hash=False)
    effects: Effects = Effects()

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

    def grants(self) -> tuple[tuple[State, frozenset[Relation]], ...]:
        """(source state, relations that may fire it from there), in workflow order."""
        return tuple((s, self.who_from(s)) for s in STATE_ORDER if s in self.sources)


_S = State
_R = Relation
_N = Need


def _rule(
    name, sources, target, who, needs=(), who_by_source=None, *, clear=(), take_assignee=False
) -> TransitionRule:
    entering = ON_ENTER[target]
    return TransitionRule(
        name,
        frozenset(sources),
        target,
        frozenset(who),
        frozenset(needs),
        {s: frozenset(w) for s, w in (who_by_source or {}).items()},
        Effects(
            stamp=entering.stamp,
            clear=entering.clear + tuple(clear),
            take_assignee=take_assignee,
        ),
    )


# The workflow of domain.md, in workflow order (the order buttons appear in).
TRANSITIONS: Mapping[str, TransitionRule] = MappingProxyType(
    {
        rule.name: rule
        for rule in (
            # whoever signs for the case works it (经办人)
            _rule("accept", {_S.ASSIGNED}, _S.IN_PROGRESS, {_R.LEAD_CASEWORKER}, take_assignee=True),
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
                OPEN_STATES,
                _S.ASSIGNED,
                {_R.OFFICE},
                {_N.NEW_DEPARTMENT},
                # The old department's people no longer see the case: they must not stay on it.
                clear=("assignee_id", "owner_id"),
            ),
        )
    }
)


# --- errors -------------------------------------------------------------------------------


class WorkflowError(DomainError):
    """A rule of the workflow refused an operation (409 unless a subclass says otherwise)."""

    code = "workflow_error"
    status = 409
    msgid = N_("The workflow does not allow this.")


class UnknownTransition(WorkflowError):
    """No transition has this name (422)."""

    code = "unknown_transition"
    status = 422
    msgid = N_("Unknown transition %(transition)s; known transitions: %(known)s.")
    labelled = MappingProxyType({"known": "transition_named"})

    def __init__(self, transition: str):
        self.transition = transition
        super().__init__(transition=transition, known=tuple(TRANSITIONS))


class NotAllowed(WorkflowError):
    """The actor may never do this to this case (403)."""

    code = "not_allowed"
    status = 403
    msgid = N_("You may not %(operation)s this case.")
    labelled = MappingProxyType({"operation": "operation"})

    def __init__(self, operation: str, **params):
        self.operation = operation
        super().__init__(operation=operation, **params)


class TransitionNotAllowed(NotAllowed):
    """The actor's relation to the case never permits this transition (403)."""

    code = "transition_not_allowed"
    msgid = N_("You may not %(operation)s this case: only %(who)s may.")
    labelled = MappingProxyType({"operation": "transition", "who": "relation"})

    def __init__(self, transition: str):
        self.transition = transition
        self.who = tuple(r for r in Relation if r in TRANSITIONS[transition].who)
        super().__init__(transition, who=self.who)


class TransitionNotPossible(WorkflowError):
    """The actor may fire this transition, but not from the case's current state (409)."""

    code = "transition_not_possible"
    msgid = N_(
        "Cannot %(transition)s this case: it is %(state)s, and %(transition)s needs it to be "
        "%(required)s."
    )
    labelled = MappingProxyType({"transition": "transition", "state": "state", "required": "state"})

    def __init__(self, transition: str, state: State, required_states: frozenset[State]):
        self.transition = transition
        self.state = state
        self.required_states = tuple(s for s in STATE_ORDER if s in required_states)
        super().__init__(transition=transition, state=str(state), required=self.required_states)


class MissingInput(WorkflowError):
    """The transition needs inputs that were not given (422)."""

    code = "missing_input"
    status = 422
    msgid = N_("To %(transition)s this case, give %(needs)s.")
    SAME_DEPARTMENT = N_("The new lead department must differ from the current one.")
    labelled = MappingProxyType({"transition": "transition", "needs": "need"})

    def __init__(self, transition: str, needs: frozenset[Need], *, same_department=False):
        self.transition = transition
        self.needs = tuple(n for n in Need if n in needs)
        self.same_department = same_department  # a "new" department equal to the current one
        super().__init__(
            self.SAME_DEPARTMENT if same_department else None,
            transition=transition,
            needs=self.needs,
        )


class StaleVersion(WorkflowError):
    """The case changed since the user loaded it (409); raised by the service layer."""

    code = "stale_version"
    msgid = N_(
        "The case was changed by someone else (your version %(expected)s, now %(actual)s). "
        "Reload it and try again."
    )

    def __init__(self, expected: int | None, actual: int | None):
        self.expected = expected
        self.actual = actual
        super().__init__(expected=expected, actual=actual)


class CaseClosed(WorkflowError):
    """The operation is allowed for this user, but not on a closed case (409)."""

    code = "case_closed"
    msgid = N_("The case is closed: it must be reopened before you can %(operation)s it.")
    labelled = MappingProxyType({"operation": "operation"})

    def __init__(self, operation: str):
        self.operation = operation
        super().__init__(operation=operation)


class ExtensionNotPossible(WorkflowError):
    """Extensions are asked for before the case is verified (409)."""

    code = "extension_not_possible"
    msgid = N_("Cannot request an extension: the case is %(state)s.")
    labelled = MappingProxyType({"state": "state"})

    def __init__(self, state: State):
        self.state = state
        super().__init__(state=str(state))


# --- the engine -----------------------------------------------------------------------------


def required_inputs(case: CaseFacts, name: str) -> frozenset[Need]:
    """What the dialog for transition `name` must ask for on this case."""
    rule = rule_named(name)
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
    rule = rule_named(name)
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


def rule_named(name: str) -> TransitionRule:
    """The rule of transition `name`, else UnknownTransition."""
    try:
        return TRANSITIONS[name]
    except (KeyError, TypeError):
        raise UnknownTransition(str(name)) from None


# --- work queues ----------------------------------------------------------------------------

# A work queue lists the cases waiting for one step of the workflow: those in a source state
# of the step's transitions, for an actor whose relation to the case may fire it from there.
# Queue name -> the transitions whose next step it shows.
QUEUE_STEPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "to_accept": ("accept",),  # 待签收
        "in_progress": ("submit",),  # 办理中
        "returned": ("submit",),  # 被退回 (and the latest transition was a return)
        "to_verify": ("verify",),  # 待核验
        "to_close": ("close",),  # 待办结
    }
)
# Queues narrowed further by the case's latest transition.
QUEUE_LAST_TRANSITION: Mapping[str, str] = MappingProxyType({"returned": "return"})


def queue_grants(queue: str) -> tuple[tuple[frozenset[State], frozenset[Relation]], ...]:
    """The (states, relations) pairs of a work queue, read off its transitions' rules.

    A case is in the queue for an actor when, for some pair, the case's state is in `states`
    and the actor stands to the case in one of `relations`.
    """
    pairs: dict[frozenset[Relation], set[State]] = {}
    for name in QUEUE_STEPS[queue]:
        for state, who in TRANSITIONS[name].grants():
            pairs.setdefault(who, set()).add(state)
    return tuple((frozenset(states), who) for who, states in pairs.items())


def in_queue(queue: str, case: CaseFacts, actor: Actor, last_transition: str | None = None) -> bool:
    """Whether `case` is in `actor`'s work queue (the rule the SQL of app.access implements)."""
    wanted = QUEUE_LAST_TRANSITION.get(queue)
    if wanted is not None and last_transition != wanted:
        return False
    mine = relations(case, actor)
    return any(case.state in states and who & mine for states, who in queue_grants(queue))
