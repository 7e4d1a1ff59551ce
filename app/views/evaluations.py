"""三看三评三比: the office scores task forces, departments, townships and streets per period."""

from __future__ import annotations

from flask import g, request
from flask_appbuilder import ModelView
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from wtforms.validators import InputRequired, NumberRange, ValidationError

from app.extensions import db
from app.models import Evaluation
from app.views.display import DisplayInterface
from workflows.periods import parse_period


def valid_period(form, field) -> None:
    """The period is written like the reports' (2024-Q2, 2024-06, 2024) and scored once per unit."""
    try:
        field.data = parse_period((field.data or "").strip()).key
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    department = form.department.data if hasattr(form, "department") else None
    if department is None:
        return
    existing = db.session.scalar(
        select(Evaluation.id).where(
            Evaluation.period_key == field.data, Evaluation.department_id == department.id
        )
    )
    editing = (request.view_args or {}).get("pk")  # FAB's edit route: /edit/<pk>
    if existing is not None and str(existing) != str(editing):
        raise ValidationError(_("This unit already has a score for this period: edit that one."))


SCORE = [InputRequired(), NumberRange(min=0, max=100)]


class EvaluationView(ModelView):
    """Scores of 看 (goals, scheduling, key tasks), 评 (results) and 比 (drive), 0–100 each."""

    datamodel = DisplayInterface(Evaluation)
    class_permission_name = "Evaluation"
    base_order = ("period_key", "desc")
    list_title = _("Evaluations")
    show_title = _("Evaluation details")
    add_title = _("Add an evaluation")
    edit_title = _("Edit an evaluation")
    list_columns = ["period_key", "department", "kan_score", "ping_score", "bi_score", "total", "remarks"]
    search_columns = ["period_key", "department"]
    add_columns = edit_columns = ["period_key", "department", "kan_score", "ping_score", "bi_score", "remarks"]
    show_columns = [*add_columns, "scored_at"]
    validators_columns = {
        "period_key": [InputRequired(), valid_period],
        "kan_score": SCORE,
        "ping_score": SCORE,
        "bi_score": SCORE,
    }
    label_columns = {
        "period_key": _("Period"),
        "department": _("Evaluated unit"),
        "kan_score": _("Look: goals, scheduling, key tasks"),
        "ping_score": _("Assess: results, duty, hard problems"),
        "bi_score": _("Compare: drive, performance, conduct"),
        "total": _("Total"),
        "remarks": _("Remarks"),
        "scored_at": _("Scored at"),
    }
    description_columns = {
        "period_key": _("2024-Q2 for a quarter, 2024-06 for a month, 2024 for the year."),
    }

    def pre_add(self, item) -> None:
        item.scored_by_id = g.user.id

    def pre_update(self, item) -> None:
        item.scored_by_id = g.user.id


def register(appbuilder) -> None:
    """Register the evaluation view under 方案."""
    appbuilder.add_view(
        EvaluationView, "Evaluations", label=_("Evaluations"), icon="fa-trophy", category="Plan"
    )
