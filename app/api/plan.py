"""Read APIs for the plan (FAB ModelRestApi); cases are in app/api/cases.py."""

from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.access import RelatedCaseVisibilityFilter
from app.api.base import ApiMixin
from app.models import Action, Department, Indicator


def _summaries(things: str, thing: str) -> dict[str, str]:
    return {
        "get_list": f"List the {things}",
        "get": f"One {thing}",
        "info": f"Metadata of the {thing} list: columns, filters, permissions",
    }


class ActionApi(ApiMixin, ModelRestApi):
    resource_name = "action"
    datamodel = SQLAInterface(Action)
    class_permission_name = "Action"
    allow_browser_login = True
    openapi_spec_tag = "Plan"
    inherited_summaries = _summaries("plan's actions", "action")
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "index", "title", "subtitle", "lead_department.name"]


class DepartmentApi(ApiMixin, ModelRestApi):
    resource_name = "department"
    datamodel = SQLAInterface(Department)
    class_permission_name = "Department"
    allow_browser_login = True
    openapi_spec_tag = "Plan"
    inherited_summaries = _summaries("departments", "department")
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "name", "short_name", "kind"]


class IndicatorApi(ApiMixin, ModelRestApi):
    resource_name = "indicator"
    datamodel = SQLAInterface(Indicator)
    class_permission_name = "Indicator"
    allow_browser_login = True
    openapi_spec_tag = "Plan"
    inherited_summaries = _summaries("indicators (targets) of the cases the caller may see", "indicator")
    base_filters = [["id", RelatedCaseVisibilityFilter, None]]
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = [
        "id", "name", "value", "value_max", "unit", "comparator", "year", "quote",
        "goal_id", "action_id", "case_id",
    ]


def register(appbuilder) -> None:
    """Register the plan's APIs."""
    for api in (ActionApi, DepartmentApi, IndicatorApi):
        appbuilder.add_api(api)
