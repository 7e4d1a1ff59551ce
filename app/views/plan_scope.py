"""The plan picker in the navbar: the plan a user works in, remembered per user, or all plans."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from flask_login import current_user

from app.errors import translate
from app.security import current_actor
from app.services import plan_scope
from workflows.errors import DomainError


class PlanScopeView(BaseView):
    """Choose a plan (or "all") to work in; back to the page the user came from.

    A GET link like FAB's own language switch: it changes a view preference, nothing else.
    """

    route_base = "/planscope"
    class_permission_name = "PlanScope"
    method_permission_name = {"choose": "choose"}

    @expose("/choose", methods=["GET", "POST"])
    @has_access
    def choose(self):
        """Remember the user's plan and go back."""
        values = request.form if request.method == "POST" else request.args
        try:
            plan = plan_scope.choose_plan(current_user.id, values.get("plan", ""), current_actor())
        except DomainError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Now showing: %(plan)s.", plan=plan_scope.plan_label(plan) if plan
                          else gettext("All plans")), "info")
        return redirect(_same_site(values.get("next")) or url_for("DashboardView.index"))


def _same_site(url: str | None) -> str | None:
    """Only a path on this site (never another host) to go back to."""
    if not url:
        return None
    parts = urlparse(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return None
    return url


def _plan_picker() -> dict:
    """Navbar context: the plans and the one the user works in (None when signed out)."""
    try:
        if current_user and current_user.is_authenticated:
            plans = plan_scope.plans(current_actor())
            if plans:
                chosen = plan_scope.chosen_plan(current_user.id)
                return {"duban_plans": [(p.id, plan_scope.plan_label(p)) for p in plans],
                        "duban_plan": chosen.id if chosen else plan_scope.ALL,
                        "duban_plan_label": plan_scope.plan_label(chosen) if chosen
                        else gettext("All plans")}
    except Exception:  # a picker must never break a page
        current_app.logger.exception("plan picker failed")
    return {"duban_plans": None}


def register(appbuilder) -> None:
    """The picker's endpoint and its navbar context."""
    appbuilder.add_view_no_menu(PlanScopeView)
    current_app.context_processor(_plan_picker)
