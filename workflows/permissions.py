"""Every "may this actor do this?" question, answered in one place.

Three kinds of grant, all as data:

- transitions (accept, submit, verify…): the rules of workflows.case_workflow, granted to
  the actor's *relation* to the case; `check_transition` there is the one check;
- case acts (report progress, urge, request an extension): `CASE_ACTS` below, also granted
  to relations, and open only in some states;
- role grants (decide extensions, change deadlines, import lists, load plans, see every
  case, read only, the start page): `ROLE_GRANTS` below, granted to roles.

Who sees which case is workflows.access (`can_view`), used here for commenting. Who may
request each report kind is written on the kind in the report-kind registry
(workflows.report_kinds); `can_request_report` asks it.

A new role: a `Role` member in workflows.vocabulary, its entries in `ROLE_GRANTS` (and in
`CASE_ACTS` / the transition rules through a `Relation` when it acts on cases), and its row
in app/security.py's role table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from workflows import report_kinds
from workflows.access import SEES_ALL, can_view
from workflows.case_workflow import CaseClosed, ExtensionNotPossible, NotAllowed
from workflows.vocabulary import OPEN_STATES, Actor, CaseFacts, Relation, Role, State, relations

# --- acts on one case, granted to relations ---------------------------------------------------


@dataclass(frozen=True)
class CaseAct:
    """An act on one case besides transitions: who (relations) may do it, in which states.

    `refusal` names the error for someone who may do it, just not in the case's state:
    "closed" -> CaseClosed (reopen first), "extension" -> ExtensionNotPossible.
    """

    name: str  # the operation's code (app.labels.OPERATION_LABELS)
    who: frozenset[Relation]
    states: frozenset[State]
    refusal: str = "closed"


CASE_ACTS: Mapping[str, CaseAct] = MappingProxyType(
    {
        act.name: act
        for act in (
            # Caseworkers of the lead and partner departments report progress until it closes.
            CaseAct(
                "update_progress",
                frozenset({Relation.LEAD_CASEWORKER, Relation.PARTNER_CASEWORKER}),
                OPEN_STATES,
            ),
            # The office or the case's task-force lead may urge (催办) a case that is not closed.
            CaseAct("urge", frozenset({Relation.OFFICE, Relation.TASK_FORCE_LEAD}), OPEN_STATES),
            # The lead caseworker asks for more time while the work is not yet verified.
            CaseAct(
                "request_extension",
                frozenset({Relation.LEAD_CASEWORKER}),
                frozenset({State.ASSIGNED, State.IN_PROGRESS, State.SUBMITTED}),
                refusal="extension",
            ),
            # The case's task-force lead proposes a lead unit for a case without one
            # (workflows.lead_proposals); the office decides.
            CaseAct("propose_lead", frozenset({Relation.TASK_FORCE_LEAD}), OPEN_STATES),
            # 领导批示: the lead unit answers a leader's instruction, whatever the case's state.
            CaseAct("answer_instruction", frozenset({Relation.LEAD_CASEWORKER}), frozenset(State)),
            # 难点堵点: the lead unit's caseworkers or the task force raise a problem needing
            # coordination while the case is open.
            CaseAct("raise_problem", frozenset({Relation.LEAD_CASEWORKER, Relation.TASK_FORCE_LEAD}),
                    OPEN_STATES),
        )
    }
)


def may(act: str, case: CaseFacts, actor: Actor) -> bool:
    """Whether `actor` may do case act `act` to `case` now."""
    rule = CASE_ACTS[act]
    return case.state in rule.states and bool(relations(case, actor) & rule.who)


def ensure(act: str, case: CaseFacts, actor: Actor) -> None:
    """Raise why `actor` may not do `act` to `case` now: 403 when they have no part in it
    (NotAllowed), 409 when only the case's state prevents it (CaseClosed, ExtensionNotPossible).
    """
    if may(act, case, actor):
        return
    rule = CASE_ACTS[act]
    if relations(case, actor) & rule.who:
        if rule.refusal == "extension":
            raise ExtensionNotPossible(case.state)
        raise CaseClosed(act)
    raise NotAllowed(act)


def can_update_progress(case: CaseFacts, actor: Actor) -> bool:
    """Caseworkers of the lead and partner departments report progress until the case closes."""
    return may("update_progress", case, actor)


def can_urge(case: CaseFacts, actor: Actor) -> bool:
    """The office or the case's task-force lead may urge (催办) a case that is not closed."""
    return may("urge", case, actor)


def can_request_extension(case: CaseFacts, actor: Actor) -> bool:
    """The lead caseworker may ask for more time while the work is not yet verified."""
    return may("request_extension", case, actor)


def can_comment(case: CaseFacts, actor: Actor) -> bool:
    """Anyone who can see the case may comment, except read-only users (leaders)."""
    return can_view(case, actor) and not can_read_only(actor)


def can_instruct(case: CaseFacts, actor: Actor) -> bool:
    """领导批示: a leader (read-only otherwise) or the office, on a case they see."""
    return can_view(case, actor) and has_grant(actor, "instruct")


def can_answer_instruction(case: CaseFacts, actor: Actor) -> bool:
    """A caseworker of the case's lead unit answers its instructions."""
    return may("answer_instruction", case, actor)


def can_raise_problem(case: CaseFacts, actor: Actor) -> bool:
    """难点堵点: a caseworker of the lead unit or the case's task-force lead, on an open case."""
    return may("raise_problem", case, actor)


def is_problem_addressee(department_id: int | None, actor: Actor) -> bool:
    """Whether a problem is addressed to the actor: a user of its unit, or a leader when it is
    addressed to the leaders (no unit). The addressee answers it without seeing the case."""
    if department_id is None:
        return Role.LEADER in actor.roles
    return department_id in actor.department_ids and not can_read_only(actor)


def can_resolve_problem(case: CaseFacts, department_id: int | None, actor: Actor) -> bool:
    """The addressee (is_problem_addressee) or the office (on a case it sees) answers a problem."""
    return is_problem_addressee(department_id, actor) or (
        Role.OFFICE in actor.roles and can_view(case, actor))


# --- grants to roles --------------------------------------------------------------------------

ROLE_GRANTS: Mapping[str, frozenset[Role]] = MappingProxyType(
    {
        "see_all": SEES_ALL,  # every case (workflows.access.visibility)
        "decide_extension": frozenset({Role.OFFICE}),  # approve or refuse extension requests
        "decide_lead_proposal": frozenset({Role.OFFICE}),  # accept or reject a proposed lead unit
        "change_deadline": frozenset({Role.ADMIN}),  # correct a deadline (recorded in history)
        "import_lists": frozenset({Role.OFFICE, Role.ADMIN}),  # import the three lists
        "load_plans": frozenset({Role.OFFICE, Role.ADMIN}),  # draft and load a plan
        "dashboard_start": frozenset({Role.OFFICE, Role.LEADER}),  # 工作台 as start page
        # Official documents (issue 12): the office edits a draft's wording and issues it;
        # 签发 is a leader's (or the office head's) approval of the draft as it stands.
        "edit_documents": frozenset({Role.OFFICE}),
        "sign_documents": frozenset({Role.OFFICE, Role.LEADER}),
        # 领导批示 (issue 12, part 4): a leader or the office instructs on a case they see.
        "instruct": frozenset({Role.OFFICE, Role.LEADER}),
        "issue_documents": frozenset({Role.OFFICE}),
        # 督查 → 整改 (issue 12, part 4): only the office records an inspection and its findings
        # (each a rectification case); those who see every case see every inspection.
        "record_inspections": frozenset({Role.OFFICE}),
        # 三看三评三比: edit the scheme, score, compute and publish; see every unit's result
        # (others see their own units' results once published).
        "run_evaluation": frozenset({Role.OFFICE, Role.ADMIN}),
        "see_all_evaluations": frozenset({Role.OFFICE, Role.ADMIN, Role.LEADER}),
    }
)
# Roles that change something; a user with none of them only reads (a leader).
WRITING_ROLES = frozenset(Role) - {Role.LEADER}


def has_grant(actor: Actor, grant: str) -> bool:
    """Whether one of the actor's roles holds `grant` (ROLE_GRANTS)."""
    return bool(actor.roles & ROLE_GRANTS[grant])


def can_decide_extension(actor: Actor) -> bool:
    """Only the supervision office approves or refuses extension requests."""
    return has_grant(actor, "decide_extension")


def can_record_inspection(actor: Actor) -> bool:
    """Only the supervision office records an inspection (督查) and its findings."""
    return has_grant(actor, "record_inspections")


def can_see_inspections(actor: Actor) -> bool:
    """The inspections' pages (every finding of every unit): whoever sees every case. A unit
    sees its own findings as its rectification cases (case visibility)."""
    return has_grant(actor, "see_all")


def can_run_evaluation(actor: Actor) -> bool:
    """The office (and admins) edit the evaluation scheme, score, compute and publish."""
    return has_grant(actor, "run_evaluation")


def evaluation_visibility(actor: Actor, published: bool, department_id: int) -> bool:
    """Whether the actor may see a unit's evaluation result: the office and admins always; a
    leader once published; a unit's own members once published."""
    if can_run_evaluation(actor):
        return True
    if not published:
        return False
    return has_grant(actor, "see_all_evaluations") or department_id in actor.department_ids


def can_edit_deadline(actor: Actor) -> bool:
    """Only an admin changes a deadline directly (recorded in history)."""
    return has_grant(actor, "change_deadline")


def can_import_lists(actor: Actor) -> bool:
    """The supervision office and admins import lists (CLI commands pass SYSTEM, an admin)."""
    return has_grant(actor, "import_lists")


def can_load_plans(actor: Actor) -> bool:
    """Loading a plan creates cases for everyone: the same people who import lists."""
    return has_grant(actor, "load_plans")


def sees_all(actor: Actor) -> bool:
    """Whether the actor sees every case (and every report)."""
    return has_grant(actor, "see_all")


def can_report_target(
    actor: Actor, *, qualitative: bool, responsible_department_id: int | None
) -> bool:
    """Who reports a target's actual value (指标实际值): the office any; a caseworker of the
    responsible unit its own quantitative ones (qualitative targets are the office's)."""
    if Role.OFFICE in actor.roles:
        return True
    if qualitative:
        return False
    return (
        Role.CASEWORKER in actor.roles
        and responsible_department_id is not None
        and responsible_department_id in actor.department_ids
    )


def can_request_report(actor: Actor, kind: str) -> bool:
    """Whether the actor's roles may request report `kind` (a case kind also asks
    `can_urge` or visibility of the case itself: the kind's `case_right`)."""
    return report_kinds.may_request(actor, kind)


def can_read_only(actor: Actor) -> bool:
    """Whether `actor` only reads (a leader with no other role): no comments, no actions."""
    return Role.LEADER in actor.roles and not (actor.roles & WRITING_ROLES)


def can_bulk(actor: Actor) -> bool:
    """Bulk operations are a user's (each case then checked as for one): not the system's,
    not a read-only user's."""
    return actor.user_id is not None and not can_read_only(actor)


def start_page(actor: Actor) -> str:
    """Where a signed-in user lands: "dashboard" (工作台) or "my_cases" (我的待办)."""
    return "dashboard" if has_grant(actor, "dashboard_start") else "my_cases"
