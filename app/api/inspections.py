"""督查 → 整改 API (issue 12, part 4).

    POST /api/v1/inspection/        {inspected_on, subject, inspectors, action_id?, plan_id?,
                                     requires_evidence?, findings: [{text, department_id,
                                     deadline, action_id?}]}: the office records an inspection;
                                     each finding becomes a rectification case → 201
    GET  /api/v1/inspection/        the inspections (office, leaders, admins), newest first
    GET  /api/v1/inspection/<id>    one, with its findings and their cases' states

A unit reads its rectification cases as cases (/api/v1/case/), like any case it leads.
"""

from __future__ import annotations

from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.api import schemas as s
from app.api.base import ApiMixin, answers_errors
from app.api.docs import documented
from app.security import current_actor
from app.services import inspections


class InspectionApi(ApiMixin, BaseApi):
    """/api/v1/inspection/: FAB lets the office write and leaders read; the service decides."""

    resource_name = "inspection"
    class_permission_name = "Inspection"
    method_permission_name = {"get_list": "get", "get": "get", "post": "post"}
    allow_browser_login = True
    openapi_spec_tag = "Inspections"
    openapi_spec_component_schemas = s.INSPECTION_SCHEMAS
    not_found = inspections.InspectionNotFound

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Record an inspection (督查) and its findings; each finding becomes a "
                "rectification case of its unit (the supervision office only)",
                body=s.InspectionRequestSchema, answer=(201, s.InspectionSchema, "result"),
                refusals=(400, 403, 422))
    def post(self):
        """The units are notified of their rectification cases."""
        body = self.body(s.InspectionRequestSchema)
        row = inspections.record_inspection(current_actor(), body)
        return self.response(201, result=inspections.inspection_json(row))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "The inspections, newest first, with their findings",
                answer=(200, s.InspectionSchema, "result", True), refusals=(401, 403))
    def get_list(self):
        rows = inspections.inspections_for(current_actor())
        return self.response(200, count=len(rows), result=[inspections.inspection_json(r) for r in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "One inspection with its findings and the states of their rectification cases",
                answer=(200, s.InspectionSchema, "result"), refusals=(401, 403, 404))
    def get(self, pk: int):
        return self.response(200, result=inspections.inspection_json(inspections.inspection_for(pk, current_actor())))


def register(appbuilder) -> None:
    appbuilder.add_api(InspectionApi)
