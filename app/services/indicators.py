"""Targets (指标) and their actual values per statistical period, read with their meaning.

The rules are workflows.targets'; reading them with their meaning (the latest actual, the
status: expected value for that period, gap, light) is the read model app/reports/targets.py,
re-exported here; this module checks who may see and report a target and records a value —
never an overwrite, a correction is a new row for the same period.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Case, Goal, Indicator, IndicatorActual, utcnow

# Reading targets is a read model below the services (the reports use it too).
from app.reports.targets import (
    FREQUENCY_LABELS,
    JUDGEMENT_LABELS,
    KIND_LABELS,
    LIGHT_LABELS,
    gap_text,
    latest_actuals,
    number,
    responsible_department_id,
    rounded,
    status,
    target_of,
    target_text,
)
from app.services.calendar import local_today
from workflows import permissions
from workflows.errors import NotFound
from workflows.targets import (
    Kind,
    Light,
    NotResponsible,
    OnlyOfficeJudges,
    check_period,
    parse_judgement,
    parse_stat_period,
    parse_value,
    period_for,
    period_of_key,
)
from workflows.vocabulary import ANONYMOUS, Actor

__all__ = [
    "FREQUENCY_LABELS", "JUDGEMENT_LABELS", "KIND_LABELS", "LIGHT_LABELS", "gap_text", "latest_actuals",
    "number", "responsible_department_id", "rounded", "status", "target_of", "target_text",
]


class IndicatorNotFound(NotFound):
    """No such target, or the caller may not see it (its case is not theirs)."""

    code = "indicator_not_found"
    msgid = "The target does not exist, or you may not see it."


def get_visible_indicator(indicator_id: int, actor: Actor, *, for_update: bool = False) -> Indicator:
    """The indicator, if the actor may see it (a case's target: if they may see the case)."""
    from app.access import visible_cases_clause

    query = select(Indicator).where(Indicator.id == indicator_id)
    if for_update:
        query = query.with_for_update()
    ind = db.session.scalar(query) if actor.roles else None
    if ind is None:
        raise IndicatorNotFound()
    if ind.case_id is not None:
        visible = db.session.scalar(
            select(Case.id).where(Case.id == ind.case_id, visible_cases_clause(actor))
        )
        if visible is None:
            raise IndicatorNotFound()
    return ind


def may_report(ind: Indicator, actor: Actor) -> bool:
    """The office reports any target; a caseworker of the responsible unit reports its own."""
    return permissions.can_report_target(
        actor,
        qualitative=ind.kind == Kind.QUALITATIVE,
        responsible_department_id=responsible_department_id(ind),
    )


def indicator_detail(indicator_id: int, actor: Actor) -> dict:
    """One indicator's status and the versions of its actuals, newest first."""
    ind = get_visible_indicator(indicator_id, actor)
    latest = latest_actuals([ind.id]).get(ind.id)
    data = status(ind, latest)
    data["may_report"] = may_report(ind, actor)
    data["actuals"] = actual_versions(ind)
    data["current_period"] = period_for(local_today().year, local_today().month, ind.frequency).key
    from app.services import cascade  # the plans below: what they contribute to this target

    data["contributions"] = cascade.contributions(ind)
    data["contributes_to_id"] = ind.contributes_to_id
    if ind.contributes_to_id:
        parent = db.session.get(Indicator, ind.contributes_to_id)
        data["contributes_to"] = {"id": parent.id, "name": parent.name, "plan": str(parent.plan_id)} \
            if parent else None
    return data


def actual_versions(ind: Indicator) -> list[dict]:
    """Every recorded actual of the indicator, newest period first, then newest version first."""
    from app.services.cases import to_local

    rows = list(db.session.scalars(
        select(IndicatorActual).where(IndicatorActual.indicator_id == ind.id)
    ))
    rows.sort(key=lambda r: (period_of_key(r.period), r.recorded_at, r.id), reverse=True)
    per_period: dict[str, int] = {}
    versions: dict[int, int] = {}
    for row in sorted(rows, key=lambda r: (r.recorded_at, r.id)):
        per_period[row.period] = per_period.get(row.period, 0) + 1
        versions[row.id] = per_period[row.period]
    seen: set[str] = set()
    result = []
    for row in rows:
        result.append({
            "id": row.id,
            "period": row.period,
            "value": float(row.value) if row.value is not None else None,
            "value_text": f"{number(row.value)}{ind.unit}" if row.value is not None else "",
            "judgement": row.judgement,
            "judgement_label": str(JUDGEMENT_LABELS.get(row.judgement, "")) if row.judgement else "",
            "note": row.note,
            "source": row.source,
            "author": row.author.username if row.author else None,
            "recorded_at": row.recorded_at.isoformat() + "Z",
            "recorded_local": to_local(row.recorded_at),
            "version": versions[row.id],
            "current": row.period not in seen,
        })
        seen.add(row.period)
    return result


# --------------------------------------------------------------------------- writing


def record_actual(indicator_id: int, actor: Actor, *, period: str, value=None, judgement=None,
                  note: str = "", source: str = "") -> IndicatorActual:
    """Record an actual value (or, for a qualitative target, the office's judgement) for a period.

    Checks in order: visible (404), allowed (403), period and value (422). A value for a
    period that already has one is a correction: a new version; the old stays.
    """
    try:
        ind = get_visible_indicator(indicator_id, actor, for_update=True)
        if not may_report(ind, actor):
            raise OnlyOfficeJudges() if ind.kind == Kind.QUALITATIVE else NotResponsible()
        stat_period = parse_stat_period(period, ind.frequency)
        today = local_today()
        check_period(stat_period, ind.year, today.year, today.month)
        row = IndicatorActual(
            indicator_id=ind.id,
            period=stat_period.key,
            note=(note or "").strip(),
            source=(source or "").strip()[:100],
            author_id=actor.user_id,
            recorded_at=utcnow(),
        )
        if ind.kind == Kind.QUALITATIVE:
            row.judgement = parse_judgement(judgement).value
        else:
            row.value = parse_value(value)
        db.session.add(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return row


# --------------------------------------------------------------------------- lists


def goal_label(index: int) -> str:
    from app.reports.figures import cn_number

    return f"目标{cn_number(index)}"


def goal_targets(plan_id: int, actor: Actor = ANONYMOUS) -> list[dict]:
    """The plan's goal-level targets (主要目标), each with its status."""
    rows = db.session.execute(
        select(Indicator, Goal.index)
        .join(Goal, Goal.id == Indicator.goal_id)
        .where(Indicator.plan_id == plan_id)
        .order_by(Goal.index, Indicator.position, Indicator.id)
    ).all()
    latest = latest_actuals(ind.id for ind, _index in rows)
    result = []
    for ind, goal_index in rows:
        item = status(ind, latest.get(ind.id))
        item["goal"] = goal_label(goal_index)
        item["responsible_department"] = ind.responsible_department.name \
            if ind.responsible_department else ""
        item["may_report"] = may_report(ind, actor)
        result.append(item)
    return result


def light_counts(rows: list[dict]) -> dict:
    """How many targets are green, yellow, red, and not reported."""
    counts = {light.value: 0 for light in Light}
    counts["none"] = 0
    for row in rows:
        counts[row["light"] or "none"] += 1
    return counts
