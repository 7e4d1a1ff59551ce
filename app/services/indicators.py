"""Targets (指标) and their actual values per statistical period, read with their meaning.

The rules are workflows.targets'; this module reads and writes the rows: the latest actual of
an indicator (the latest period, and within it the latest recorded version), the status
(expected value for that period, gap, light), and recording a value — never an overwrite,
a correction is a new row for the same period.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from app.extensions import db
from app.models import Case, Goal, Indicator, IndicatorActual, utcnow
from app.services.calendar import local_today
from workflows.case_workflow import Actor, Role
from workflows.errors import NotFound
from workflows.targets import (
    Assessment,
    Kind,
    Light,
    NotResponsible,
    OnlyOfficeJudges,
    StatPeriod,
    Target,
    assess,
    check_period,
    parse_judgement,
    parse_stat_period,
    parse_value,
    period_for,
    period_of_key,
)

KIND_LABELS = {
    "growth": lazy_gettext("Growth rate"),
    "cumulative": lazy_gettext("Cumulative"),
    "level": lazy_gettext("Level or share"),
    "ceiling": lazy_gettext("Ceiling"),
    "qualitative": lazy_gettext("Qualitative"),
}
LIGHT_LABELS = {
    "green": lazy_gettext("On track"),
    "yellow": lazy_gettext("Slightly behind"),
    "red": lazy_gettext("Behind"),
}
JUDGEMENT_LABELS = {
    "done": lazy_gettext("Done"),
    "mostly_done": lazy_gettext("Mostly done"),
    "not_done": lazy_gettext("Not done"),
}
FREQUENCY_LABELS = {
    "monthly": lazy_gettext("Monthly"),
    "quarterly": lazy_gettext("Quarterly"),
    "yearly": lazy_gettext("Yearly"),
}
_REFERENCES = {
    "target": lazy_gettext("the target"),
    "pace": lazy_gettext("the expected pace"),
    "path": lazy_gettext("the expected path"),
    "ceiling": lazy_gettext("the ceiling"),
}


def target_of(ind: Indicator) -> Target:
    """The rules' view of an indicator."""
    schedule = tuple(Decimal(str(v)) for v in ind.schedule) if ind.schedule else None
    return Target(
        kind=Kind(ind.kind),
        value=Decimal(ind.value) if ind.value is not None else None,
        unit=ind.unit or "",
        year=ind.year,
        baseline=Decimal(ind.baseline) if ind.baseline is not None else None,
        schedule=schedule,
    )


def number(value) -> str:
    """A Decimal without trailing zeros (8.5000 → 8.5, -37.1000 → -37.1)."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rounded(value, places: int = 2) -> str:
    """A computed value (an expected pace) rounded for display."""
    if value is None:
        return ""
    return number(Decimal(value).quantize(Decimal(1).scaleb(-places)))


def target_text(ind: Indicator) -> str:
    """The target as the plan states it: ≥ 8.5%, ≤ 3, 1–2个; a qualitative target has none."""
    if ind.value is None:
        return ""
    value = number(ind.value)
    if ind.value_max is not None:
        value = f"{value}–{number(ind.value_max)}"
    prefix = "" if ind.comparator == "=" else f"{ind.comparator} "
    return f"{prefix}{value}{ind.unit}"


def gap_text(assessment: Assessment, unit: str) -> str:
    """The gap in words: 低于目标37.1个百分点, 低于序时进度2家, 低于上限0.6个百分点…"""
    gap = assessment.gap
    if gap is None:
        return ""
    reference = _REFERENCES.get(assessment.reference, "")
    if gap == 0:
        return _("Level with %(reference)s", reference=reference)
    amount = rounded(abs(gap))
    amount = _("%(number)s percentage points", number=amount) if assessment.in_points \
        else f"{amount}{unit}"
    if gap < 0:
        return _("%(amount)s below %(reference)s", amount=amount, reference=reference)
    return _("%(amount)s above %(reference)s", amount=amount, reference=reference)


# --------------------------------------------------------------------------- reading


def latest_actuals(indicator_ids, up_to: StatPeriod | None = None,
                   recorded_before: dt.datetime | None = None) -> dict[int, IndicatorActual]:
    """Each indicator's current actual: its latest period (up to `up_to`), latest version."""
    ids = list(indicator_ids)
    if not ids:
        return {}
    query = select(IndicatorActual).where(IndicatorActual.indicator_id.in_(ids))
    if recorded_before is not None:
        query = query.where(IndicatorActual.recorded_at < recorded_before)
    latest: dict[int, tuple] = {}
    for row in db.session.scalars(query):
        period = period_of_key(row.period)
        if up_to is not None and (period.year, period.end_month) > (up_to.year, up_to.end_month):
            continue
        key = (period.year, period.end_month, row.recorded_at, row.id)
        if row.indicator_id not in latest or key > latest[row.indicator_id][0]:
            latest[row.indicator_id] = (key, row)
    return {indicator_id: row for indicator_id, (_key, row) in latest.items()}


def status(ind: Indicator, actual: IndicatorActual | None) -> dict:
    """Kind, target, the latest actual with its period, expected for that period, gap, light."""
    target = target_of(ind)
    period = period_of_key(actual.period) if actual is not None else None
    assessment = assess(target, period, actual.value if actual is not None else None,
                        actual.judgement if actual is not None else None)
    light = assessment.light.value if assessment.light else None
    return {
        "id": ind.id,
        "name": ind.name,
        "kind": ind.kind,
        "kind_label": str(KIND_LABELS.get(ind.kind, ind.kind)),
        "comparator": ind.comparator,
        "target": float(ind.value) if ind.value is not None else None,
        "target_max": float(ind.value_max) if ind.value_max is not None else None,
        "target_text": target_text(ind),
        "unit": ind.unit,
        "year": ind.year,
        "frequency": ind.frequency,
        "baseline": float(ind.baseline) if ind.baseline is not None else None,
        "responsible_department_id": responsible_department_id(ind),
        "period": actual.period if actual is not None else None,
        "actual": float(actual.value) if actual is not None and actual.value is not None else None,
        "actual_text": f"{number(actual.value)}{ind.unit}"
        if actual is not None and actual.value is not None else "",
        "judgement": actual.judgement if actual is not None else None,
        "judgement_label": str(JUDGEMENT_LABELS.get(actual.judgement, ""))
        if actual is not None and actual.judgement else "",
        "note": actual.note if actual is not None else "",
        "recorded_at": actual.recorded_at.isoformat() + "Z" if actual is not None else None,
        "expected": float(assessment.expected) if assessment.expected is not None else None,
        "expected_text": f"{rounded(assessment.expected)}{ind.unit}"
        if assessment.expected is not None and actual is not None else "",
        "gap": float(assessment.gap) if assessment.gap is not None else None,
        "gap_unit": "pp" if assessment.in_points else ind.unit,
        "gap_text": gap_text(assessment, ind.unit),
        "reference": assessment.reference,
        "light": light,
        "light_label": str(LIGHT_LABELS[light]) if light else "",
    }


def responsible_department_id(ind: Indicator) -> int | None:
    """The unit that reports the actuals: the indicator's own, else its case's lead unit."""
    if ind.responsible_department_id:
        return ind.responsible_department_id
    if ind.case is not None:
        return ind.case.lead_department_id
    return None


def get_visible_indicator(indicator_id: int, actor: Actor, *, for_update: bool = False) -> Indicator:
    """The indicator, if the actor may see it (a case's target: if they may see the case)."""
    from app.access import visible_cases_clause

    query = select(Indicator).where(Indicator.id == indicator_id)
    if for_update:
        query = query.with_for_update()
    ind = db.session.scalar(query) if actor.roles else None
    if ind is None:
        raise NotFound()
    if ind.case_id is not None:
        visible = db.session.scalar(
            select(Case.id).where(Case.id == ind.case_id, visible_cases_clause(actor))
        )
        if visible is None:
            raise NotFound()
    return ind


def may_report(ind: Indicator, actor: Actor) -> bool:
    """The office reports any target; a caseworker of the responsible unit reports its own."""
    if Role.OFFICE in actor.roles:
        return True
    if ind.kind == Kind.QUALITATIVE:
        return False
    unit = responsible_department_id(ind)
    return Role.CASEWORKER in actor.roles and unit is not None and unit in actor.department_ids


def indicator_detail(indicator_id: int, actor: Actor) -> dict:
    """One indicator's status and the versions of its actuals, newest first."""
    ind = get_visible_indicator(indicator_id, actor)
    latest = latest_actuals([ind.id]).get(ind.id)
    data = status(ind, latest)
    data["may_report"] = may_report(ind, actor)
    data["actuals"] = actual_versions(ind)
    data["current_period"] = period_for(local_today().year, local_today().month, ind.frequency).key
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


def goal_targets(plan_id: int, actor: Actor | None = None) -> list[dict]:
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
        item["may_report"] = may_report(ind, actor) if actor is not None else False
        result.append(item)
    return result


def light_counts(rows: list[dict]) -> dict:
    """How many targets are green, yellow, red, and not reported."""
    counts = {light.value: 0 for light in Light}
    counts["none"] = 0
    for row in rows:
        counts[row["light"] or "none"] += 1
    return counts
