"""Several plans at once: the plan a user works in, remembered per user, or all of them.

A plan's *family* is the plan and the implementation plans (实施方案) of its actions: their
cases are the actions' cases, so the overall plan's lists, dashboard and reports count them.
Choosing "all plans" stores no plan. A user who never chose works in the latest overall plan.
"""

from __future__ import annotations

from sqlalchemy import case as sql_case
from sqlalchemy import or_, select, true

from app.extensions import db
from app.models import Action, Case, Department, Goal, Plan, PlanChoice
from app.plan_family import family_ids
from app.request_memo import keep, memoized
from workflows.errors import NotFound
from workflows.vocabulary import Actor, Role

__all__ = ["ALL", "action_clause", "case_clause", "department_clause", "goal_clause", "choose_plan", "chosen_plan", "default_plan", "family_ids", "plans"]

ALL = "all"
KIND_ORDER = {"overall": 0, "implementation": 1, "livelihood": 2, "meeting": 3}


class PlanNotFound(NotFound):
    """A plan id that is not there."""

    code = "plan_not_found"
    msgid = "The plan does not exist."


def plan_clause(actor: Actor | None = None):
    """A WHERE clause on Plan: the plans the actor works in — an office or leader of an
    organisation (the cascade) only its organisation's plans and those below; others all."""
    if actor is None or actor.organisation_ids is None or Role.ADMIN in actor.roles:
        return true()
    return Plan.organisation_id.in_(sorted(actor.organisation_ids))


def plans(actor: Actor | None = None) -> list[Plan]:
    """Every plan (of the actor's organisations): newest year first, the overall plan first.

    Read once per request (app.request_memo: again after any commit), as the navbar's plan
    picker and the lists' plan scope both ask; the rows stay in the session."""
    return [db.session.get(Plan, plan_id) for plan_id in _plan_ids(actor)]


def _plan_ids(actor: Actor | None) -> tuple[int, ...]:
    # plan_clause depends on these two only.
    scope = None if actor is None else (actor.organisation_ids, Role.ADMIN in actor.roles)

    def read() -> tuple[int, ...]:
        order = sql_case(KIND_ORDER, value=Plan.kind, else_=9)
        rows = db.session.scalars(select(Plan).where(plan_clause(actor))
                                  .order_by(Plan.year.desc(), order, Plan.id))
        return tuple(keep(plan).id for plan in rows)

    return memoized(("plans", scope), read)


def default_plan(actor: Actor | None = None) -> Plan | None:
    """The latest overall plan, else the latest plan of any kind (of the actor's organisations)."""
    plan = db.session.scalar(
        select(Plan).where(Plan.kind == "overall", plan_clause(actor))
        .order_by(Plan.year.desc(), Plan.id.desc()).limit(1)
    )
    if plan is None:
        plan = db.session.scalar(select(Plan).where(plan_clause(actor))
                                 .order_by(Plan.year.desc(), Plan.id.desc()).limit(1))
    return plan


def in_scope(plan: Plan | None, actor: Actor | None) -> bool:
    """Whether the actor works in `plan` (always, when not scoped by organisation)."""
    if plan is None or actor is None or actor.organisation_ids is None or Role.ADMIN in actor.roles:
        return True
    return plan.organisation_id in actor.organisation_ids


def chosen_plan(user_id: int | None) -> Plan | None:
    """The user's plan; None means all plans. Without a choice: the default plan."""
    plan_id = memoized(("chosen_plan", user_id), lambda: _chosen_plan_id(user_id))
    return keep(db.session.get(Plan, plan_id)) if plan_id is not None else None


def _chosen_plan_id(user_id: int | None) -> int | None:
    actor = _actor(user_id)
    if user_id is not None:
        choice = db.session.get(PlanChoice, user_id)
        if choice is not None and (choice.plan_id is None or in_scope(keep(db.session.get(Plan, choice.plan_id)), actor)):
            return choice.plan_id or None
    # default_plan's choice, made among the request's plans (read once, kept in the session).
    scoped = plans(actor)
    overall = [p for p in scoped if p.kind == "overall"]
    plan = max(overall or scoped, key=lambda p: (p.year, p.id), default=None)
    return plan.id if plan is not None else None


def _actor(user_id: int | None) -> Actor | None:
    """The user's actor, for the organisations whose plans they work in (the cascade)."""
    if user_id is None:
        return None
    from flask import g, has_app_context
    from flask_appbuilder.security.sqla.models import User

    from app.security import actor_for

    # The request's own user: its actor is already built (current_actor), with its departments.
    known = g.get("duban_actor") if has_app_context() else None
    if known is not None and known.user_id == user_id:
        return known

    return actor_for(db.session.get(User, user_id))


def choose_plan(user_id: int, value, actor: Actor | None = None) -> Plan | None:
    """Remember the user's plan ("all" or a plan id); return it (None for all plans)."""
    plan = None
    if str(value) != ALL:
        try:
            plan = db.session.get(Plan, int(value))
        except (TypeError, ValueError):
            plan = None
        if plan is None or not in_scope(plan, actor):
            raise PlanNotFound()
    choice = db.session.get(PlanChoice, user_id) or PlanChoice(user_id=user_id)
    choice.plan_id = plan.id if plan else None
    db.session.add(choice)
    db.session.commit()
    return plan


def case_clause(plan: Plan | int | None):
    """A WHERE clause on Case: the cases of the plan's family; everything for all plans."""
    if plan is None:
        return true()
    plan_id = plan if isinstance(plan, int) else plan.id
    return Case.plan_id.in_(family_ids(plan_id))


def action_clause(plan: Plan | None):
    """A WHERE clause on Action: those of the plan's family; all for all plans."""
    return true() if plan is None else Action.plan_id.in_(family_ids(plan.id))


def goal_clause(plan: Plan | None):
    """A WHERE clause on Goal: those of the plan's family; all for all plans."""
    return true() if plan is None else Goal.plan_id.in_(family_ids(plan.id))


def department_clause(plan: Plan | None):
    """A WHERE clause on Department: the units of the plan's organisation and those of none (a
    single-district installation's); all for all plans. The search panel's drop-down offers
    these: a province's 3,250 units made a list page render 4,000 options."""
    if plan is None or plan.organisation_id is None:
        return true() if plan is None else Department.organisation_id.is_(None)
    return or_(Department.organisation_id == plan.organisation_id, Department.organisation_id.is_(None))


def plan_label(plan: Plan | None) -> str:
    """How a plan is named in pickers and headings."""
    if plan is None:
        return ""
    return f"{plan.title}（{plan.year}）"
