"""Read APIs for the plan (FAB ModelRestApi); cases are in app/api/cases.py."""

from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.access import RelatedCaseVisibilityFilter
from app.models import Action, Department, Indicator


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
    """Register the plan's APIs."""
    for api in (ActionApi, DepartmentApi, IndicatorApi):
        appbuilder.add_api(api)
