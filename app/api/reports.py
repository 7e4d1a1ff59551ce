"""Report API: request a report (queued to Celery), poll its status, download the PDF.

    POST /api/v1/report/                {kind, period | case_id, options}  → 202
    GET  /api/v1/report/?ids=1,2        reports the caller may read, newest first
    GET  /api/v1/report/<id>            one report's status and progress
    GET  /api/v1/report/<id>/download   the PDF (409 while not ready)
"""

from __future__ import annotations

from flask import jsonify, make_response, request, send_file
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import lazy_gettext as _

from app.security import current_actor
from app.services import reports as service


class ReportApi(BaseApi):
    """/api/v1/report/: the same rules as the Reports menu, from the service."""

    resource_name = "report"
    class_permission_name = "Report"
    method_permission_name = {"post": "post", "get_list": "get", "get": "get", "download": "download"}
    allow_browser_login = True
    openapi_spec_tag = "Reports"

    def _error(self, exc: service.ReportError):
        # Not self.response(): its first parameter is already called `code`.
        return make_response(jsonify(message=str(exc.message), code=exc.code), exc.status)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Queue a report; answers 202 with its id and status."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self._error(service.InvalidReportRequest(_("Send a JSON object.")))
        try:
            report = service.request_report(
                current_actor(), body.get("kind"), period=body.get("period"), case_id=body.get("case_id"),
                options=body.get("options"),
            )
        except service.ReportError as exc:
            return self._error(exc)
        return self.response(202, **service.report_json(report))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Reports the caller may read (?ids=1,2,3 for some of them), newest first."""
        ids = None
        if request.args.get("ids"):
            try:
                ids = [int(v) for v in request.args["ids"].split(",") if v.strip()][:200]
            except ValueError:
                return self._error(service.InvalidReportRequest(_("ids must be numbers.")))
        reports = service.list_reports(current_actor(), ids=ids)
        return self.response(200, count=len(reports), result=[service.report_json(r) for r in reports])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk: int):
        """One report's status and progress (404 when not readable)."""
        try:
            return self.response(200, **service.report_json(service.get_report(pk, current_actor())))
        except service.ReportError as exc:
            return self._error(exc)

    @expose("/<int:pk>/download", methods=["GET"])
    @protect()
    @safe
    def download(self, pk: int):
        """The report's PDF."""
        try:
            path, name = service.report_file(pk, current_actor())
        except service.ReportError as exc:
            return self._error(exc)
        return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name)


def register(appbuilder) -> None:
    """Register the report API."""
    appbuilder.add_api(ReportApi)
