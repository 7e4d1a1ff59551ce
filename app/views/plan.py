"""Pages for cases and the plan (Flask-AppBuilder views). Thin: they list and show; services act."""

from flask import redirect, url_for
from flask_appbuilder import IndexView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _
from markupsafe import Markup

from app.access import CaseVisibilityFilter, MyQueueFilter, RelatedCaseVisibilityFilter
from app.labels import (
    DEPARTMENT_KIND_LABELS,
    LEAD_BASIS_LABELS,
    LIST_KIND_LABELS,
    STATE_LABELS,
    label,
)
from app.models import Action, Case, Department, Goal, Indicator, Plan

READ_ONLY = ["can_list", "can_show"]


class HomeView(IndexView):
    """The start page sends signed-in users to their queue."""

    route_base = ""

    @expose("/")
    def index(self):
        from flask_login import current_user

        if current_user.is_authenticated:
            return redirect(url_for("MyCasesView.list"))
        return redirect(self.appbuilder.get_url_for_login)


def _state(value):
    return Markup('<span class="label label-default state-{0}">{1}</span>').format(
        value, label(STATE_LABELS, value)
    )


class CaseView(ModelView):
    """全部任务: every case the user may see, filterable by action, unit, state, deadline."""

    datamodel = SQLAInterface(Case)
    class_permission_name = "Case"
    base_permissions = READ_ONLY
    base_filters = [["id", CaseVisibilityFilter, None]]
    base_order = ("deadline", "asc")
    page_size = 25
    list_title = _("All cases")
    show_title = _("Case")
    list_columns = ["action", "title", "lead_department", "state", "deadline", "percent_done"]
    search_columns = ["action", "title", "lead_department", "state", "deadline", "list_kind"]
    show_columns = [
        "action", "title", "list_kind", "lead_department", "lead_basis",
        "partner_departments", "owner", "assignee", "state", "deadline", "original_deadline",
        "percent_done", "version",
    ]
    label_columns = {
        "action": _("Action"),
        "title": _("Task"),
        "text": _("Original text of the plan"),
        "list_kind": _("List"),
        "lead_department": _("Lead department"),
        "lead_basis": _("Source of the lead department"),
        "partner_departments": _("Partner departments"),
        "owner": _("Responsible lead"),
        "assignee": _("Caseworker"),
        "state": _("State"),
        "deadline": _("Deadline"),
        "original_deadline": _("Original deadline"),
        "percent_done": _("Done (%)"),
        "version": _("Version"),
    }
    formatters_columns = {
        "state": _state,
        "list_kind": lambda v: label(LIST_KIND_LABELS, v),
        "lead_basis": lambda v: label(LEAD_BASIS_LABELS, v),
        "partner_departments": lambda v: "、".join(str(d) for d in v) or "—",
        "owner": lambda v: str(v) if v else "—",
        "assignee": lambda v: str(v) if v else "—",
        "lead_department": lambda v: str(v) if v else Markup('<span class="text-warning">—</span>'),
    }
    show_template = "case/show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The case page: fields, the plan's sentence, targets and history."""
        from app.services.cases import case_page_context

        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)  # 404 unless visible: base_filters apply
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            **case_page_context(int(pk)),
        )


class MyCasesView(CaseView):
    """我的待办: the cases waiting for the user's own action."""

    list_title = _("My cases")
    base_filters = [["id", CaseVisibilityFilter, None], ["id", MyQueueFilter, None]]


class ActionView(ModelView):
    datamodel = SQLAInterface(Action)
    class_permission_name = "Action"
    base_permissions = READ_ONLY
    base_order = ("index", "asc")
    list_title = _("Actions")
    list_columns = ["index", "title", "subtitle", "lead_department"]
    show_columns = ["index", "title", "subtitle", "lead_department", "lead_basis", "text"]
    label_columns = {
        "index": _("No."),
        "title": _("Action"),
        "subtitle": _("Subtitle"),
        "lead_department": _("Lead department"),
        "lead_basis": _("Source of the lead department"),
        "text": _("Original text of the plan"),
    }
    formatters_columns = {"lead_basis": lambda v: label(LEAD_BASIS_LABELS, v)}


class GoalView(ModelView):
    datamodel = SQLAInterface(Goal)
    class_permission_name = "Goal"
    base_permissions = READ_ONLY
    base_order = ("index", "asc")
    list_title = _("Goals")
    list_columns = ["index", "title"]
    show_columns = ["index", "title", "text"]
    label_columns = {"index": _("No."), "title": _("Goal"), "text": _("Original text of the plan")}


class IndicatorView(ModelView):
    datamodel = SQLAInterface(Indicator)
    class_permission_name = "Indicator"
    base_permissions = READ_ONLY
    base_filters = [["id", RelatedCaseVisibilityFilter, None]]
    base_order = ("id", "asc")
    page_size = 50
    list_title = _("Indicators")
    list_columns = ["name", "comparator", "value", "unit", "goal", "action", "case"]
    search_columns = ["name", "unit", "goal", "action", "case"]
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
    formatters_columns = {"value": lambda v: f"{v:g}" if v is not None else ""}


class DepartmentView(ModelView):
    datamodel = SQLAInterface(Department)
    class_permission_name = "Department"
    base_order = ("kind", "asc")
    page_size = 50
    list_title = _("Departments")
    list_columns = ["name", "short_name", "kind", "action"]
    search_columns = ["name", "short_name", "kind"]
    add_columns = edit_columns = ["name", "short_name", "kind", "action", "members"]
    show_columns = ["name", "short_name", "kind", "action", "members"]
    label_columns = {
        "name": _("Name"),
        "short_name": _("Short name"),
        "kind": _("Kind"),
        "action": _("Action"),
        "members": _("Members"),
    }
    formatters_columns = {"kind": lambda v: label(DEPARTMENT_KIND_LABELS, v)}


class PlanView(ModelView):
    datamodel = SQLAInterface(Plan)
    class_permission_name = "Plan"
    base_permissions = READ_ONLY
    list_title = _("Plans")
    list_columns = ["title", "year", "issuer", "loaded_at"]
    label_columns = {"title": _("Title"), "year": _("Year"), "issuer": _("Issuer"), "loaded_at": _("Loaded at")}


def register(appbuilder) -> None:
    """Register the plan's and cases' views and menus."""
    appbuilder.add_view(
        MyCasesView, "MyCases", label=_("My cases"), icon="fa-inbox", category="Cases",
        category_label=_("Cases"), category_icon="fa-tasks",
    )
    appbuilder.add_view(CaseView, "AllCases", label=_("All cases"), icon="fa-list", category="Cases")
    appbuilder.add_view(ActionView, "Actions", label=_("Actions"), icon="fa-flag", category="Plan",
                        category_label=_("Plan"), category_icon="fa-book")
    appbuilder.add_view(GoalView, "Goals", label=_("Goals"), icon="fa-bullseye", category="Plan")
    appbuilder.add_view(IndicatorView, "Indicators", label=_("Indicators"), icon="fa-line-chart", category="Plan")
    appbuilder.add_view(PlanView, "Plans", label=_("Plans"), icon="fa-book", category="Plan")
    appbuilder.add_view(DepartmentView, "Departments", label=_("Departments"), icon="fa-sitemap",
                        category="Plan")
