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
            "dashboard/index.html", d=data, links=self._links(),
            due_soon_days=DUE_SOON_WORKING_DAYS, title=gettext("Dashboard"),
            state_labels={code: label(STATE_LABELS, code) for code in STATE_LABELS},
            rag_labels={code: label(RAG_LABELS, code) for code in RAG_LABELS},
        )

    def _links(self) -> dict:
        """Where each headline count leads, as far as the user may go there."""
        sm = self.appbuilder.sm
        # 即将到期 has no list filter of its own (yellow also means behind pace): no link.
        links = {
            "targets": url_for("TargetView.index"),
            "total": url_for("CaseView.list"),
            # The office works overdue cases in its queue; others get the list's red filter.
            "overdue": url_for("OverdueView.list") if sm.has_access("can_list", "OfficeQueue")
            else url_for("CaseView.list", rag="red"),
            "to_verify": url_for("ToVerifyView.list") if sm.has_access("can_list", "LeadQueue")
            else url_for("CaseView.list", _flt_0_state="submitted"),
            "extensions": url_for("ExtensionRequestView.list")
            if sm.has_access("can_list", "ExtensionRequest") else None,
        }
        return links


def register(appbuilder) -> None:
    """Register 工作台 as a top-level menu entry (call first: it is the first entry)."""
    appbuilder.add_view(DashboardView, "Dashboard", label=_("Dashboard"), icon="fa-tachometer")
