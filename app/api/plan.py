"""Read APIs for the plan (FAB ModelRestApi); cases are in app/api/cases.py."""

from flask_appbuilder.api import ModelRestApi, expose, safe
from flask_appbuilder.security.decorators import protect
from marshmallow import Schema, fields

from app.access import RelatedCaseVisibilityFilter
from app.api.base import ApiMixin, answers_errors
from app.api.docs import documented
from app.api.fields import Id, NumberOrText, RequestSchema, Text
from app.fab_interface import Interface
from app.models import Action, Department, Indicator
from app.security import current_actor
from app.services import cascade, indicators


def _summaries(things: str, thing: str) -> dict[str, str]:
    return {
        "get_list": f"List the {things}",
        "get": f"One {thing}",
        "info": f"Metadata of the {thing} list: columns, filters, permissions",
    }


class ActionApi(ApiMixin, ModelRestApi):
    resource_name = "action"
    datamodel = Interface(Action)
    class_permission_name = "Action"
    allow_browser_login = True
    openapi_spec_tag = "Plan"
    inherited_summaries = _summaries("plan's actions", "action")
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "index", "title", "subtitle", "lead_department.name"]


class DepartmentApi(ApiMixin, ModelRestApi):
    resource_name = "department"
    datamodel = Interface(Department)
    class_permission_name = "Department"
    allow_browser_login = True
    openapi_spec_tag = "Plan"
    inherited_summaries = _summaries("departments", "department")
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "name", "short_name", "kind"]


class ActualRequestSchema(RequestSchema):
    period = Text(max_length=10, required=True, metadata={"example": "2024-06"})
    value = NumberOrText(max_length=40, metadata={"description": "The actual value (not for qualitative targets)"})
    judgement = Text(max_length=20, metadata={
        "enum": ["done", "mostly_done", "not_done"], "description": "Qualitative targets only (the office)"})
    note = Text(max_length=2000)
    source = Text(max_length=100)


class IndicatorStatusSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String(metadata={"enum": ["growth", "cumulative", "level", "ceiling", "qualitative"]})
    target = fields.Float(allow_none=True)
    comparator = fields.String()
    unit = fields.String()
    period = fields.String(allow_none=True, metadata={"description": "Statistical period of the latest actual"})
    actual = fields.Float(allow_none=True)
    judgement = fields.String(allow_none=True)
    expected = fields.Float(allow_none=True, metadata={"description": "Expected value for that period"})
    gap = fields.Float(allow_none=True, metadata={"description": "actual − expected"})
    gap_unit = fields.String(metadata={"description": "pp (percentage points) or the target's unit"})
    gap_text = fields.String()
    light = fields.String(allow_none=True, metadata={"enum": ["green", "yellow", "red"]})


class ContributionRequestSchema(RequestSchema):
    parent_indicator_id = Id(metadata={
        "description": "A target of the parent plan this one contributes to (null: none)"})


STATUS_FIELDS = ("kind", "target", "target_max", "comparator", "frequency", "baseline",
                 "responsible_department_id", "period", "actual", "judgement", "note", "recorded_at",
                 "expected", "gap", "gap_unit", "gap_text", "reference", "light")


class IndicatorApi(ApiMixin, ModelRestApi):
    resource_name = "indicator"
    datamodel = Interface(Indicator)
    class_permission_name = "Indicator"
    allow_browser_login = True
    openapi_spec_tag = "Plan"
    openapi_spec_component_schemas = (ActualRequestSchema, IndicatorStatusSchema, ContributionRequestSchema)
    inherited_summaries = _summaries("indicators (targets) of the cases the caller may see", "indicator")
    base_filters = [["id", RelatedCaseVisibilityFilter, None]]
    include_route_methods = {"get", "get_list", "info", "actual", "contribution"}
    method_permission_name = {"get": "get", "get_list": "get", "info": "info", "actual": "report",
                              "contribution": "report"}
    list_columns = show_columns = [
        "id", "name", "value", "value_max", "unit", "comparator", "year", "quote",
        "goal_id", "action_id", "case_id", "kind", "frequency", "plan_id", "contributes_to_id",
    ]

    def pre_get(self, data: dict) -> None:
        """Add what the target means now: the latest actual with its period, expected, gap, light."""
        state = indicators.indicator_detail(int(data["id"]), current_actor())
        data["result"].update({key: state.get(key) for key in STATUS_FIELDS})
        # The cascade: what the plans below contribute (each one's latest actual) and their sum.
        data["result"]["contributions"] = state["contributions"]["rows"]
        data["result"]["contributions_sum"] = state["contributions"]["sum"]

    @expose("/<int:pk>/actual", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Record an actual value for a statistical period (a correction is a new version)",
                body=ActualRequestSchema, answer=(201, IndicatorStatusSchema, "result"),
                refusals=(400, 401, 403, 404, 422))
    def actual(self, pk: int):
        """Record an actual value (the responsible unit or the office); answer the new status."""
        body = self.body(ActualRequestSchema)
        actor = current_actor()
        indicators.record_actual(pk, actor, period=body["period"], value=body.get("value"),
                                 judgement=body.get("judgement"), note=body.get("note") or "",
                                 source=body.get("source") or "")
        state = indicators.indicator_detail(pk, actor)
        return self.response(201, result={"id": pk, "name": state["name"],
                                          **{key: state.get(key) for key in STATUS_FIELDS}})


    @expose("/<int:pk>/contribution", methods=["PUT"])
    @protect()
    @safe
    @answers_errors
    @documented("put", "Make the target contribute to a target of its plan's parent plan (the cascade)",
                body=ContributionRequestSchema, answer=(200, IndicatorStatusSchema, "result"),
                refusals=(400, 401, 403, 404, 422))
    def contribution(self, pk: int):
        """The office links the target to the parent plan's target it contributes to (or unlinks it)."""
        body = self.body(ContributionRequestSchema)
        ind = cascade.set_contribution(current_actor(), pk, body.get("parent_indicator_id"))
        return self.response(200, result={"id": ind.id, "name": ind.name,
                                          "contributes_to_id": ind.contributes_to_id})


def register(appbuilder) -> None:
    """Register the plan's APIs."""
    for api in (ActionApi, DepartmentApi, IndicatorApi):
        appbuilder.add_api(api)
