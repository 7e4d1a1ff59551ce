"""Draft plans: a plan's text (or a draft's JSON) → a draft the office reviews → a loaded plan.

The extractor (workflows.plan_extraction) writes the draft in the `flask plan dump --json`
shape. The draft is kept as a JSON file until it is loaded; the review screen edits it in
place. Loading turns it into plan-file data and hands it to app.services.plans, which
validates and writes everything in one transaction — as a new plan, or into an existing
plan as the cases of one of its actions (the action's 实施方案).

Departments: every name the draft gives (on goals, actions and cases) is matched to the
installation's departments by `workflows.plan_extraction.departments` (abbreviations such as
区发改局 = 区发展和改革局, district prefixes, role words), each with a confidence. A trusted match
(≥ 0.9) is used unless the office chooses otherwise; any other name needs a choice: one of
the suggested departments, or "create it". A name with suggestions is never created
silently, so loading does not make 县教育局 and 县教育局（牵头） two departments.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.models import LIST_KINDS
from app.services.draft_departments import _named_departments, _norm, known_departments
from app.services.plans import COMPARATORS
from workflows import errors
from workflows.dates import parse_deadline_strict
from workflows.permissions import can_load_plans
from workflows.plan_extraction import PlanTextError, decode_plan_bytes, extract_plan
from workflows.vocabulary import Actor

KEEP_DAYS = 30  # an abandoned draft is removed after this many days
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SPLIT_DEPARTMENTS = re.compile(r"[、，,；;/／\n\r\t ]+")


class DraftError(errors.InvalidInput, ValueError):
    """A draft that cannot be made, found or loaded; the message is Chinese, for users."""

    code = "draft_error"


class DraftPermissionError(errors.Forbidden, PermissionError):
    """Only the supervision office and admins draft and load plans."""

    code = "draft_not_allowed"


@dataclass
class DraftRecord:
    """A stored draft: who made it, from which file, and the draft itself."""

    token: str
    user_id: int | None
    file_name: str
    created_at: str
    draft: dict
    plan_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"user_id": self.user_id, "file_name": self.file_name, "created_at": self.created_at,
                "draft": self.draft, "plan_id": self.plan_id}


def _require_office(actor: Actor) -> None:
    # Loading a plan creates cases for everyone: the same people who import lists.
    if not can_load_plans(actor):
        raise DraftPermissionError(_("Only the supervision office and administrators may draft and load plans."))


# ---------------------------------------------------------------------------------------
# Making and keeping drafts
# ---------------------------------------------------------------------------------------


def extract_draft(data: bytes, file_name: str, *, year: int | None = None) -> dict:
    """A draft from an uploaded file: a plan text (.txt UTF-8/GB18030, .docx) or a draft's JSON."""
    if file_name.lower().endswith(".json") or data.lstrip()[:1] == b"{":
        try:
            draft = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DraftError(_("%(name)s is not a valid draft JSON file.", name=file_name)) from exc
        if not isinstance(draft, dict) or not isinstance(draft.get("actions"), list):
            raise DraftError(_("%(name)s is not a draft: it has no actions (use the output of flask plan extract --json).",
                               name=file_name))
        draft.setdefault("goals", [])
        draft.setdefault("title", Path(file_name).stem)
        draft.setdefault("year", year or dt.date.today().year)
        return draft
    try:
        draft = extract_plan(decode_plan_bytes(data, file_name), year=year)
    except PlanTextError as exc:
        raise DraftError(str(exc)) from exc
    pair_actuals(draft)
    return draft


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "plan-drafts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_draft(record: DraftRecord) -> None:
    """Write a draft to its file."""
    path = _folder() / f"{record.token}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record.to_json(), ensure_ascii=False, default=str), encoding="utf-8")
    tmp.replace(path)


def create_draft(data: bytes, file_name: str, actor: Actor, user_id: int | None) -> DraftRecord:
    """Extract a draft from an uploaded file and keep it for review (30 days)."""
    _require_office(actor)
    draft = extract_draft(data, file_name)
    cutoff = time.time() - KEEP_DAYS * 24 * 3600
    for old in _folder().glob("*.json"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    record = DraftRecord(token=secrets.token_urlsafe(18), user_id=user_id, file_name=file_name,
                         created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), draft=draft)
    save_draft(record)
    return record


def get_draft(token: str, actor: Actor, user_id: int | None) -> DraftRecord:
    """A stored draft of this user (the office's drafts are personal until loaded)."""
    _require_office(actor)
    path = _folder() / f"{token}.json"
    if not _TOKEN.match(token or "") or not path.exists():
        raise DraftError(_("This draft does not exist (any more): upload the plan again."))
    stored = json.loads(path.read_text(encoding="utf-8"))
    if stored.get("user_id") != user_id:
        raise DraftError(_("This draft does not exist (any more): upload the plan again."))
    return DraftRecord(token=token, **stored)


# ---------------------------------------------------------------------------------------
# The review form
# ---------------------------------------------------------------------------------------


def _sections(draft: dict):
    """(path, section) for goals ("g0"), actions ("a0") and cases ("a0.c3"), in page order."""
    for gi, goal in enumerate(draft.get("goals", [])):
        yield f"g{gi}", goal
    for ai, action in enumerate(draft.get("actions", [])):
        yield f"a{ai}", action
        for ci, case in enumerate(action.get("cases", [])):
            yield f"a{ai}.c{ci}", case


def _number(text: str):
    """A form's number text → int or float, or raise ValueError."""
    text = unicodedata.normalize("NFKC", str(text)).replace(",", "").strip()
    value = Decimal(text)
    if not value.is_finite() or abs(value) >= Decimal(10) ** 14:
        raise InvalidOperation(text)
    return int(value) if value == value.to_integral_value() else float(value)


def apply_corrections(record: DraftRecord, form) -> dict[str, str]:
    """Write the review form's values into the draft and save it; return errors by field.

    A field with a bad value keeps what the user typed, so the form shows it again with
    its error; loading refuses until every error is corrected.
    """
    draft = record.draft
    get = form.get

    def text(name: str, current):
        value = get(name)
        return current if value is None else value.strip()

    choices = draft.setdefault("department_choices", {})
    for key in form:
        m = re.fullmatch(r"dept(\d+)\.name", key)
        if m:
            choice = (get(f"dept{m.group(1)}.choice") or "").strip()
            if choice and choice != (get(f"dept{m.group(1)}.auto") or ""):
                choices[get(key)] = choice  # the office chose otherwise than the match
            else:
                choices.pop(get(key), None)
    draft["title"] = text("title", draft.get("title", ""))
    draft["issuer"] = text("issuer", draft.get("issuer") or "") or None
    year_text = text("year", str(draft.get("year", "")))
    try:
        draft["year"] = int(year_text)
    except ValueError:
        draft["year"] = year_text
    for path, owner in list(_sections(draft)):
        owner["title"] = text(f"{path}.title", owner.get("title", ""))
        if path.startswith("a") and ".c" not in path:
            owner["subtitle"] = text(f"{path}.subtitle", owner.get("subtitle") or "") or None
            owner["lead_department"] = text(f"{path}.lead", owner.get("lead_department") or "") or None
        if path.startswith("g"):
            for key, name in (("lead_departments", "leads"), ("partner_departments", "partners")):
                value = get(f"{path}.{name}")
                if value is not None:
                    owner[key] = [n for n in _SPLIT_DEPARTMENTS.split(value.strip()) if n]
        if ".c" in path:
            owner["list_kind"] = text(f"{path}.list_kind", owner.get("list_kind", "task"))
            owner["deadline"] = text(f"{path}.deadline", owner.get("deadline", ""))
            for key, name in (("lead_departments", "leads"), ("partner_departments", "partners")):
                value = get(f"{path}.{name}")
                if value is not None:
                    owner[key] = [n for n in _SPLIT_DEPARTMENTS.split(value.strip()) if n]
        for ii, ind in enumerate(owner.get("indicators", [])):
            ipath = f"{path}.i{ii}"
            for key in ("name", "unit", "comparator"):
                ind[key] = text(f"{ipath}.{key}", ind.get(key, ""))
            for key in ("value", "value_max"):
                value = get(f"{ipath}.{key}")
                if value is not None:
                    try:
                        ind[key] = _number(value) if value.strip() else None
                    except (InvalidOperation, ValueError):
                        ind[key] = value.strip()  # shown again with its error
            ind["_delete"] = bool(get(f"{ipath}.delete"))
        for xi, actual in enumerate(owner.get("actuals", [])):
            if get(f"{path}.x{xi}.seen") is not None:  # the row was on the form
                actual["use"] = bool(get(f"{path}.x{xi}.use"))
        owner["_delete"] = bool(get(f"{path}.delete"))
    _add_from_form(draft, get("op") or "")
    # Deletions last, so that the positions in the field names held above.
    def keep(items: list[dict]) -> list[dict]:
        return [item for item in items if not item.pop("_delete", False)]

    for goal in draft.get("goals", []):
        goal.pop("_delete", None)
        goal["indicators"] = keep(goal.get("indicators", []))
    draft["actions"] = keep(draft.get("actions", []))
    for action in draft["actions"]:
        action["indicators"] = keep(action.get("indicators", []))
        action["cases"] = keep(action.get("cases", []))
        for case in action["cases"]:
            case["indicators"] = keep(case.get("indicators", []))
    record.errors = validate_draft(draft)
    save_draft(record)
    return record.errors


def _owner(draft: dict, path: str) -> dict | None:
    return next((owner for p, owner in _sections(draft) if p == path), None)


def _add_from_form(draft: dict, op: str) -> None:
    """"add_target:a0.c1" adds an empty target to that case (goal, action); "add_case:a0" an
    empty case to that action. The new fields show their errors until they are filled in."""
    kind, _sep, path = op.partition(":")
    owner = _owner(draft, path) if path else None
    if kind == "add_target" and owner is not None:
        owner.setdefault("indicators", []).append(
            {"name": "", "value": None, "unit": "", "comparator": "=", "quote": "", "added": True})
    elif kind == "add_case" and owner is not None and ".c" not in path and path.startswith("a"):
        owner.setdefault("cases", []).append({
            "title": "", "text": "", "list_kind": "task", "lead_departments": [],
            "partner_departments": [], "deadline": f"{draft.get('year')}-12-31", "indicators": [],
            "added": True})


def validate_draft(draft: dict) -> dict[str, str]:
    """Every problem of the draft, by the review form's field name, in Chinese."""
    errors: dict[str, str] = {}
    year = draft.get("year")
    if not draft.get("title"):
        errors["title"] = _("Missing value: the plan needs a title.")
    elif len(draft["title"]) > 200:
        errors["title"] = _("At most %(n)s characters.", n=200)
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = _("The year must be a number such as 2024.")
        year = dt.date.today().year
    for path, owner in _sections(draft):
        title = owner.get("title") or ""
        if not title:
            errors[f"{path}.title"] = _("Missing value: a title is needed.")
        elif len(title) > 200:
            errors[f"{path}.title"] = _("At most %(n)s characters.", n=200)
        if ".c" in path:
            if owner.get("list_kind") not in LIST_KINDS:
                errors[f"{path}.list_kind"] = _("Choose the task, policy or project list.")
            try:
                deadline = parse_deadline_strict(owner.get("deadline") or "", year)
            except ValueError as exc:
                errors[f"{path}.deadline"] = str(exc)
            else:
                if deadline is None:
                    errors[f"{path}.deadline"] = _("Missing value: a deadline is needed (e.g. 2024-12-31 or 年底).")
                else:
                    owner["deadline"] = deadline.isoformat()
        for ii, ind in enumerate(owner.get("indicators", [])):
            ipath = f"{path}.i{ii}"
            if not ind.get("name"):
                errors[f"{ipath}.name"] = _("Missing value: a target needs a name.")
            elif len(ind["name"]) > 200:
                errors[f"{ipath}.name"] = _("At most %(n)s characters.", n=200)
            if not isinstance(ind.get("value"), (int, float)) or isinstance(ind.get("value"), bool):
                errors[f"{ipath}.value"] = _("Not a number: “%(value)s”.",
                                             value="" if ind.get("value") is None else ind["value"])
            value_max = ind.get("value_max")
            if value_max is not None and (not isinstance(value_max, (int, float)) or (
                    isinstance(ind.get("value"), (int, float)) and value_max < ind["value"])):
                errors[f"{ipath}.value_max"] = _("The upper value must be a number not below the value.")
            if ind.get("comparator") not in COMPARATORS:
                errors[f"{ipath}.comparator"] = _("Choose ≥, ≤ or =.")
            if len(ind.get("unit") or "") > 30:
                errors[f"{ipath}.unit"] = _("At most %(n)s characters.", n=30)
        for xi, actual in enumerate(owner.get("actuals", [])):
            target = actual.get("target")
            if actual.get("use") and not (isinstance(target, int) and 0 <= target < len(owner.get("indicators", []))):
                errors[f"{path}.x{xi}.use"] = _("This actual value has no target to report on: untick it.")
    for name in _named_departments(draft):
        if len(name) > 100:
            errors.setdefault("departments", _("Department name too long: “%(name)s”.", name=name[:30]))
    return errors


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


def _indicators(items: list[dict], responsible: str | None = None) -> list[dict]:
    """Targets in the plan-file shape; ``responsible`` is the unit that reports them (a goal's
    or an action's lead: the text names it there, e.g. "1.地区生产总值增长6.2%。牵头单位：区发改局")."""
    result = []
    for ind in items:
        data = {"name": ind["name"], "value": ind["value"], "unit": ind.get("unit") or "",
                "comparator": ind["comparator"], "quote": ind.get("quote") or ""}
        if ind.get("value_max") is not None:
            data["value_max"] = ind["value_max"]
        if responsible:
            data["responsible_department"] = responsible
        result.append(data)
    return result


def draft_to_plan_data(draft: dict, new_departments: list[str], mapping: dict[str, str] | None = None) -> dict:
    """The draft in the plan-file shape of app.services.plans (new units as district departments)."""
    known = known_departments()
    mapping = mapping or {}

    def canonical(name: str) -> str:
        return mapping.get(name) or known.get(_norm(name), name)

    return {
        "title": draft["title"],
        "year": draft["year"],
        "issuer": draft.get("issuer") or None,
        "departments": [{"name": n, "kind": "district_department"} for n in new_departments],
        "goals": [
            {"index": g["index"], "title": g["title"], "text": g.get("text") or "",
             "indicators": _indicators(g.get("indicators", []),
                                       canonical(g["lead_departments"][0]) if g.get("lead_departments") else None)}
            for g in draft.get("goals", [])
        ],
        "actions": [
            {
                "index": a["index"], "title": a["title"], "subtitle": a.get("subtitle") or None,
                "text": a.get("text") or "",
                "lead_department": canonical(a["lead_department"]) if a.get("lead_department") else None,
                "indicators": _indicators(a.get("indicators", []),
                                          canonical(a["lead_department"]) if a.get("lead_department") else None),
                "cases": [
                    {
                        "title": c["title"], "text": c.get("text") or "", "list_kind": c["list_kind"],
                        "lead_departments": list(dict.fromkeys(canonical(n) for n in c.get("lead_departments", []))),
                        "partner_departments": list(dict.fromkeys(
                            canonical(n) for n in c.get("partner_departments", []))),
                        "deadline": c["deadline"], "milestones": [],
                        "indicators": _indicators(c.get("indicators", [])),
                    }
                    for c in a.get("cases", [])
                ],
            }
            for a in draft.get("actions", [])
        ],
    }


# ---------------------------------------------------------------------------------------
# Actuals: values a progress report gives, offered as the targets' first actual values
# ---------------------------------------------------------------------------------------


def pair_actuals(draft: dict) -> None:
    """Offer each actual value to the one target of its owner with the same unit (if exactly one)."""
    for _path, owner in _sections(draft):
        indicators = owner.get("indicators", [])
        for actual in owner.get("actuals", []):
            if "target" in actual:
                continue
            same = [i for i, ind in enumerate(indicators) if ind.get("unit") == actual.get("unit")]
            actual["target"] = same[0] if len(same) == 1 and actual.get("kind") == "actual" else None
            actual["use"] = actual["target"] is not None
