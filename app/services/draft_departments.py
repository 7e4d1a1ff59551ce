"""Draft plans: the departments a draft names, matched to the installation's departments.

Every name the draft gives (on goals, actions and cases) is matched by
`workflows.plan_extraction.departments`, each with a confidence (see app.services.drafts).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from app.extensions import db
from app.models import Department
from workflows.plan_extraction.departments import best_match, match_department

NEW_DEPARTMENT = "+new"  # the choice "create this department"


def _norm(text) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def known_departments() -> dict[str, str]:
    """Normalised name or short name → the department's name."""
    known: dict[str, str] = {}
    for dept in db.session.scalars(select(Department)):
        known.setdefault(_norm(dept.name), dept.name)
        if dept.short_name:
            known.setdefault(_norm(dept.short_name), dept.name)
    return known


def _named_departments(draft: dict) -> list[str]:
    names: list[str] = []
    for goal in draft.get("goals", []):
        names.extend(goal.get("lead_departments", []) + goal.get("partner_departments", []))
    for action in draft.get("actions", []):
        if action.get("lead_department"):
            names.append(action["lead_department"])
        for case in action.get("cases", []):
            names.extend(case.get("lead_departments", []) + case.get("partner_departments", []))
    return list(dict.fromkeys(n for n in names if n))


def _known_aliases() -> dict[str, str]:
    """Name or short name → name, as app.services.plans.parse_plan wants them."""
    known: dict[str, str] = {}
    for dept in db.session.scalars(select(Department)):
        known[dept.name] = dept.name
        if dept.short_name:
            known[dept.short_name] = dept.name
    return known


def _known_pairs() -> list[tuple[str, str | None]]:
    return [(d.name, d.short_name) for d in db.session.scalars(select(Department).order_by(Department.name))]


def department_matches(draft: dict) -> list[dict]:
    """Every department the draft names: its candidates, the choice in force and how it was made.

    ``choice`` is a known department's name, ``NEW_DEPARTMENT`` (create it) or None (the office
    must choose); ``chosen_by`` is "office" (chosen on the review screen), "match" (a trusted
    match) or None.
    """
    known = _known_pairs()
    chosen = draft.get("department_choices") or {}
    result = []
    for name in _named_departments(draft):
        matches = match_department(name, known)
        best = best_match(name, known)
        auto = best.name if best else (NEW_DEPARTMENT if not matches else None)
        choice, chosen_by = chosen.get(name), "office"
        if not choice or choice == auto:
            choice, chosen_by = auto, ("match" if best else None)  # NEW: only on confirmation
        result.append({
            "name": name,
            "matches": [{"name": m.name, "confidence": m.confidence, "how": m.how} for m in matches],
            "choice": choice,
            "auto": auto,
            "chosen_by": chosen_by,
        })
    return result


def unknown_departments(draft: dict) -> list[dict]:
    """Departments the draft names that are to be created: no known department is like them
    (or the office chose "create"). Names with only weak matches are not here: they wait for
    a choice in the department list."""
    return [{"name": d["name"], "suggestions": [m["name"] for m in d["matches"]]}
            for d in department_matches(draft) if d["choice"] == NEW_DEPARTMENT]


def _walk_names(data: dict):
    """(container, key) of every department name a plan file or draft JSON gives."""
    for goal in data.get("goals") or []:
        if isinstance(goal, dict):
            yield from ((goal, k) for k in ("lead_departments", "partner_departments") if k in goal)
            yield from ((i, "responsible_department") for i in goal.get("indicators") or []
                        if isinstance(i, dict) and i.get("responsible_department"))
    for action in data.get("actions") or []:
        if not isinstance(action, dict):
            continue
        if action.get("lead_department"):
            yield action, "lead_department"
        yield from ((i, "responsible_department") for i in action.get("indicators") or []
                    if isinstance(i, dict) and i.get("responsible_department"))
        for case in action.get("cases") or []:
            if isinstance(case, dict):
                yield from ((case, k) for k in ("lead_departments", "partner_departments") if k in case)


def resolve_file_departments(data: dict) -> list[str]:
    """Departments a JSON plan (what `flask plan extract --json` prints) names that are neither
    known nor declared in its `departments`: a name trusted to be a known department written
    another way is rewritten to it; a name like no known department is declared as a new one
    (returned); a name with only uncertain candidates is refused (PlanFileError), never guessed."""
    from app.services.plan_file import PlanFileError

    if not isinstance(data, dict):
        return []
    declared = {d.get(k) for d in data.get("departments") or [] if isinstance(d, dict)
                for k in ("name", "short_name")} - {None}
    aliases, known = _known_aliases(), _known_pairs()
    mapping: dict[str, str] = {}
    new: list[str] = []
    unsure: dict[str, list[str]] = {}
    for node, key in list(_walk_names(data)):
        values = node[key] if isinstance(node[key], list) else [node[key]]
        for name in values:
            if not isinstance(name, str) or name in aliases or name in declared or name in mapping \
                    or name in new or name in unsure:
                continue
            best = best_match(name, known)
            candidates = [m.name for m in match_department(name, known)]
            if best is not None:
                mapping[name] = best.name
            elif not candidates:
                new.append(name)
            else:
                unsure[name] = candidates
    if unsure:
        raise PlanFileError("以下单位不能确定是哪个已有单位，请在文件中改为准确名称，或在 departments 中登记："
                            + "；".join(f"“{n}”（可能是{'、'.join(c)}）" for n, c in unsure.items()))
    for node, key in list(_walk_names(data)):
        if isinstance(node[key], list):
            node[key] = list(dict.fromkeys(mapping.get(n, n) for n in node[key]))
        elif node[key] in mapping:
            node[key] = mapping[node[key]]
    if new:
        data["departments"] = [*(data.get("departments") or []), *(
            {"name": n, "kind": "township" if re.search(r"(镇|乡|街道)$", n) else "district_department"}
            for n in new)]
    return new
