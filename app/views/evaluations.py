"""三看三评三比 pages: periods, a period's ranking by peer group, a unit's parts with their facts,
the office's scoring form, compute / publish / Excel export, and the scheme (its versions).

Thin: each handler parses the form, calls one function of app.services.evaluation, and shows
the result or flashes `translate(err)`. Who sees which result is decided in the service.
"""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _

from app.errors import translate
from app.security import current_actor
from app.services import evaluation
from workflows import permissions
from workflows.documents import PRAISE_RULES
from workflows.errors import DomainError, NotFound
from workflows.evaluation import COMPUTED

CREDIT_LABELS = {
    "green": _("Indicator on track (green)"),
    "yellow": _("Indicator slightly behind (yellow)"),
    "red": _("Indicator behind (red)"),
    "unreported": _("Indicator not reported"),
    "late_done": _("Task finished after its deadline"),
}


class EvaluationView(BaseView):
    route_base = "/evaluation"
    class_permission_name = "Evaluation"
    method_permission_name = {
        "index": "list", "period": "list", "unit": "show", "export": "download", "scheme": "list",
        "compute": "edit", "publish": "edit", "withdraw": "edit", "score": "edit", "save_scheme": "edit",
    }
    default_view = "index"

    def _not_found(self, exc: DomainError):
        return self.render_template("case/not_found.html", title=gettext("Not found"),
                                    message=translate(exc)), 404

    @expose("/")
    @has_access
    def index(self):
        actor = current_actor()
        try:
            periods = evaluation.periods(actor)
        except NotFound:
            periods = []
        return self.render_template("evaluation/index.html", periods=periods, title=gettext("Evaluations"),
                                    may_run=permissions.can_run_evaluation(actor))

    @expose("/compute", methods=["POST"])
    @has_access
    def compute(self):
        period = request.form.get("period", "")
        try:
            data = evaluation.compute(period, actor=current_actor())
        except DomainError as exc:
            flash(translate(exc), "danger")
            return redirect(url_for("EvaluationView.index"))
        flash(gettext("Computed the evaluation of %(period)s: %(count)s units.", period=data["label"],
                      count=len(data["units"])), "success")
        return redirect(url_for("EvaluationView.period", period_key=data["period"]))

    @expose("/<period_key>/")
    @has_access
    def period(self, period_key):
        actor = current_actor()
        try:
            data = evaluation.results(actor, period_key)
        except DomainError as exc:
            return self._not_found(exc)
        may_run = permissions.can_run_evaluation(actor)
        units = evaluation.scored_units(period_key) if may_run else []
        return self.render_template("evaluation/period.html", d=data, may_run=may_run, units=units,
                                    title=gettext("Evaluation of %(period)s", period=data["label"]))

    @expose("/<period_key>/publish", methods=["POST"])
    @has_access
    def publish(self, period_key):
        try:
            count = evaluation.publish(current_actor(), period_key)
            flash(gettext("Published: %(count)s units now see their results.", count=count), "success")
        except DomainError as exc:
            flash(translate(exc), "danger")
        return redirect(url_for("EvaluationView.period", period_key=period_key))

    @expose("/<period_key>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, period_key):
        try:
            evaluation.withdraw(current_actor(), period_key)
            flash(gettext("Publication withdrawn: the units no longer see these results."), "success")
        except DomainError as exc:
            flash(translate(exc), "danger")
        return redirect(url_for("EvaluationView.period", period_key=period_key))

    @expose("/<period_key>/export")
    @has_access
    def export(self, period_key):
        try:
            name, data = evaluation.export_xlsx(current_actor(), period_key)
        except DomainError as exc:
            return self._not_found(exc)
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename={name}"})

    @expose("/<period_key>/<int:department_id>")
    @has_access
    def unit(self, period_key, department_id):
        try:
            data = evaluation.unit_result(current_actor(), period_key, department_id)
            period = evaluation.evaluation_period(period_key)
        except DomainError as exc:
            return self._not_found(exc)
        return self.render_template("evaluation/unit.html", u=data, period=period, as_number=evaluation.as_number,
                                    title=gettext("%(unit)s: evaluation of %(period)s", unit=data["unit"],
                                                  period=period.label_zh))

    @expose("/<period_key>/<int:department_id>/score", methods=["GET", "POST"])
    @has_access
    def score(self, period_key, department_id):
        actor = current_actor()
        if request.method == "POST":
            try:
                evaluation.save_scores(actor, period_key, department_id, request.form.to_dict())
            except DomainError as exc:
                flash(translate(exc), "danger")
                return redirect(url_for("EvaluationView.score", period_key=period_key, department_id=department_id))
            flash(gettext("Scores saved. Compute the period again to update the ranking."), "success")
            return redirect(url_for("EvaluationView.period", period_key=period_key))
        try:
            if not permissions.can_run_evaluation(actor):
                raise evaluation.MayNotRunEvaluation()
            period = evaluation.evaluation_period(period_key)
            unit = next(u for u in evaluation.scored_units(period.key) if u["id"] == department_id)
        except StopIteration:
            return self._not_found(evaluation.EvaluationNotFound())
        except DomainError as exc:
            return self._not_found(exc) if isinstance(exc, NotFound) else (translate(exc), exc.status)
        scheme = evaluation.scheme_in_force()
        mine = evaluation.office_scores(period.key, department_id, actor.user_id)
        return self.render_template("evaluation/score.html", unit=unit, period=period, criteria=scheme.scored_criteria(),
                                    mine=mine, as_number=evaluation.as_number,
                                    title=gettext("Score %(unit)s", unit=unit["name"]))

    @expose("/scheme")
    @has_access
    def scheme(self):
        actor = current_actor()
        return self.render_template("evaluation/scheme.html", s=evaluation.scheme_in_force(),
                                    data=evaluation.scheme_data(), versions=evaluation.scheme_versions(),
                                    may_run=permissions.can_run_evaluation(actor), praise_rules=PRAISE_RULES, computed_help=COMPUTED,
                                    as_number=evaluation.as_number, title=gettext("Evaluation scheme"),
                                    credit_labels=[(k, CREDIT_LABELS[k]) for k in CREDIT_LABELS])

    @expose("/scheme", methods=["POST"])
    @has_access
    def save_scheme(self):
        try:
            scheme = evaluation.save_scheme(current_actor(), request.form.to_dict(), request.form.get("note", ""))
            flash(gettext("Saved the scheme as version %(version)s.", version=scheme.version), "success")
        except DomainError as exc:
            flash(translate(exc), "danger")
        return redirect(url_for("EvaluationView.scheme"))


def register(appbuilder) -> None:
    """三看三评三比 under the plan menu."""
    appbuilder.add_view(EvaluationView, "Evaluations", label=_("Evaluations"), icon="fa-trophy", category="Plan")
