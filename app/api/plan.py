"""Read APIs for cases and the plan (FAB ModelRestApi)."""

from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.access import CaseVisibilityFilter, RelatedCaseVisibilityFilter
from app.models import Action, Case, Department, Indicator

CASE_COLUMNS = [
    "id",
    "title",
    "state",
    "version",
    "deadline",
    "original_deadline",
    "action_index",
    "lead_department_id",
    "lead_department_name",
    "list_kind",
    "percent_done",
]


class CaseApi(ModelRestApi):
    """Cases the caller may see; state changes go through /case/<id>/transition."""

    resource_name = "case"
    datamodel = SQLAInterface(Case)
    class_permission_name = "Case"
    allow_browser_login = True
    base_filters = [["id", CaseVisibilityFilter, None]]
    base_order = ("id", "asc")
    include_route_methods = {"get", "get_list", "info"}
    list_columns = CASE_COLUMNS
    show_columns = [*CASE_COLUMNS, "text", "partner_departments.id", "partner_departments.name"]
    search_columns = ["title", "state", "deadline", "lead_department", "action", "list_kind"]
    order_columns = ["id", "deadline", "state", "title"]


class ActionApi(ModelRestApi):
    resource_name = "action"
    datamodel = SQLAInterface(Action)
    class_permission_name = "Action"
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "index", "title", "subtitle", "lead_department.name"]


class DepartmentApi(ModelRestApi):
    resource_name = "department"
    datamodel = SQLAInterface(Department)
    class_permission_name = "Department"
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "name", "short_name", "kind"]


class IndicatorApi(ModelRestApi):
    resource_name = "indicator"
    datamodel = SQLAInterface(Indicator)
    class_permission_name = "Indicator"
    allow_browser_login = True
    base_filters = [["id", RelatedCaseVisibilityFilter, None]]
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = [
        "id", "name", "value", "value_max", "unit", "comparator", "year", "quote",
        "goal_id", "action_id", "case_id",
    ]


def register(appbuilder) -> None:
    """Register the plan's and cases' APIs."""
    for api in (CaseApi, ActionApi, DepartmentApi, IndicatorApi):
        appbuilder.add_api(api)
