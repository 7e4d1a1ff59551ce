"""Pages for the plan: actions, goals, indicators, plans, departments, and the start page."""

from flask import redirect, url_for
from flask_appbuilder import IndexView, ModelView, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from wtforms import SelectField

from app.access import RelatedCaseVisibilityFilter
from app.extensions import db
from app.labels import (
    DEPARTMENT_KIND_LABELS,
    LEAD_BASIS_LABELS,
    label,
)
from app.models import Action, Department, Goal, Indicator, Plan
from app.security import actor_for
from app.services import plan_scope
from app.views.display import DisplayInterface
from app.views.row_policy import in_chosen_plan
from workflows.permissions import start_page

READ_ONLY = ["can_list", "can_show"]
# workflows.permissions.start_page -> the endpoint it names.
START_PAGES = {"dashboard": "DashboardView.index", "my_cases": "MyCasesView.list"}


class HomeView(IndexView):
    """The start page: leaders and the office get 工作台, everyone else their queue."""

    route_base = ""

    @expose("/")
    def index(self):
        from flask_login import current_user

        if current_user.is_authenticated:
            page = start_page(actor_for(current_user))
            return redirect(url_for(START_PAGES[page]))
        return redirect(self.appbuilder.get_url_for_login)


class ActionView(ModelView):
    datamodel = DisplayInterface(Action)
    class_permission_name = "Action"
    base_permissions = READ_ONLY
    base_order = ("index", "asc")
    list_title = _("Plan actions")
    show_title = _("Action details")
    list_columns = ["index", "title", "subtitle", "lead_department"]
    show_columns = ["index", "title", "subtitle", "lead_department", "lead_basis", "text"]
    # The actions of the plan the user works in (a province holds 125 plans' 1,000), and the
    # units offered are that plan's, not a province's 3,250.
    base_filters = in_chosen_plan(plan_scope.action_clause)
    search_form_query_rel_fields = {"lead_department": in_chosen_plan(plan_scope.department_clause)}
    label_columns = {
        "index": _("No."),
        "title": _("Action"),
        "subtitle": _("Subtitle"),
        "lead_department": _("Lead department"),
        "lead_basis": _("Source of the lead department"),
        "text": _("Original text of the plan"),
        "plan": _("Plan"),
    }
    formatters_columns = {"lead_basis": lambda v: label(LEAD_BASIS_LABELS, v)}


class GoalView(ModelView):
    datamodel = DisplayInterface(Goal)
    class_permission_name = "Goal"
    base_permissions = READ_ONLY
    base_order = ("index", "asc")
    list_title = _("Goals")
    show_title = _("Goal details")
    list_columns = ["index", "title"]
    show_columns = ["index", "title", "text"]
    label_columns = {"index": _("No."), "title": _("Goal"), "text": _("Original text of the plan"),
                     "plan": _("Plan")}


class IndicatorView(ModelView):
    datamodel = DisplayInterface(Indicator, preload=("goal", "action", "case"))
    class_permission_name = "Indicator"
    base_permissions = READ_ONLY
    base_filters = [["id", RelatedCaseVisibilityFilter, None]]
    base_order = ("id", "asc")
    page_size = 50
    list_title = _("Indicators")
    show_title = _("Indicator details")
    list_columns = ["name", "comparator", "value", "unit", "goal", "action", "case"]
    # No drop-down of cases: a plan has thousands (the office of a province sees a million).
    # The goals and actions offered are the user's plan's.
    search_columns = ["name", "unit", "goal", "action"]
    search_form_query_rel_fields = {"goal": in_chosen_plan(plan_scope.goal_clause),
                                    "action": in_chosen_plan(plan_scope.action_clause)}
    show_columns = ["name", "comparator", "value", "value_max", "unit", "year", "quote", "goal", "action", "case"]
    label_columns = {
        "name": _("Indicator"),
        "comparator": _("Comparator"),
        "value": _("Target value"),
        "value_max": _("Upper value"),
        "unit": _("Unit"),
        "year": _("Year"),
        "quote": _("Quoted from the plan"),
        "goal": _("Goal"),
        "action": _("Action"),
        "case": _("Case"),
    }


class DepartmentView(ModelView):
    datamodel = DisplayInterface(Department)
    class_permission_name = "Department"
    base_order = ("kind", "asc")
    page_size = 50
    list_title = _("Departments")
    show_title = _("Department details")
    add_title = _("Add a department")
    edit_title = _("Edit a department")
    list_columns = ["name", "short_name", "kind", "action"]
    search_columns = ["name", "short_name", "kind"]
    add_columns = edit_columns = ["name", "short_name", "kind", "action", "members", "daily_digest"]
    show_columns = ["name", "short_name", "kind", "action", "members", "daily_digest"]
    label_columns = {
        "name": _("Name"),
        "short_name": _("Short name"),
        "kind": _("Kind"),
        "action": _("Action"),
        "members": _("Members"),
        "daily_digest": _("Daily digest for members"),
    }
    description_columns = {
        "daily_digest": _("Members get one email a day listing their reminders instead of one per case."),
    }
    # A choice, not free text: the database accepts only these kinds.
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_("Kind"), choices=list(DEPARTMENT_KIND_LABELS.items())),
        # The blank choice reads "—" (FAB's would read "__None").
        "action": QuerySelectField(
            _("Action"), query_func=lambda: db.session.query(Action).order_by(Action.index),
            get_pk_func=lambda row: row.id, allow_blank=True, blank_text="—",
            widget=Select2Widget(),
        ),
    }
    formatters_columns = {
        "kind": lambda v: label(DEPARTMENT_KIND_LABELS, v),
        "daily_digest": lambda v: gettext("Yes") if v else gettext("No"),
    }


class PlanView(ModelView):
    datamodel = DisplayInterface(Plan)
    class_permission_name = "Plan"
    base_permissions = READ_ONLY
    list_title = _("Plans")
    show_title = _("Plan details")
    list_columns = ["title", "year", "issuer", "loaded_at"]
    show_columns = ["title", "year", "issuer", "loaded_at"]
    search_columns = ["title", "year", "issuer"]
    label_columns = {"title": _("Title"), "year": _("Year"), "issuer": _("Issuer"), "loaded_at": _("Loaded at")}


def register(appbuilder) -> None:
    """Register the plan's views and menus (cases: app.views.cases)."""
    appbuilder.add_view(ActionView, "Actions", label=_("Plan actions"), icon="fa-flag", category="Plan",
                        category_label=_("Plan"), category_icon="fa-book")
    appbuilder.add_view(GoalView, "Goals", label=_("Goals"), icon="fa-bullseye", category="Plan")
    appbuilder.add_view(IndicatorView, "Indicators", label=_("Indicators"), icon="fa-line-chart", category="Plan")
    appbuilder.add_view(PlanView, "Plans", label=_("Plans"), icon="fa-book", category="Plan")
    appbuilder.add_view(DepartmentView, "Departments", label=_("Departments"), icon="fa-sitemap",
                        category="Plan")
