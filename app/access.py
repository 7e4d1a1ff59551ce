"""Row-level access to cases, asked of workflows.access once for every path.

Lists, detail pages, the REST API, downloads, exports and reports all filter with
`visible_cases_clause`; FAB views and APIs get it through `CaseVisibilityFilter`.
"""

from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, or_, select, true

from app.clock import local_today
from app.models import Case, CaseHistory, case_partner
from app.security import current_actor
from workflows.access import visibility
from workflows.case_workflow import Actor, Role
from workflows.rag import DONE_STATES


def visible_cases_clause(actor: Actor):
    """A WHERE clause on Case selecting the cases the actor may see."""
    scope = visibility(actor)
    if scope.all:
        return true()
    conditions = []
    if scope.department_ids:
        departments = list(scope.department_ids)
        conditions.append(Case.lead_department_id.in_(departments))
        conditions.append(
            Case.id.in_(
                select(case_partner.c.case_id).where(
                    case_partner.c.department_id.in_(departments)
                )
            )
        )
    if scope.action_ids:
        conditions.append(Case.action_id.in_(list(scope.action_ids)))
    return or_(*conditions) if conditions else false()


class CaseVisibilityFilter(BaseFilter):
    """FAB base filter: only the cases the request's user may see (UI and API alike)."""

    name = "visible"
    arg_name = None

    def apply(self, query, value):
        return query.filter(visible_cases_clause(current_actor()))


def _caseworker_cases(actor: Actor, state: str):
    """Cases in `state` led by a department the actor works in as a caseworker."""
    if Role.CASEWORKER not in actor.roles or not actor.department_ids:
        return false()
    return (Case.state == state) & Case.lead_department_id.in_(list(actor.department_ids))


def _last_transition():
    """The name of a case's latest transition (correlated subquery)."""
    return (
        select(CaseHistory.transition)
        .where(CaseHistory.case_id == Case.id, CaseHistory.kind == "transition")
        .order_by(CaseHistory.at.desc(), CaseHistory.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _to_verify(actor: Actor):
    if Role.TASK_FORCE_LEAD not in actor.roles or not actor.led_action_ids:
        return false()
    return (Case.state == "submitted") & Case.action_id.in_(list(actor.led_action_ids))


def _overdue(actor: Actor):
    # As workflows.rag.is_overdue: past the deadline and not yet verified.
    return (Case.deadline < local_today()) & Case.state.not_in([str(s) for s in DONE_STATES])


# The work queues: a WHERE clause on Case per queue, from the actor. Pages add visibility.
QUEUES = {
    "to_accept": lambda actor: _caseworker_cases(actor, "assigned"),  # 待签收
    "in_progress": lambda actor: _caseworker_cases(actor, "in_progress"),  # 办理中
    "returned": lambda actor: _caseworker_cases(actor, "in_progress")  # 被退回
    & (_last_transition() == "return"),
    "to_verify": _to_verify,  # 待核验
    "to_close": lambda actor: Case.state == "verified",  # 待办结
    "overdue": _overdue,  # 逾期
}


def my_queue_clause(actor: Actor):
    """Cases waiting for the actor's own next step (我的待办): every queue they act on."""
    names = ["to_accept", "in_progress", "to_verify"]
    if Role.OFFICE in actor.roles:
        names.append("to_close")
    return or_(*(QUEUES[name](actor) for name in names))


class QueueFilter(BaseFilter):
    """FAB base filter for one work queue: `["id", QueueFilter, "to_verify"]`."""

    name = "queue"
    arg_name = None

    def apply(self, query, value):
        return query.filter(QUEUES[value](current_actor()))


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
        clause = visible_cases_clause(current_actor())
        column = self.model.case_id
        return query.filter(
            or_(column.is_(None), column.in_(select(Case.id).where(clause)))
        )
