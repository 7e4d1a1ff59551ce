"""Reports menu: request a report, follow its progress, download it when ready.

Thin: each endpoint parses the request, calls one function of app.services.reports and maps
its typed errors to a message or an HTTP code. Who may request or read what is the service's.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as __
from flask_babel import lazy_gettext as _
from flask_wtf.csrf import generate_csrf

from app.clock import local_today
from app.formatting import month_day_zh
from app.labels import REPORT_KIND_LABELS, REPORT_STATUS_LABELS, REPORT_TRIGGER_LABELS
from app.reports import KINDS
from app.security import current_actor
from app.services import plan_scope
from app.services import reports as service
from app.services.cases import to_local
from workflows.periods import report_choices


class ReportsView(BaseView):
    """报告: the request form and the list of reports the user may read."""

    route_base = "/reports"
    class_permission_name = "Report"
    method_permission_name = {"index": "list", "request_report": "generate", "download": "download"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """The reports page: request form and list with progress."""
        reports = service.list_reports(current_actor())
        return self.render_template(
            "reports/web/index.html", title=__("Reports"), reports=reports, kinds=KINDS,
            kind_labels=REPORT_KIND_LABELS, status_labels=REPORT_STATUS_LABELS,
            trigger_labels=REPORT_TRIGGER_LABELS, csrf_token_value=generate_csrf(), to_local=to_local,
            plans=plan_scope.plans(), period_choices=report_choices(local_today()),
            as_of_of=service.as_of_of, month_day_zh=month_day_zh,
            chosen_plan=plan_scope.chosen_plan(current_actor().user_id) or plan_scope.default_plan(),
        )

    @expose("/request", methods=["POST"])
    @has_access
    def request_report(self):
        """Queue a report from the form; back to the list with a message."""
        form = request.form
        options = {"red_header": form.get("red_header") == "on", "remarks": form.get("remarks"),
                   "requirement": form.get("requirement"), "plan_id": form.get("plan_id")}
        try:
            report = service.request_report(
                current_actor(), form.get("kind"), period=(form.get("period") or "").strip() or None,
                case_id=(form.get("case_id") or "").strip() or None, options=options,
            )
        except service.ReportError as exc:
            flash(str(exc.message), "danger")
            return redirect(url_for("ReportsView.index"))
        flash(__("Report %(id)s is queued; this page shows its progress.", id=report.id), "info")
        return redirect(url_for("ReportsView.index"))

    @expose("/download/<int:pk>")
    @has_access
    def download(self, pk: int):
        """The PDF of a finished report the user may read (404 otherwise)."""
        try:
            path, name = service.report_file(pk, current_actor())
        except service.ReportError as exc:
            abort(exc.status, description=str(exc.message))
        return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name)



def register(appbuilder) -> None:
    """Register the Reports menu."""
    appbuilder.add_view(
        ReportsView, "ReportList", label=_("Reports"), icon="fa-file-pdf-o", category="Reports",
        category_label=_("Reports"), category_icon="fa-file-text-o",
    )
