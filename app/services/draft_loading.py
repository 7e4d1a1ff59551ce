"""Draft plans: loading a reviewed draft, as a new plan or into an existing plan's action.

Loading turns the draft into plan-file data and hands it to app.services.plans, which
validates and writes everything in one transaction (see app.services.drafts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import Department, Plan
from app.services.draft_departments import NEW_DEPARTMENT, _known_aliases, department_matches
from app.services.drafts import (
    DraftError,
    DraftRecord,
    _require_office,
    _sections,
    draft_to_plan_data,
    save_draft,
    validate_draft,
)
from app.services.plans import (
    LoadResult,
    PlanFileError,
    _Upserter,
    _write_case,
    _write_plan,
    parse_plan,
)
from workflows.dates import find_deadline
from workflows.vocabulary import Actor

# ---------------------------------------------------------------------------------------
# Loading as a new plan
# ---------------------------------------------------------------------------------------


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
# Actuals kept on loading
# ---------------------------------------------------------------------------------------


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
