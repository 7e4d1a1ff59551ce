"""工作台: the leaders' and the office's start page (figures from app.services.dashboard)."""

from __future__ import annotations

from flask import url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _

from app.labels import RAG_LABELS, STATE_LABELS, label
from app.security import current_actor
from app.services import plan_scope
from app.services.dashboard import DUE_SOON_WORKING_DAYS, dashboard
from workflows.vocabulary import State


class DashboardView(BaseView):
    """One page: headline counts, each action's figures and chart, most overdue, goal targets."""

    route_base = "/dashboard"
    class_permission_name = "Dashboard"
    method_permission_name = {"index": "show"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """The dashboard for the cases the user may see."""
        actor = current_actor()
        plan = plan_scope.chosen_plan(actor.user_id)
        data = dashboard(actor, plan=plan, all_plans=plan is None)
        return self.render_template(
            "dashboard/index.html", d=data, links=self._links(), table_link=self._table_link,
            due_soon_days=DUE_SOON_WORKING_DAYS, title=gettext("Dashboard"),
            state_labels={code: label(STATE_LABELS, code) for code in STATE_LABELS},
            rag_labels={code: label(RAG_LABELS, code) for code in RAG_LABELS},
        )

    def _links(self) -> dict:
        """Where each headline count leads: the list of exactly the cases it counts."""
        sm = self.appbuilder.sm
        cases = "CaseView.list"
        return {
            "targets": url_for("TargetView.index"),
            "total": url_for(cases),
            # The office works overdue cases in its queue (the same cases as the red light).
            "overdue": url_for("OverdueView.list") if sm.has_access("can_list", "OfficeQueue")
            else url_for(cases, rag="red"),
            "due_soon": url_for(cases, due="soon"),
            "to_verify": url_for(cases, _flt_3_state=State.SUBMITTED.value),
            # Leaders have no list of extension requests: that number stays plain text.
            "extensions": url_for("ExtensionRequestView.list")
            if sm.has_access("can_list", "ExtensionRequest") else None,
        }

    @staticmethod
    def _table_link(action_id=None, state=None, rag=None) -> str:
        """The case list behind one number of the per-action table."""
        args = {}
        if action_id is not None:
            args["_flt_0_action"] = action_id
        if state:
            args["_flt_3_state"] = state
        if rag:
            args["rag"] = rag
        return url_for("CaseView.list", **args)


def register(appbuilder) -> None:
    """Register 工作台 as a top-level menu entry (call first: it is the first entry)."""
    appbuilder.add_view(DashboardView, "Dashboard", label=_("Dashboard"), icon="fa-tachometer")
