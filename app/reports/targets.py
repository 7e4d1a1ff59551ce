"""Reading targets (指标) with their meaning: the latest actual per indicator, the status.

The latest actual of an indicator is its latest period, and within it the latest recorded
version; its status is the expected value for that period, the gap and the light
(workflows.targets' rules). Read models below the services: the reports, the dashboard and
the case page use them; recording values is app.services.indicators.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from app.extensions import db
from app.formatting import plain_number
from app.models import Indicator, IndicatorActual
from app.request_memo import memoized
from workflows.targets import Assessment, Kind, StatPeriod, Target, assess, period_of_key

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


def label_text(lazy) -> str:
    """A label's translation, looked up once per request: `status` runs per indicator (1,300
    of them in an 8,000-case plan's report), and each lookup asks Flask-Babel anew."""
    return memoized(("target label", id(lazy)), lambda: str(lazy))


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
    """A Decimal without trailing zeros (8.5000 → 8.5, -37.1000 → -37.1): app.formatting's."""
    return plain_number(value)


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
    reference = _REFERENCES.get(assessment.reference)
    reference = label_text(reference) if reference is not None else ""
    if gap == 0:
        return _("Level with %(reference)s", reference=reference)
    amount = rounded(abs(gap))
    amount = _("%(number)s percentage points", number=amount) if assessment.in_points \
        else f"{amount}{unit}"
    if gap < 0:
        return _("%(amount)s below %(reference)s", amount=amount, reference=reference)
    return _("%(amount)s above %(reference)s", amount=amount, reference=reference)


def latest_actuals(indicator_ids, up_to: StatPeriod | None = None,
                   recorded_before: dt.datetime | None = None) -> dict[int, IndicatorActual]:
    """Each indicator's current actual: its latest period (up to `up_to`), latest version."""
    ids = list(indicator_ids)
    if not ids:
        return {}
    # Which row wins is read from four columns; only the winners are loaded as objects (an
    # 8,000-case plan's 1,300 indicators have several actuals each, read twice per report).
    query = select(IndicatorActual.id, IndicatorActual.indicator_id, IndicatorActual.period,
                   IndicatorActual.recorded_at).where(IndicatorActual.indicator_id.in_(ids))
    if recorded_before is not None:
        query = query.where(IndicatorActual.recorded_at < recorded_before)
    latest: dict[int, tuple] = {}
    periods: dict[str, StatPeriod] = {}
    for row_id, indicator_id, period_key, recorded_at in db.session.execute(query):
        period = periods.get(period_key)
        if period is None:
            period = periods[period_key] = period_of_key(period_key)
        if up_to is not None and (period.year, period.end_month) > (up_to.year, up_to.end_month):
            continue
        key = (period.year, period.end_month, recorded_at, row_id)
        if indicator_id not in latest or key > latest[indicator_id]:
            latest[indicator_id] = key
    if not latest:
        return {}
    rows = db.session.scalars(select(IndicatorActual).where(
        IndicatorActual.id.in_([key[-1] for key in latest.values()])))
    return {row.indicator_id: row for row in rows}


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
        "kind_label": label_text(KIND_LABELS[ind.kind]) if ind.kind in KIND_LABELS else ind.kind,
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
        "judgement_label": label_text(JUDGEMENT_LABELS[actual.judgement])
        if actual is not None and actual.judgement in JUDGEMENT_LABELS else "",
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
        "light_label": label_text(LIGHT_LABELS[light]) if light else "",
    }


def responsible_department_id(ind: Indicator) -> int | None:
    """The unit that reports the actuals: the indicator's own, else its case's lead unit."""
    if ind.responsible_department_id:
        return ind.responsible_department_id
    if ind.case is not None:
        return ind.case.lead_department_id
    return None
