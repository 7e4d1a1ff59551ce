"""Row-level access to cases, asked of workflows.access once for every path.

Lists, detail pages, the REST API, downloads, exports and reports all filter with
`visible_cases_clause`; FAB views and APIs get it through `CaseVisibilityFilter`.
"""

from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, or_, select, true

from app.models import Case, case_partner
from app.security import current_actor
from workflows.access import visibility
from workflows.case_workflow import Actor, Role


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


def my_queue_clause(actor: Actor):
    """Cases waiting for the actor's own next step (我的待办)."""
    conditions = []
    if Role.CASEWORKER in actor.roles and actor.department_ids:
        conditions.append(
            Case.lead_department_id.in_(list(actor.department_ids))
            & Case.state.in_(["assigned", "in_progress"])
        )
    if Role.TASK_FORCE_LEAD in actor.roles and actor.led_action_ids:
        conditions.append(Case.action_id.in_(list(actor.led_action_ids)) & (Case.state == "submitted"))
    if Role.OFFICE in actor.roles or Role.ADMIN in actor.roles:
        conditions.append(Case.state == "verified")
    return or_(*conditions) if conditions else false()


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
