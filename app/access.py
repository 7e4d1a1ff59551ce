"""Row-level access to cases, asked of workflows.access once for every path.

Lists, detail pages, the REST API, downloads, exports and reports all filter with
`visible_cases_clause`; FAB views and APIs get it through `CaseVisibilityFilter`.
The work queues are the transition rules read as queries: `relation_clause` turns a relation
into SQL once, `queue_clause` combines it with the states of workflows' `queue_grants`.
"""

from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, or_, select, true

from app.clock import local_today
from app.models import Case, CaseHistory, Plan, case_partner
from app.security import current_actor
from app.sql_ids import among
from workflows.access import visibility
from workflows.case_workflow import QUEUE_LAST_TRANSITION, QUEUE_STEPS, queue_grants
from workflows.rag import DONE_STATES
from workflows.vocabulary import Actor, Relation, Role


def partner_cases_clause(departments):
    """A WHERE clause on Case: the cases one of `departments` is a partner (协办单位) of."""
    return among(Case.id, select(case_partner.c.case_id).where(case_partner.c.department_id.in_(departments)))


def visible_cases_clause(actor: Actor):
    """A WHERE clause on Case selecting the cases the actor may see."""
    scope = visibility(actor)
    if scope.all:
        if scope.organisation_ids is None:
            return true()
        return Case.plan_id.in_(select(Plan.id).where(Plan.organisation_id.in_(sorted(scope.organisation_ids))))
    conditions = []
    if scope.department_ids:
        departments = list(scope.department_ids)
        conditions.append(Case.lead_department_id.in_(departments))
        conditions.append(partner_cases_clause(departments))
    if scope.action_ids:
        conditions.append(Case.action_id.in_(list(scope.action_ids)))
    return or_(*conditions) if conditions else false()


class CaseVisibilityFilter(BaseFilter):
    """FAB base filter: only the cases the request's user may see (UI and API alike)."""

    name = "visible"
    arg_name = None

    def apply(self, query, value):
        return query.filter(visible_cases_clause(current_actor()))


def relation_clause(actor: Actor, relation: Relation):
    """A WHERE clause on Case: the cases `actor` stands to in `relation`.

    The SQL twin of workflows.vocabulary.relations, one relation at a time.
    """
    if relation == Relation.OFFICE:
        return true() if Role.OFFICE in actor.roles else false()
    if relation == Relation.TASK_FORCE_LEAD:
        if Role.TASK_FORCE_LEAD not in actor.roles or not actor.led_action_ids:
            return false()
        return Case.action_id.in_(list(actor.led_action_ids))
    if Role.CASEWORKER not in actor.roles or not actor.department_ids:
        return false()
    departments = list(actor.department_ids)
    if relation == Relation.LEAD_CASEWORKER:
        return Case.lead_department_id.in_(departments)
    if relation == Relation.PARTNER_CASEWORKER:
        return partner_cases_clause(departments)
    raise ValueError(f"no SQL for relation {relation}")


def _last_transition():
    """The name of a case's latest transition (correlated subquery)."""
    return (
        select(CaseHistory.transition)
        .where(CaseHistory.case_id == Case.id, CaseHistory.kind == "transition")
        .order_by(CaseHistory.at.desc(), CaseHistory.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def queue_clause(queue: str, actor: Actor):
    """A WHERE clause on Case: the actor's work queue `queue`, read off the transition rules.

    For each (states, relations) pair of workflows.case_workflow.queue_grants: the case's
    state is one of `states` and the actor stands to it in one of `relations`.
    """
    if queue == "overdue":
        return _overdue(actor)
    clauses = []
    for states, who in queue_grants(queue):
        relation = or_(*(relation_clause(actor, r) for r in sorted(who)))
        clauses.append(Case.state.in_(sorted(states)) & relation)
    clause = or_(*clauses) if clauses else false()
    last = QUEUE_LAST_TRANSITION.get(queue)
    if last is not None:
        clause = clause & (_last_transition() == last)
    return clause


def _overdue(actor: Actor):
    # As workflows.rag.is_overdue: past the deadline and not yet verified.
    return (Case.deadline < local_today()) & Case.state.not_in(sorted(DONE_STATES))


# The work queues, each a WHERE clause on Case from the actor. Pages add visibility.
QUEUES = (*QUEUE_STEPS, "overdue")  # 待签收, 办理中, 被退回, 待核验, 待办结, 逾期


def my_queue_clause(actor: Actor):
    """Cases waiting for the actor's own next step (我的待办): every step queue they act on."""
    return or_(*(queue_clause(name, actor) for name in QUEUE_STEPS))


class QueueFilter(BaseFilter):
    """FAB base filter for one work queue: `["id", QueueFilter, "to_verify"]`."""

    name = "queue"
    arg_name = None

    def apply(self, query, value):
        return query.filter(queue_clause(value, current_actor()))


class MyQueueFilter(BaseFilter):
    """FAB base filter for 我的待办."""

    name = "my queue"
    arg_name = None

    def apply(self, query, value):
        return query.filter(my_queue_clause(current_actor()))


class RelatedCaseVisibilityFilter(BaseFilter):
    """For rows that belong to a case (indicators, files): only those of visible cases."""

    name = "visible case"
    arg_name = None

    def apply(self, query, value):
        actor = current_actor()
        scope = visibility(actor)
        if scope.all and scope.organisation_ids is None:
            return query  # sees every case: no array of a million ids to test against
        clause = visible_cases_clause(actor)
        column = self.model.case_id
        return query.filter(
            or_(column.is_(None), among(column, select(Case.id).where(clause)))
        )
