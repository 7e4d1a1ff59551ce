"""Report API: request a report (queued to Celery), poll its status, download the PDF.

    POST /api/v1/report/                {kind, period | case_id, options}  → 202
    GET  /api/v1/report/?ids=1,2        reports the caller may read, newest first
    GET  /api/v1/report/<id>            one report's status and progress
    GET  /api/v1/report/<id>/download   the PDF (409 while not ready)
    GET  /api/v1/report/<id>/docx       the DOCX of the same document
    PUT  /api/v1/report/<id>/draft      {remarks, highlights, next_steps, date}: the office edits a draft
    POST /api/v1/report/<id>/document   {action: sign | issue}: 签发 (leader or office), 印发 (office)
"""

from __future__ import annotations

from flask import send_file
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.api import schemas as s
from app.api.base import ApiMixin, answers_errors
from app.api.docs import documented
from app.security import current_actor
from app.services import documents, task_force_reports
from app.services import reports as service


class ReportApi(ApiMixin, BaseApi):
    """/api/v1/report/: the same rules as the Reports menu, from the service."""

    resource_name = "report"
    class_permission_name = "Report"
    # Editing, signing and issuing need "post" (office, leaders, leads, caseworkers hold it);
    # the service decides who may do which (workflows.permissions: *_documents).
    method_permission_name = {"post": "post", "get_list": "get", "get": "get", "download": "download",
                              "docx": "download", "edit_draft": "post", "document_act": "post"}
    allow_browser_login = True
    openapi_spec_tag = "Reports"
    openapi_spec_component_schemas = s.REPORT_SCHEMAS
    not_found = service.ReportNotFound

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Request a report; it is generated in the background (202)",
                body=s.ReportRequestSchema, answer=(202, s.ReportSchema),
                refusals=(400, 403, 422))
    def post(self):
        """Queue a report; answers 202 with its id and status."""
        body = self.body(s.ReportRequestSchema)
        report = service.request_report(
            current_actor(), body["kind"], period=body.get("period"), case_id=body.get("case_id"),
            options=body.get("options"),
        )
        return self.response(202, **service.report_json(report))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "The reports the caller may read, newest first",
                query=s.ReportListQuerySchema, answer=(200, s.ReportSchema, "result", True),
                refusals=(400, 422))
    def get_list(self):
        """Reports the caller may read (?ids=1,2,3 for some of them), newest first."""
        ids = self.query(s.ReportListQuerySchema).get("ids")
        reports = service.list_reports(current_actor(), ids=ids)
        return self.response(200, count=len(reports), result=[service.report_json(r) for r in reports])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "One report's status and progress", answer=(200, s.ReportSchema),
                refusals=(404,))
    def get(self, pk: int):
        """One report's status and progress (404 when not readable)."""
        return self.response(200, **service.report_json(service.get_report(pk, current_actor())))

    @expose("/<int:pk>/download", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "Download the report's PDF (409 while it is not ready)",
                media="application/pdf", refusals=(404, 409))
    def download(self, pk: int):
        """The report's PDF."""
        path, name = service.report_file(pk, current_actor())
        return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name)

    @expose("/<int:pk>/docx", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "Download the report as Word (DOCX), the same text as its PDF",
                media=service.FORMATS["docx"], refusals=(404, 409))
    def docx(self, pk: int):
        """The report's DOCX."""
        path, name = service.report_file(pk, current_actor(), "docx")
        return send_file(path, mimetype=service.FORMATS["docx"], as_attachment=True, download_name=name)

    @expose("/<int:pk>/draft", methods=["PUT"])
    @protect()
    @safe
    @answers_errors
    @documented("put", "Edit a draft's wording and date (office); it is rendered again, unsigned",
                body=s.DraftEditRequestSchema, answer=(200, s.ReportSchema),
                refusals=(400, 403, 404, 409, 422))
    def edit_draft(self, pk: int):
        """The office's wording of a periodic report's draft; 409 once issued."""
        body = self.body(s.DraftEditRequestSchema)
        wording = {name: body[name] for name in ("remarks", "highlights", "next_steps") if name in body
                   and body[name] is not None}
        report = documents.edit_draft(pk, current_actor(), wording=wording, day=body.get("date") or None)
        return self.response(200, **service.report_json(report))

    @expose("/<int:pk>/document", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Sign (签发) or issue (印发) a periodic report",
                body=s.DocumentActRequestSchema, answer=(200, s.ReportSchema),
                refusals=(400, 403, 404, 409, 422))
    def document_act(self, pk: int):
        """签发 by a leader or the office; 印发 by the office (number and date fixed, then delivered)."""
        body = self.body(s.DocumentActRequestSchema)
        act = documents.sign if body["action"] == "sign" else documents.issue
        return self.response(200, **service.report_json(act(pk, current_actor())))


class TaskForceReportApi(ApiMixin, BaseApi):
    """专班报送: the task force's 亮点, 难点堵点, 下步计划 for the dekad brief and the monthly bulletin.

        GET /api/v1/task_force_report/               the periods due, for each task force the caller writes for
        GET /api/v1/task_force_report/<period_key>   one (?department_id= for the office)
        PUT /api/v1/task_force_report/<period_key>   {department_id?, highlights, difficulties, next_steps}
    """

    resource_name = "task_force_report"
    class_permission_name = "Report"
    method_permission_name = {"get_list": "get", "get": "get", "put": "post"}
    allow_browser_login = True
    openapi_spec_tag = "Reports"
    openapi_spec_component_schemas = s.TASK_FORCE_REPORT_SCHEMAS

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "The report periods due from the caller's task forces, with due dates and texts",
                answer=(200, s.TaskForceReportSchema, "result", True), refusals=(401,))
    def get_list(self):
        rows = task_force_reports.due_for(current_actor())
        return self.response(200, count=len(rows), result=rows)

    @expose("/<period_key>", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "A task force's submission for a dekad or a month", query=s.TaskForceReportQuerySchema,
                answer=(200, s.TaskForceReportSchema, "result"), refusals=(400, 403, 422))
    def get(self, period_key: str):
        query = self.query(s.TaskForceReportQuerySchema)
        return self.response(200, result=task_force_reports.get_one(
            current_actor(), period_key, query.get("department_id")))

    @expose("/<period_key>", methods=["PUT"])
    @protect()
    @safe
    @answers_errors
    @documented("put", "Write a task force's highlights, difficulties and next steps for a dekad or a month",
                body=s.TaskForceReportRequestSchema, answer=(200, s.TaskForceReportSchema, "result"),
                refusals=(400, 403, 409, 422))
    def put(self, period_key: str):
        """The task force's lead (or the office) writes it; editable until the period's report is signed."""
        body = self.body(s.TaskForceReportRequestSchema)
        row = task_force_reports.submit(current_actor(), period_key, department_id=body.get("department_id"),
                                        **{f: body.get(f) for f in ("highlights", "difficulties", "next_steps")})
        return self.response(200, result=task_force_reports.get_one(current_actor(), period_key, row.department_id))


def register(appbuilder) -> None:
    """Register the report APIs."""
    appbuilder.add_api(ReportApi)
    appbuilder.add_api(TaskForceReportApi)
