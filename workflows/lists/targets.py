"""目标值 and 单位 cells ↔ indicator values: "≥5", "5以上", "1-2", "85%", "5；20" with "个；亿元"."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from workflows.lists.cells import KEEP, N_, Finding, cell_text, is_cleared, norm, split_items

__all__ = ["indicator_key", "parse_targets", "target_cells"]

_COMPARATOR_WORDS = {
    "≥": ("≥", ">=", "不低于", "不少于", "大于等于", "超过", "突破"), "≤": ("≤", "<=", "不超过", "不高于", "小于等于"),
}
_TARGET = re.compile(
    r"^(?P<pre>≥|≤|>=|<=|不低于|不少于|大于等于|超过|突破|不超过|不高于|小于等于|达到|力争|约)?"
    r"(?P<num>[-+]?\d[\d,]*(?:\.\d+)?)(?:(?:-|—|–|~|～|至|到)(?P<max>\d[\d,]*(?:\.\d+)?))?"
    r"(?P<unit>[^\d]*?)(?P<post>及以上|以上|以下|以内|左右)?$"
)
_NOT_A_NUMBER = N_("Target value “%(value)s” is not a number (write e.g. 5, ≥5, 5以上, 1-2).")


def parse_targets(raw, unit_text: str) -> tuple[object, list[Finding]]:
    """A 目标值 cell (text or number) and its 单位 text → (indicator values, findings).

    The values are dicts with value, value_max, unit and comparator; KEEP when both cells
    are empty (an update keeps the case's targets), [] when the row clears them ("无").
    """
    findings: list[Finding] = []
    target_text = cell_text(raw)
    if not target_text and not unit_text:
        return KEEP, findings
    if is_cleared(target_text):
        return [], findings
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        parts = [target_text]
    else:
        parts = [p for p in split_items(target_text) if p]
    units = split_items(unit_text) if unit_text else []
    if parts and len(units) > 1 and len(units) != len(parts):
        findings.append(Finding("unit", N_("%(targets)s target values but %(units)s units: give one unit per value, separated by ；."),
                                {"targets": len(parts), "units": len(units)}))
        return [], findings
    if not parts and units:
        findings.append(Finding("target", N_("A unit is given but no target value.")))
        return [], findings
    result = []
    for i, part in enumerate(parts):
        m = _TARGET.match(unicodedata.normalize("NFKC", part).replace(" ", ""))
        if not m:
            findings.append(Finding("target", _NOT_A_NUMBER, {"value": part}))
            continue
        try:
            value = Decimal(m["num"].replace(",", ""))
            value_max = Decimal(m["max"].replace(",", "")) if m["max"] else None
        except InvalidOperation:
            findings.append(Finding("target", _NOT_A_NUMBER, {"value": part}))
            continue
        if abs(value) >= Decimal(10) ** 14 or (value_max is not None and value_max < value):
            findings.append(Finding("target", N_("Target value “%(value)s” is out of range."), {"value": part}))
            continue
        comparator = "="
        for symbol, words in _COMPARATOR_WORDS.items():
            if m["pre"] in words:
                comparator = symbol
        if m["post"] in ("及以上", "以上"):
            comparator = "≥"
        elif m["post"] in ("以下", "以内"):
            comparator = "≤"
        unit = units[i] if len(units) > 1 else (units[0] if units else "")
        inline = m["unit"].strip()
        if inline and unit and norm(inline) != norm(unit):
            findings.append(Finding("unit", N_("The unit “%(inline)s” written with the value differs from the unit column “%(unit)s”."),
                                    {"inline": inline, "unit": unit}))
            continue
        unit = unit or inline
        if len(unit) > 30:
            findings.append(Finding("unit", N_("Unit “%(unit)s” is longer than 30 characters."), {"unit": unit}))
            continue
        result.append({"value": value, "value_max": value_max, "unit": unit, "comparator": comparator})
    return result, findings


def _get(ind, name: str):
    return ind[name] if isinstance(ind, dict) else getattr(ind, name)


def indicator_key(ind) -> tuple:
    """What an import compares of a target (a dict or an Indicator-like object)."""
    value_max = _get(ind, "value_max")
    return (Decimal(_get(ind, "value")).normalize(),
            Decimal(value_max).normalize() if value_max is not None else None,
            _get(ind, "unit") or "", _get(ind, "comparator"))


def _number_text(value) -> str:
    return f"{Decimal(value).normalize():f}"


def target_cells(indicators: list) -> tuple[object, str]:
    """目标值 and 单位 of a case's targets: a number for one plain target, else "≥5；≥20"."""
    inds = list(indicators)
    if not inds:
        return None, ""
    if len(inds) == 1 and inds[0].comparator == "=" and inds[0].value_max is None:
        value = Decimal(inds[0].value).normalize()
        return (int(value) if value == value.to_integral_value() else float(value)), inds[0].unit
    texts = []
    for ind in inds:
        text = _number_text(ind.value) + (f"-{_number_text(ind.value_max)}" if ind.value_max is not None else "")
        texts.append(("" if ind.comparator == "=" else ind.comparator) + text)
    units = [i.unit for i in inds]
    return "；".join(texts), (units[0] if len(set(units)) == 1 else "；".join(units))
