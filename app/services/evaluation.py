"""三看三评三比 (issue 12 part 1): the scheme's versions, the office's scores, computing,
publishing, reading and exporting the results. Each act is one transaction.

The rules are workflows.evaluation (the scheme) and workflows.evaluation_scoring (the
scores); the facts come from app.services.evaluation_facts. Who may do what is
workflows.permissions (`can_run_evaluation`, `evaluation_visibility`): the office computes
and sees everything; a leader sees published results; a unit sees its own once published.
"""

from __future__ import annotations

import gc
import io
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import delete, func, select

from app.clock import utcnow
from app.extensions import db
from app.models import Department, EvaluationResult, EvaluationScheme, EvaluationScore, Plan
from app.services.evaluation_facts import gather
from workflows import permissions
from workflows.evaluation import (
    DEFAULT_SCHEME,
    EvaluationNotComputed,
    EvaluationNotFound,
    EvaluationNotPublished,
    EvaluationPublished,
    MayNotRunEvaluation,
    Scheme,
    edited,
    evaluation_period,
    parse_score,
    scheme_from_dict,
)
from workflows.evaluation_scoring import evaluate
from workflows.vocabulary import SYSTEM, Actor, Role

NOTE_LIMIT = 500


@contextmanager
def _no_gc_pauses():
    """The cyclic garbage collector held off while a period's facts are gathered and scored:
    a province's period builds some hundred thousand small, acyclic objects (a fact per task,
    per (task, dekad) pair, per event, and their worded dicts), each freed by its reference
    count; the collector's full passes over them would find nothing and cost a third of the
    computation (issue 14). It runs again, as it was, as soon as they are built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ensure_office(actor: Actor) -> None:
    if not permissions.can_run_evaluation(actor):
        raise MayNotRunEvaluation()


# --------------------------------------------------------------------------- the scheme


def scheme_in_force() -> Scheme:
    """The latest version (the default scheme as version 1 until the office saves one)."""
    row = db.session.scalar(select(EvaluationScheme).order_by(EvaluationScheme.version.desc()).limit(1))
    if row is None:
        return scheme_from_dict(DEFAULT_SCHEME, 1)
    return scheme_from_dict(row.rules, row.version)


def scheme_data() -> dict:
    row = db.session.scalar(select(EvaluationScheme).order_by(EvaluationScheme.version.desc()).limit(1))
    return row.rules if row is not None else DEFAULT_SCHEME


def scheme_versions() -> list[EvaluationScheme]:
    return list(db.session.scalars(select(EvaluationScheme).order_by(EvaluationScheme.version.desc())))


def _stored_scheme(actor: Actor) -> Scheme:
    """The scheme in force, stored as version 1 the first time it is used."""
    if db.session.scalar(select(func.count()).select_from(EvaluationScheme)) == 0:
        db.session.add(EvaluationScheme(version=1, rules=DEFAULT_SCHEME, note="默认方案",
                                        created_by_id=actor.user_id))
        db.session.flush()
    return scheme_in_force()


def save_scheme(actor: Actor, form: dict, note: str = "") -> Scheme:
    """The office's edit as a new version; results computed before keep theirs."""
    _ensure_office(actor)
    try:
        rules = edited(scheme_data(), form)
        current = _stored_scheme(actor)
        version = current.version + 1
        db.session.add(EvaluationScheme(version=version, rules=rules, note=(note or "").strip()[:200],
                                        created_by_id=actor.user_id))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return scheme_in_force()


# --------------------------------------------------------------------------- the office's scores


def _plan(plan_id: int | None, actor: Actor = SYSTEM) -> Plan:
    """The plan evaluated: the one named, else the plan in force. An office or leader of an
    organisation (the cascade) only evaluates and sees its organisations' plans: for them the
    plan in force is their latest, and another district's plan is not found."""
    from app.services.plans import latest_plan

    scope = None if Role.ADMIN in actor.roles else actor.organisation_ids
    if plan_id:
        plan = db.session.get(Plan, plan_id)
    elif scope is not None:
        plan = db.session.scalar(select(Plan).where(Plan.organisation_id.in_(sorted(scope)))
                                 .order_by((Plan.kind == "overall").desc(), Plan.year.desc(), Plan.loaded_at.desc())
                                 .limit(1))
    else:
        plan = latest_plan()
    if plan is None or (scope is not None and plan.organisation_id not in scope):
        raise EvaluationNotFound()
    return plan


def _published(period_key: str, plan_id: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(EvaluationResult).where(
        EvaluationResult.period_key == period_key, EvaluationResult.plan_id == plan_id,
        EvaluationResult.published_at.is_not(None))) > 0


def office_scores(period_key: str, department_id: int, scorer_id: int | None) -> dict:
    """The scorer's own scores and comments of a unit, by criterion (for the form)."""
    rows = db.session.scalars(select(EvaluationScore).where(
        EvaluationScore.period_key == period_key, EvaluationScore.department_id == department_id,
        EvaluationScore.scorer_id == scorer_id))
    return {r.criterion: {"score": r.score, "comment": r.comment} for r in rows}


def save_scores(actor: Actor, period_text: str, department_id: int, form: dict, plan_id: int | None = None) -> int:
    """Save one scorer's 三评/三比 scores of a unit: `<criterion>` and `<criterion>.comment` per
    office-scored criterion; an empty score removes the scorer's own. All or nothing."""
    _ensure_office(actor)
    period = evaluation_period(period_text)
    plan = _plan(plan_id, actor)
    if _published(period.key, plan.id):
        raise EvaluationPublished(period=period.key)
    department = db.session.get(Department, department_id)
    scope = None if Role.ADMIN in actor.roles else actor.organisation_ids
    if department is None or (scope is not None and department.organisation_id not in scope):
        raise EvaluationNotFound()
    scheme = scheme_in_force()
    saved = 0
    try:
        for key, criterion in scheme.scored_criteria():
            raw = str(form.get(key, "") or "").strip()
            comment = str(form.get(f"{key}.comment", "") or "").strip()[:NOTE_LIMIT]
            existing = db.session.scalar(select(EvaluationScore).where(
                EvaluationScore.period_key == period.key, EvaluationScore.department_id == department_id,
                EvaluationScore.criterion == key, EvaluationScore.scorer_id == actor.user_id))
            if not raw:
                if existing is not None:
                    db.session.delete(existing)
                continue
            value = parse_score(raw, criterion)
            if existing is None:
                existing = EvaluationScore(period_key=period.key, department_id=department_id, criterion=key,
                                           scorer_id=actor.user_id)
                db.session.add(existing)
            existing.score, existing.comment, existing.scored_at = value, comment, utcnow()
            saved += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return saved


# --------------------------------------------------------------------------- computing, publishing


def compute(period_text: str, *, plan_id: int | None = None, actor: Actor = SYSTEM, save: bool = True) -> dict:
    """Every unit's result for the period. Saved (replacing the last computation) unless the
    period is published: then the published results are returned as they are."""
    _ensure_office(actor)
    period = evaluation_period(period_text)
    plan = _plan(plan_id, actor)
    if _published(period.key, plan.id):
        return results(actor, period.key, plan.id)
    try:
        scheme = _stored_scheme(actor) if save else scheme_in_force()
        with _no_gc_pauses():
            outcome = evaluate(scheme, gather(scheme, period, plan.id))
        if save:
            db.session.execute(delete(EvaluationResult).where(EvaluationResult.period_key == period.key,
                                                              EvaluationResult.plan_id == plan.id))
            for r in outcome:
                db.session.add(EvaluationResult(
                    plan_id=plan.id, period_key=period.key, department_id=r.unit_id, group_key=r.group,
                    scheme_version=scheme.version, kan=r.subtotals["kan"], ping=r.subtotals["ping"],
                    bi=r.subtotals["bi"], total=r.total, rank=r.rank, parts=[p.as_dict() for p in r.parts]))
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    names = {g.key: g.name for g in scheme.groups}
    return {"period": period.key, "label": period.label_zh, "plan": plan.title, "published": False,
            "scheme_version": scheme.version, "units": [r.as_dict(names.get(r.group, r.group)) for r in outcome]}


def province_results(period_text: str) -> list[dict]:
    """Every unit's result for the period over all plans (a province's platform), computed
    and not saved: what `compute` does for one plan, for the bench and the office's overview."""
    period = evaluation_period(period_text)
    scheme = scheme_in_force()
    names = {g.key: g.name for g in scheme.groups}
    with _no_gc_pauses():
        return [r.as_dict(names.get(r.group, r.group)) for r in evaluate(scheme, gather(scheme, period, None))]


def publish(actor: Actor, period_text: str, plan_id: int | None = None) -> int:
    """Publish the computed results: the units see them; they no longer change."""
    _ensure_office(actor)
    period = evaluation_period(period_text)
    plan = _plan(plan_id, actor)
    if _published(period.key, plan.id):
        raise EvaluationPublished(period=period.key)
    rows = list(db.session.scalars(select(EvaluationResult).where(
        EvaluationResult.period_key == period.key, EvaluationResult.plan_id == plan.id)))
    if not rows:
        raise EvaluationNotComputed(period=period.key)
    now = utcnow()
    for row in rows:
        row.published_at, row.published_by_id = now, actor.user_id
    db.session.commit()
    return len(rows)


def withdraw(actor: Actor, period_text: str, plan_id: int | None = None) -> int:
    """Withdraw a publication (to correct it): the units no longer see the results; the
    office may score and compute again, then publish anew."""
    _ensure_office(actor)
    period = evaluation_period(period_text)
    plan = _plan(plan_id, actor)
    rows = list(db.session.scalars(select(EvaluationResult).where(
        EvaluationResult.period_key == period.key, EvaluationResult.plan_id == plan.id,
        EvaluationResult.published_at.is_not(None))))
    if not rows:
        raise EvaluationNotPublished(period=period.key)
    for row in rows:
        row.published_at, row.published_by_id = None, None
    db.session.commit()
    return len(rows)


# --------------------------------------------------------------------------- reading


def _row_dict(row: EvaluationResult, group_names: dict) -> dict:
    return {"unit": row.department.name, "unit_id": row.department_id, "group": row.group_key,
            "group_name": group_names.get(row.group_key, row.group_key), "total": float(row.total),
            "rank": row.rank, "subtotals": {"kan": float(row.kan), "ping": float(row.ping), "bi": float(row.bi)},
            "parts": row.parts, "scheme_version": row.scheme_version,
            "published": row.published_at is not None}


def _group_names() -> dict:
    names = {g["key"]: g["name"] for g in DEFAULT_SCHEME["groups"]}
    for version in reversed(scheme_versions()):
        names.update({g["key"]: g["name"] for g in version.rules.get("groups", [])})
    return names


def results(actor: Actor, period_text: str, plan_id: int | None = None) -> dict:
    """The stored results of a period the actor may see (server-side: `evaluation_visibility`)."""
    period = evaluation_period(period_text)
    plan = _plan(plan_id, actor)
    rows = db.session.scalars(select(EvaluationResult).where(
        EvaluationResult.period_key == period.key, EvaluationResult.plan_id == plan.id))
    names = _group_names()
    order = {g["key"]: i for i, g in enumerate(DEFAULT_SCHEME["groups"])}
    visible = [r for r in rows if permissions.evaluation_visibility(actor, r.published_at is not None,
                                                                    r.department_id)]
    visible.sort(key=lambda r: (order.get(r.group_key, 99), r.rank, r.department.name))
    published = _published(period.key, plan.id)
    return {"period": period.key, "label": period.label_zh, "plan": plan.title, "plan_id": plan.id,
            "published": published, "scheme_version": visible[0].scheme_version if visible else None,
            "units": [_row_dict(r, names) for r in visible]}


def unit_result(actor: Actor, period_text: str, department_id: int, plan_id: int | None = None) -> dict:
    found = [u for u in results(actor, period_text, plan_id)["units"] if u["unit_id"] == department_id]
    if not found:
        raise EvaluationNotFound()
    return found[0]


def periods(actor: Actor, plan_id: int | None = None) -> list[dict]:
    """The periods with results the actor may see, newest first."""
    plan = _plan(plan_id, actor)
    rows = db.session.execute(select(EvaluationResult.period_key, EvaluationResult.department_id,
                                     EvaluationResult.published_at).where(EvaluationResult.plan_id == plan.id))
    found: dict[str, bool] = {}
    for key, department_id, published_at in rows:
        if permissions.evaluation_visibility(actor, published_at is not None, department_id):
            found[key] = published_at is not None
    return [{"key": k, "label": evaluation_period(k).label_zh, "published": v}
            for k, v in sorted(found.items(), reverse=True)]


def scored_units(period_text: str, plan_id: int | None = None) -> list[dict]:
    """The units of the period's computation with how many scores each has (the office's list)."""
    period = evaluation_period(period_text)
    counts = dict(db.session.execute(select(EvaluationScore.department_id, func.count()).where(
        EvaluationScore.period_key == period.key).group_by(EvaluationScore.department_id)).all())
    return [{"id": d.id, "name": d.name, "kind": d.kind, "scores": counts.get(d.id, 0)}
            for d in db.session.scalars(select(Department).where(
                Department.kind.in_(("task_force", "district_department", "township"))).order_by(Department.id))]


# --------------------------------------------------------------------------- Excel


def export_xlsx(actor: Actor, period_text: str, plan_id: int | None = None) -> tuple[str, bytes]:
    """The results the actor may see as a workbook: 排名 (one row per unit, a column per part)
    and 评分依据 (every fact of every part)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from app.services.excel_safety import keep_text

    data = results(actor, period_text, plan_id)
    if not data["units"]:
        raise EvaluationNotComputed(period=data["period"])
    wb = Workbook()
    ws = wb.active
    ws.title = "排名"
    part_names = [p["name"] for p in data["units"][0]["parts"]]
    header = ["组别", "名次", "单位", "总分", "三看", "三评", "三比", *part_names, "方案版本"]
    ws.append([f"{data['label']}“三看三评三比”评价结果（{'已发布' if data['published'] else '未发布'}）"])
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for u in data["units"]:
        scores = {p["name"]: p["score"] for p in u["parts"]}
        ws.append([u["group_name"], u["rank"], u["unit"], u["total"], u["subtotals"]["kan"], u["subtotals"]["ping"],
                   u["subtotals"]["bi"], *[scores.get(n) for n in part_names], u["scheme_version"]])
    facts = wb.create_sheet("评分依据")
    facts.append(["单位", "评价项目", "得分", "满分", "来源", "说明", "依据"])
    for cell in facts[1]:
        cell.font = Font(bold=True)
    for u in data["units"]:
        for p in u["parts"]:
            source = "系统计算" if p["computed"] else "督查室评分"
            texts = [f["text"] for f in p["facts"]] or [""]
            for text in texts:
                facts.append([u["unit"], p["name"], p["score"], p["max"], source, p["note"], text])
    for sheet in (ws, facts):
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    keep_text(cell)
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    facts.column_dimensions["G"].width = 80
    ws.column_dimensions["C"].width = 24
    out = io.BytesIO()
    wb.save(out)
    return f"evaluation-{data['period']}.xlsx", out.getvalue()


def as_number(value) -> str:
    """A score as the pages print it (12.5, 20)."""
    return f"{Decimal(str(value)).normalize():f}"
