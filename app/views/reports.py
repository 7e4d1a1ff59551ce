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
from app.errors import translate
from app.formatting import month_day_zh
from app.labels import REPORT_KIND_LABELS, REPORT_STATUS_LABELS, REPORT_TRIGGER_LABELS
from app.reports import KINDS
from app.security import current_actor
from app.services import documents, plan_scope
from app.services import reports as service
from app.services.cases import to_local
from workflows.documents import AlreadyIssued, DocumentLocked
from workflows.errors import DomainError
from workflows.periods import report_choices


class ReportsView(BaseView):
    """报告: the request form and the list of reports the user may read."""

    route_base = "/reports"
    class_permission_name = "Report"
    # Editing, signing and issuing a document need "generate"; the service decides who may
    # do which (workflows.permissions: edit_documents, sign_documents, issue_documents).
    method_permission_name = {"index": "list", "request_report": "generate", "download": "download",
                              "download_docx": "download", "document": "list", "edit_draft": "generate",
                              "sign": "generate", "issue": "generate"}
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
            plans=plan_scope.plans(current_actor()), period_choices=report_choices(local_today()),
            as_of_of=service.as_of_of, month_day_zh=month_day_zh,
            chosen_plan=plan_scope.chosen_plan(current_actor().user_id) or plan_scope.default_plan(current_actor()),
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
        except DomainError as exc:  # e.g. characters the fonts cannot print
            flash(translate(exc), "danger")
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

    @expose("/download/<int:pk>/docx")
    @has_access
    def download_docx(self, pk: int):
        """The DOCX of a finished report the user may read (404 otherwise)."""
        try:
            path, name = service.report_file(pk, current_actor(), "docx")
        except service.ReportError as exc:
            abort(exc.status, description=str(exc.message))
        return send_file(path, mimetype=service.FORMATS["docx"], as_attachment=True, download_name=name)

    # --- one document: draft → 签发 → issued ------------------------------------------------

    @expose("/<int:pk>/document")
    @has_access
    def document(self, pk: int):
        """A periodic report as a document: its wording, 签发, 印发 and downloads."""
        actor = current_actor()
        try:
            report = service.get_report(pk, actor)
        except service.ReportError as exc:
            abort(exc.status, description=str(exc.message))
        if report.kind not in service.PERIOD_KINDS:
            abort(404)
        return self.render_template(
            "reports/web/document.html", title=__("Document"), report=report,
            info=service.report_json(report), kind_labels=REPORT_KIND_LABELS,
            status_labels=REPORT_STATUS_LABELS, csrf_token_value=generate_csrf(), to_local=to_local,
            may=documents.grants(actor), prints=documents.wording_of(report.kind),
        )

    def _act(self, pk: int, act):
        try:
            act()
        except (DocumentLocked, AlreadyIssued):
            raise  # 409 on the error page, in Chinese: an issued document never changes
        except DomainError as exc:
            flash(translate(exc), "danger")
        except service.ReportError as exc:
            flash(str(exc.message), "danger")
        else:
            return True
        return False

    @expose("/<int:pk>/draft", methods=["POST"])
    @has_access
    def edit_draft(self, pk: int):
        """The office saves a draft's wording and 成文日期; it is rendered again, unsigned."""
        form = request.form
        wording = {name: form.get(name, "") for name in documents.wording_of_report(pk)}
        if self._act(pk, lambda: documents.edit_draft(pk, current_actor(), wording=wording,
                                                      day=(form.get("date") or "").strip() or None)):
            flash(__("The draft was saved; it is rendered again and must be signed again."), "info")
        return redirect(url_for("ReportsView.document", pk=pk))

    @expose("/<int:pk>/sign", methods=["POST"])
    @has_access
    def sign(self, pk: int):
        """签发: the signer approves the draft as it stands."""
        if self._act(pk, lambda: documents.sign(pk, current_actor())):
            flash(__("The document is signed."), "success")
        return redirect(url_for("ReportsView.document", pk=pk))

    @expose("/<int:pk>/issue", methods=["POST"])
    @has_access
    def issue(self, pk: int):
        """印发: the number and date are fixed, the final files written and sent to the readers."""
        if self._act(pk, lambda: documents.issue(pk, current_actor())):
            flash(__("The document is issued; its readers are notified once its files are written."), "success")
        return redirect(url_for("ReportsView.document", pk=pk))



def register(appbuilder) -> None:
    """Register the Reports menu."""
    appbuilder.add_view(
        ReportsView, "ReportList", label=_("Reports"), icon="fa-file-pdf-o", category="Reports",
        category_label=_("Reports"), category_icon="fa-file-text-o",
    )
