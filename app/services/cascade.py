"""The cascade (city → district → township): organisations, parent plans and contributions.

- An organisation (a city, a district, a township or street) has a parent; departments and
  plans belong to one. An office or leader whose department belongs to an organisation sees the
  cases of its plans and of the plans of every organisation below (app.security.actor_for,
  workflows.access).
- A plan may have a parent plan; an indicator of a plan may contribute to an indicator of its
  parent plan (the same unit). The parent indicator shows each contribution (the latest actual of
  each contributing indicator, with its period) and their sum beside its own actual.

Linking is the supervision office's or an admin's (`permissions.can_load_plans`); each act is
one transaction, and a refusal writes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Department, Indicator, Organisation, Plan
from app.plan_models import ORGANISATION_KINDS
from app.reports.targets import latest_actuals, status
from app.services.case_base import transaction
from workflows import permissions
from workflows.errors import Forbidden, InvalidInput, NotFound
from workflows.vocabulary import Actor


class MayNotLink(Forbidden):
    code = "may_not_link"
    msgid = "Only the supervision office or an administrator links plans, targets and organisations."


class PlanNotFound(NotFound):
    code = "plan_not_found"
    msgid = "Plan %(id)s does not exist."


class IndicatorMissing(NotFound):
    code = "indicator_not_found"
    msgid = "Target %(id)s does not exist."


class PlanCycle(InvalidInput):
    code = "plan_cycle"
    msgid = "A plan cannot be its own parent plan, nor the parent of a plan above it."


class PlanWithoutParent(InvalidInput):
    code = "plan_without_parent"
    msgid = "The plan %(plan)s has no parent plan: give it its parent plan first."


class NotInParentPlan(InvalidInput):
    code = "not_in_parent_plan"
    msgid = "The target “%(name)s” is not a target of the parent plan %(plan)s."


class UnitsDiffer(InvalidInput):
    code = "units_differ"
    msgid = "The units differ (%(unit)s, %(parent_unit)s): a contribution is added up in the parent target's unit."


class OrganisationInvalid(InvalidInput):
    code = "organisation_invalid"
    msgid = "Organisation “%(name)s”: %(why)s"


def _check(actor: Actor) -> None:
    if not permissions.can_load_plans(actor):
        raise MayNotLink()


def _plan(plan_id, actor: Actor | None = None) -> Plan:
    """The plan, if it is there and (for an office of an organisation) one of its own."""
    from app.services.plan_scope import in_scope

    plan = db.session.get(Plan, plan_id) if isinstance(plan_id, int) else None
    if plan is None or not in_scope(plan, actor):
        raise PlanNotFound(id=plan_id)
    return plan


def set_parent_plan(actor: Actor, plan_id: int, parent_id: int | None) -> Plan:
    """Make `parent_id` the plan's parent plan (None: none); never a cycle."""
    _check(actor)
    with transaction():
        plan = _plan(plan_id, actor)
        if parent_id is None:
            plan.parent_id = None
            for ind in db.session.scalars(select(Indicator).where(Indicator.plan_id == plan.id,
                                                                  Indicator.contributes_to_id.isnot(None))):
                ind.contributes_to_id = None  # no parent plan: nothing to contribute to
            return plan
        parent = _plan(parent_id)
        seen, above = set(), parent
        while above is not None:
            if above.id == plan.id or above.id in seen:
                raise PlanCycle()
            seen.add(above.id)
            above = db.session.get(Plan, above.parent_id) if above.parent_id else None
        plan.parent_id = parent.id
    return plan


def set_contribution(actor: Actor, indicator_id: int, parent_indicator_id: int | None) -> Indicator:
    """The indicator contributes to `parent_indicator_id`, a target of its plan's parent plan."""
    _check(actor)
    with transaction():
        ind = db.session.get(Indicator, indicator_id) if isinstance(indicator_id, int) else None
        if ind is None:
            raise IndicatorMissing(id=indicator_id)
        plan = _plan(ind.plan_id, actor)  # an office links its own organisation's targets
        if parent_indicator_id is None:
            ind.contributes_to_id = None
            return ind
        if plan.parent_id is None:
            raise PlanWithoutParent(plan=str(plan))
        target = db.session.get(Indicator, parent_indicator_id) if isinstance(parent_indicator_id, int) else None
        if target is None:
            raise IndicatorMissing(id=parent_indicator_id)
        parent_plan = db.session.get(Plan, plan.parent_id)
        if target.plan_id != parent_plan.id:
            raise NotInParentPlan(name=target.name, plan=str(parent_plan))
        if (ind.unit or "") != (target.unit or ""):
            raise UnitsDiffer(unit=ind.unit or "—", parent_unit=target.unit or "—")
        ind.contributes_to_id = target.id
    return ind


def parent_choices(ind: Indicator) -> list[Indicator]:
    """The targets of the indicator's parent plan it may contribute to (same unit)."""
    plan = db.session.get(Plan, ind.plan_id)
    if plan is None or plan.parent_id is None:
        return []
    return list(db.session.scalars(
        select(Indicator).where(Indicator.plan_id == plan.parent_id, Indicator.unit == (ind.unit or ""))
        .order_by(Indicator.goal_id, Indicator.action_id, Indicator.position, Indicator.id)))


def contributions(ind: Indicator) -> dict:
    """What the plans below contribute to `ind`: each contributing target's latest actual (with
    its period and light) and the sum of those reported, beside the target's own actual."""
    rows = list(db.session.execute(
        select(Indicator, Plan).join(Plan, Plan.id == Indicator.plan_id)
        .where(Indicator.contributes_to_id == ind.id).order_by(Plan.title, Indicator.id)))
    latest = latest_actuals(i.id for i, _p in rows)
    items, total, reported = [], Decimal(0), 0
    for child, plan in rows:
        actual = latest.get(child.id)
        state = status(child, actual)
        value = actual.value if actual is not None else None
        if value is not None:
            total += value
            reported += 1
        items.append({
            "indicator_id": child.id, "name": child.name, "plan_id": plan.id, "plan": str(plan),
            "organisation": _organisation_name(plan), "period": state.get("period"),
            "value": float(value) if value is not None else None, "unit": child.unit,
            "light": state.get("light"),
        })
    return {"rows": items, "sum": float(total) if reported else None, "reported": reported}


def _organisation_name(plan: Plan) -> str:
    if plan.organisation_id:
        org = db.session.get(Organisation, plan.organisation_id)
        if org is not None:
            return org.name
    block = plan.organisation or {}
    return block.get("district") or plan.issuer or ""


# --- organisations ------------------------------------------------------------------------------


def add_organisation(actor: Actor, name: str, *, kind: str, parent: str | None = None) -> Organisation:
    """A city, district, township or street, under `parent` (by name)."""
    _check(actor)
    name = (name or "").strip()
    with transaction():
        if not name or len(name) > 100:
            raise OrganisationInvalid(name=name[:20], why="名称应为1至100个字")
        if kind not in ORGANISATION_KINDS:
            raise OrganisationInvalid(name=name, why=f"类型应为{'、'.join(ORGANISATION_KINDS)}之一")
        above = None
        if parent:
            above = db.session.scalar(select(Organisation).where(Organisation.name == parent))
            if above is None:
                raise OrganisationInvalid(name=name, why=f"上级“{parent}”不存在")
        org = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name)
            db.session.add(org)
        org.kind, org.parent_id = kind, above.id if above else None
        db.session.flush()
    return org


def assign(actor: Actor, organisation: str, *, departments=(), plan_ids=()) -> Organisation:
    """Put departments (by name) and plans (by id) into an organisation."""
    _check(actor)
    with transaction():
        org = db.session.scalar(select(Organisation).where(Organisation.name == organisation))
        if org is None:
            raise OrganisationInvalid(name=organisation, why="不存在")
        for name in departments:
            dept = db.session.scalar(select(Department).where(Department.name == name))
            if dept is None:
                raise OrganisationInvalid(name=organisation, why=f"单位“{name}”不存在")
            dept.organisation_id = org.id
        for plan_id in plan_ids:
            _plan(plan_id).organisation_id = org.id
    return org
