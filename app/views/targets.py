"""指标填报: the goal targets page and one target's page, where the responsible unit reports actuals.

Forms post to an endpoint that parses them, calls app.services.indicators.record_actual, flashes
the outcome in the user's language and goes back to the target's page.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _

from app.errors import translate
from app.security import current_actor
from app.services import cascade, indicators, plan_scope
from workflows.errors import DomainError, NotFound
from workflows.permissions import can_load_plans
from workflows.targets import Judgement


class TargetView(BaseView):
    """The plan's goal targets with their lights, and each target's actuals and entry form."""

    route_base = "/targets"
    class_permission_name = "Target"
    method_permission_name = {"index": "list", "show": "show", "report": "report",
                              "contribution": "report"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """The goal targets (主要目标) of the plan, with the entry link where the user may report."""
        actor = current_actor()
        plan = plan_scope.chosen_plan(actor.user_id)
        shown = [plan] if plan else [p for p in plan_scope.plans(actor) if p.action_id is None]
        rows = []
        for one in shown:
            for row in indicators.goal_targets(one.id, actor):
                if plan is None:
                    row["goal"] = f"{one.year}年{row['goal']}"
                rows.append(row)
        return self.render_template(
            "indicators/index.html", plan=plan, plans=shown, d={"indicators": rows},
            counts=indicators.light_counts(rows), show_entry=True, title=gettext("Goal targets"),
        )

    @expose("/<int:indicator_id>")
    @has_access
    def show(self, indicator_id):
        """One target: meaning, latest status, every recorded version, and the entry form."""
        try:
            data = indicators.indicator_detail(indicator_id, current_actor())
        except NotFound as exc:
            return self.render_template("case/not_found.html", title=gettext("Not found"),
                                        message=translate(exc)), 404
        actor = current_actor()
        choices = []
        if can_load_plans(actor):
            from app.extensions import db
            from app.models import Indicator

            choices = cascade.parent_choices(db.session.get(Indicator, indicator_id))
        return self.render_template(
            "indicators/show.html", t=data, title=data["name"], parent_choices=choices,
            judgements=[(j.value, indicators.JUDGEMENT_LABELS[j.value]) for j in Judgement],
            frequency_label=indicators.FREQUENCY_LABELS.get(data["frequency"], ""),
        )

    @expose("/<int:indicator_id>/actual", methods=["POST"])
    @has_access
    def report(self, indicator_id):
        """Record an actual value (or a judgement) for a statistical period."""
        form = request.form
        try:
            row = indicators.record_actual(
                indicator_id, current_actor(), period=form.get("period", ""),
                value=form.get("value"), judgement=form.get("judgement"),
                note=form.get("note", ""), source=form.get("source", ""),
            )
        except NotFound as exc:
            return self.render_template("case/not_found.html", title=gettext("Not found"),
                                        message=translate(exc)), 404
        except DomainError as exc:
            flash(translate(exc), "danger")
            return redirect(url_for("TargetView.show", indicator_id=indicator_id))
        flash(gettext("Recorded the actual value for %(period)s.", period=row.period), "success")
        return redirect(url_for("TargetView.show", indicator_id=indicator_id))


    @expose("/<int:indicator_id>/contribution", methods=["POST"])
    @has_access
    def contribution(self, indicator_id):
        """The office links the target to the parent plan's target it contributes to."""
        chosen = request.form.get("parent_indicator_id", "")
        try:
            cascade.set_contribution(current_actor(), indicator_id, int(chosen) if chosen.isdigit() else None)
        except NotFound as exc:
            return self.render_template("case/not_found.html", title=gettext("Not found"),
                                        message=translate(exc)), 404
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Saved: this target's actuals count towards the parent plan's target.") if chosen
                  else gettext("Saved: this target no longer contributes to the parent plan."), "success")
        return redirect(url_for("TargetView.show", indicator_id=indicator_id))


def register(appbuilder) -> None:
    """指标填报 under the plan menu."""
    appbuilder.add_view(TargetView, "GoalTargets", label=_("Goal targets"), icon="fa-bullseye",
                        category="Plan")
