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
import hashlib
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
from sqlalchemy import func, select

from app.extensions import db
from app.models import LIST_KINDS, Department, Plan
from app.services.plans import (
    COMPARATORS,
    LoadResult,
    PlanFileError,
    _Upserter,
    _write_case,
    _write_plan,
    parse_plan,
)
from workflows import errors
from workflows.dates import find_deadline, parse_deadline_strict
from workflows.permissions import can_load_plans
from workflows.plan_extraction import PlanTextError, decode_plan_bytes, extract_plan
from workflows.plan_extraction.departments import best_match, match_department
from workflows.vocabulary import Actor

NEW_DEPARTMENT = "+new"  # the choice "create this department"

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
# Departments
# ---------------------------------------------------------------------------------------


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


def _department_plan(draft: dict, create_departments: bool) -> tuple[dict[str, str], list[str]]:
    """(written name → known name, names to create), or raise DraftError naming the undecided."""
    mapping: dict[str, str] = {}
    new: list[str] = []
    undecided: list[str] = []
    unconfirmed: list[str] = []
    for item in department_matches(draft):
        name, choice = item["name"], item["choice"]
        if choice is None:
            undecided.append(name)
        elif choice == NEW_DEPARTMENT:
            if item["chosen_by"] == "office" or create_departments:
                new.append(name)
                mapping[name] = name
            else:
                unconfirmed.append(name)
        else:
            mapping[name] = choice
    if undecided:
        raise DraftError(_("Choose what these departments are (a known department, or a new one): %(names)s.",
                           names="、".join(undecided)))
    if unconfirmed:
        raise DraftError(_("These departments are not known: %(names)s. Correct them, or confirm that they are to be created.",
                           names="、".join(unconfirmed)))
    return mapping, list(dict.fromkeys(new))


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


def load_draft(record: DraftRecord, actor: Actor, *, create_departments: bool) -> LoadResult:
    """Load a reviewed draft as a new plan in one transaction, or raise DraftError."""
    _require_office(actor)
    draft = record.draft
    if record.plan_id is not None:
        raise DraftError(_("This draft has already been loaded as a plan."))
    errors = validate_draft(draft)
    if errors:
        record.errors = errors
        raise DraftError(_("The draft still has %(n)s errors: correct them first.", n=len(errors)))
    if db.session.scalar(select(Plan.id).where(Plan.title == draft["title"], Plan.year == draft["year"])):
        raise DraftError(_("A plan “%(title)s” (%(year)s) exists already: change the title or the year.",
                           title=draft["title"], year=draft["year"]))
    mapping, new = _department_plan(draft, create_departments)
    data = draft_to_plan_data(draft, new, mapping)
    try:
        parsed = parse_plan(data, record.file_name, _known_aliases())
    except PlanFileError as exc:
        raise DraftError(str(exc)) from exc
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
    try:  # the plan, its departments and the actuals kept: one transaction
        result = _write_plan(parsed, digest)
        _write_actuals(draft, result.plan, source=record.file_name)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    record.plan_id = result.plan.id
    save_draft(record)
    return result


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


def _actual_time(actual: dict, year: int) -> dt.datetime:
    """When an actual was reached: the end of its period ("截至10月底" → 31 Oct), else now.
    Its month is the actual's statistical period (without a period: the month it is loaded)."""
    period = actual.get("period") or ""
    day = find_deadline(period, year) if period else None
    if day is None:
        return dt.datetime.now(dt.UTC)
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.UTC)


def _write_actuals(draft: dict, plan: Plan, *, source: str = "", action_id: int | None = None,
                   keys: dict | None = None) -> None:
    """IndicatorActual rows for the actuals the office kept, on the loaded targets (no commit)."""
    from app.models import Case, Indicator, IndicatorActual

    def indicator_rows(owner_path: str):
        if owner_path.startswith("g"):
            goal_index = draft["goals"][int(owner_path[1:])]["index"]
            from app.models import Goal

            goal_id = db.session.scalar(select(Goal.id).where(Goal.plan_id == plan.id, Goal.index == goal_index))
            column, value = Indicator.goal_id, goal_id
        elif ".c" in owner_path:
            key = (keys or {}).get(owner_path)
            if key is None:
                ai, ci = (int(x) for x in owner_path[1:].split(".c"))
                key = f"{draft['actions'][ai]['index']}-{ci + 1}"
            case_id = db.session.scalar(select(Case.id).where(Case.plan_id == plan.id, Case.source_key == key))
            column, value = Indicator.case_id, case_id
        else:
            if action_id is None:
                from app.models import Action

                index = draft["actions"][int(owner_path[1:])]["index"]
                value = db.session.scalar(select(Action.id).where(Action.plan_id == plan.id, Action.index == index))
            else:
                value = action_id
            column = Indicator.action_id
        if value is None:
            return []
        return list(db.session.scalars(select(Indicator).where(column == value).order_by(Indicator.position)))

    for path, owner in _sections(draft):
        used = [a for a in owner.get("actuals", []) if a.get("use") and a.get("target") is not None]
        if not used:
            continue
        rows = indicator_rows(path)
        offset = 0 if action_id is None or ".c" in path else len(rows) - len(owner.get("indicators", []))
        for actual in used:
            position = offset + actual["target"]
            if 0 <= position < len(rows):
                reached = _actual_time(actual, draft["year"])
                extra = {"period": f"{reached.year:04d}-{reached.month:02d}"} if actual.get("period") else {}
                db.session.add(IndicatorActual(
                    indicator_id=rows[position].id, value=actual["value"], note=actual.get("quote") or "",
                    source=source[:100], **extra))
    db.session.flush()


# ---------------------------------------------------------------------------------------
# Loading into an existing plan: the draft's cases become an action's 实施方案
# ---------------------------------------------------------------------------------------


def plan_actions() -> list[dict]:
    """The actions a draft can be loaded into, by plan (newest plan first)."""
    from app.models import Action

    rows = db.session.execute(
        select(Plan.id, Plan.title, Plan.year, Action.id, Action.index, Action.title)
        .join(Action, Action.plan_id == Plan.id).order_by(Plan.year.desc(), Plan.title, Action.index))
    plans: dict[int, dict] = {}
    for plan_id, title, year, action_id, index, action_title in rows:
        plans.setdefault(plan_id, {"id": plan_id, "title": f"{title}（{year}）", "actions": []})["actions"].append(
            {"id": action_id, "label": f"（{index}）{action_title}"})
    return list(plans.values())


def load_into_action(record: DraftRecord, actor: Actor, action_id: int, *,
                     create_departments: bool) -> LoadResult:
    """Load the draft's cases (and its targets) into an existing plan's action, in one transaction."""
    from app.models import Action, Case, Indicator

    _require_office(actor)
    draft = record.draft
    if record.plan_id is not None:
        raise DraftError(_("This draft has already been loaded as a plan."))
    action = db.session.get(Action, action_id) if isinstance(action_id, int) else None
    if action is None:
        raise DraftError(_("Choose the action whose implementation plan this draft is."))
    errors = validate_draft(draft)
    if errors:
        record.errors = errors
        raise DraftError(_("The draft still has %(n)s errors: correct them first.", n=len(errors)))
    mapping, new = _department_plan(draft, create_departments)
    data = draft_to_plan_data(draft, new, mapping)
    try:
        parsed = parse_plan(data, record.file_name, _known_aliases())
    except PlanFileError as exc:
        raise DraftError(str(exc)) from exc
    plan = action.plan
    prefix = f"draft-{record.token[:10]}"
    keys: dict[str, str] = {}
    up = _Upserter()
    try:
        departments = {d.name: d for d in db.session.scalars(select(Department))}
        for dept in parsed["departments"]:
            if dept["name"] not in departments:
                departments[dept["name"]] = up.add(Department(name=dept["name"], kind=dept["kind"]))
        db.session.flush()
        seq = db.session.scalar(select(func.max(Case.seq)).where(Case.action_id == action.id)) or 0
        start = dt.date(plan.year, 1, 1)
        for ai, draft_action in enumerate(parsed["actions"]):
            for ci, case in enumerate(draft_action["cases"]):
                seq += 1
                key = f"{prefix}-{seq}"
                keys[f"a{ai}.c{ci}"] = key
                _write_case(up, plan, action, dict(case, key=key, seq=seq), departments, start)
        # The draft's goal and action targets become targets of the action.
        position = db.session.scalar(select(func.max(Indicator.position)).where(Indicator.action_id == action.id)) or 0
        for ind in [i for g in parsed["goals"] for i in g["indicators"]] + [
                i for a in parsed["actions"] for i in a["indicators"]]:
            if ind.get("generated"):
                continue  # a goal without a number: nothing to track under the action
            position += 1
            responsible = departments.get(ind["responsible_department"]) if ind["responsible_department"] else None
            up.add(Indicator(plan_id=plan.id, action_id=action.id, position=position, name=ind["name"],
                             value=ind["value"], value_max=ind["value_max"], unit=ind["unit"],
                             comparator=ind["comparator"], year=plan.year, quote=ind["quote"],
                             kind=ind["kind"], frequency=ind["frequency"], baseline=ind["baseline"],
                             schedule=ind["schedule"],
                             responsible_department_id=responsible.id if responsible else None))
        db.session.flush()
        _write_actuals(draft, plan, source=record.file_name, action_id=action.id, keys=keys)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    record.plan_id = plan.id
    draft["loaded_into_action"] = action.id
    save_draft(record)
    return LoadResult(plan=plan, created=up.created, updated=up.updated)
