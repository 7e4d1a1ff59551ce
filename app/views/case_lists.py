"""The case lists shared by every case page: cell formatters, filters, the list base with
its bulk actions, and the flash of a bulk result.

app.views.cases builds the case page and the queues (我的待办) on `CaseListBase`.
"""

from __future__ import annotations

from datetime import date

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import bindparam
from wtforms import SelectField

from app.access import CaseVisibilityFilter
from app.errors import translate
from app.extensions import db
from app.labels import (
    LIST_KIND_LABELS,
    RAG_LABELS,
    STATE_LABELS,
    label,
)
from app.models import (
    Action,
    Case,
    Department,
)
from app.security import current_actor
from app.services.bulk import start_bulk
from app.services.case_base import LEAD_DEPARTMENT_KINDS
from app.services.cases import DASH
from app.services.rag import rag_by_id
from workflows.errors import DomainError

# Said in the urge when the office leaves the comment box of a bulk urge empty.
DEFAULT_URGE_TEXT = _("Please speed up the work on this case and report progress on time.")


# --- cell formatters (no "None" on any page) ----------------------------------------------


def dash(value) -> str:
    """The value as text, or a dash when there is none."""
    return DASH if value is None or value == "" else str(value)


def iso_date(value: date | None) -> str:
    """Dates are shown as ISO (2024-12-31) everywhere, like the date filters take them."""
    return value.isoformat() if value else DASH


def date_cell(value: date | None) -> Markup:
    """A date in a list cell, never wrapped."""
    return Markup('<span class="nowrap">{0}</span>').format(iso_date(value))


def state_cell(value) -> Markup:
    """A state as a coloured label."""
    return Markup('<span class="label case-state state-{0}">{1}</span>').format(
        value, label(STATE_LABELS, value)
    )


def rag_cell(value) -> Markup:
    """A RAG light: a coloured dot and its label (红黄绿灯)."""
    if not value:
        return Markup(DASH)
    return Markup('<span class="rag rag-{0}"><i class="rag-dot"></i>{1}</span>').format(
        value, label(RAG_LABELS, str(value))
    )


def case_link(case: Case) -> Markup:
    """The case's title linking to its page (every list links to the one case page)."""
    return Markup('<a href="{0}">{1}</a>').format(
        url_for("CaseView.show", pk=case.id), case.title
    )


def department_names(departments) -> str:
    return "、".join(str(d) for d in departments) or DASH


def request_rags(cases) -> dict:
    """RAG of cases, with today's calendar and settings read once per request."""
    cache = g.setdefault("duban_rags", {})
    missing = [c for c in cases if c.id not in cache]
    if missing:
        cache.update(rag_by_id(missing))
    return {c.id: cache[c.id] for c in cases}


class CaseInterface(SQLAInterface):
    """Cases with computed list columns: the RAG light and the linked title."""

    computed = {
        "rag": lambda case: str(request_rags([case])[case.id]),
        "case_link": lambda case: case,
        "partners": lambda case: case.partner_departments,
    }

    def _get_attr_value(self, item, col):
        if col in self.computed:
            return self.computed[col](item)
        return super()._get_attr_value(item, col)


class ExtensionInterface(SQLAInterface):
    """Extension requests with their case's link and lead department."""

    def _get_attr_value(self, item, col):
        if col == "case_link":
            return item.case
        return super()._get_attr_value(item, col)


# --- queue filters -------------------------------------------------------------------------


class IdsFilter(BaseFilter):
    """Only the given case ids (the RAG quick filter, computed in Python by rag_for)."""

    name = "ids"
    arg_name = "in"  # FAB applies list values one by one unless the filter is an "in"

    def apply(self, query, value):
        # Ids rendered inline, not one bind parameter each: with thousands of red cases the
        # parameters cost most of the page (bench/cases_bench.py). They are ints we computed.
        ids = bindparam("rag_ids", [int(v) for v in value], expanding=True, literal_execute=True)
        return query.filter(Case.id.in_(ids))


# --- forms ---------------------------------------------------------------------------------




def form_int(name: str):
    """An optional whole number from the posted form (None when absent or not a number)."""
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


class CaseListWidget(ListWidget):
    """FAB's list with the RAG quick filter and, for bulk actions, a comment box."""

    template = "case/list_widget.html"


def relation_choices(text, model, *where) -> QuerySelectField:
    """A select of rows for a relation filter, with a blank choice that reads 请选择."""
    return QuerySelectField(
        text,
        query_func=lambda: db.session.query(model).filter(*where).order_by(model.id),
        get_pk_func=lambda row: row.id,
        allow_blank=True,
        blank_text=_("Choose…"),
        widget=Select2Widget(),
    )


def label_choices(text, labels: dict) -> SelectField:
    """A select of a code's labels for the search form (labels translated per request)."""
    return SelectField(
        text,
        choices=lambda: [(code, str(name)) for code, name in labels.items()],
        widget=Select2Widget(),
    )


# --- list views ----------------------------------------------------------------------------


class CaseListBase(ModelView):
    """A list of cases: visibility always, RAG column, sortable by deadline, filters."""

    datamodel = CaseInterface(Case)
    class_permission_name = "Case"
    base_permissions = ["can_list", "can_show"]
    base_filters = [["id", CaseVisibilityFilter, None]]
    base_order = ("deadline", "asc")
    page_size = 25
    list_template = "case/list.html"
    list_widget = CaseListWidget
    # Bulk actions that need a comment box above the list.
    bulk_comment = False
    list_columns = ["rag", "case_link", "action", "lead_department", "state", "deadline",
                    "percent_done"]
    order_columns = ["deadline", "state", "percent_done"]
    search_columns = ["action", "lead_department", "state", "deadline", "title", "list_kind"]
    search_form_extra_fields = {
        "action": relation_choices(_("Action"), Action),
        "lead_department": relation_choices(
            _("Lead department"), Department,
            Department.kind.in_(LEAD_DEPARTMENT_KINDS),
        ),
        "state": label_choices(_("State"), STATE_LABELS),
        "list_kind": label_choices(_("List"), LIST_KIND_LABELS),
    }
    label_columns = {
        "rag": _("RAG status"),
        "case_link": _("Task"),
        "title": _("Task"),
        "action": _("Action"),
        "list_kind": _("List"),
        "lead_department": _("Lead department"),
        "partners": _("Partner departments"),
        "state": _("State"),
        "deadline": _("Deadline"),
        "percent_done": _("Done (%)"),
    }
    formatters_columns = {
        "rag": rag_cell,
        "case_link": case_link,
        "state": state_cell,
        "deadline": date_cell,
        "action": dash,
        "lead_department": dash,
        "partners": department_names,
        "list_kind": lambda v: label(LIST_KIND_LABELS, v),
    }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """Queues and lists have no page of their own: the case page is CaseView's."""
        return redirect(url_for("CaseView.show", pk=pk))

    def _get_list_widget(self, filters, **kwargs):
        """Add the RAG quick filter (?rag=red|yellow|green) with its counts to the list."""
        # Only the columns the light needs, for every case the list's filters select (not
        # just this page), so the counts match the record count.
        light_columns = db.session.query(
            Case.id, Case.state, Case.deadline, Case.start_date, Case.percent_done
        )
        selected = filters.get_joined_filters(self._base_filters).apply_all(light_columns)
        rags = request_rags(selected.all())
        active = request.args.get("rag")
        if active in RAG_LABELS:
            filters = filters.copy()
            filters.add_filter("id", IdsFilter, tuple(i for i, r in rags.items() if r == active))
        links = [
            {
                "code": code,
                "label": label(RAG_LABELS, code),
                "count": sum(1 for r in rags.values() if r == code),
                "url": url_for(request.endpoint, **{**request.args.to_dict(), "rag": code}),
                "active": code == active,
            }
            for code in RAG_LABELS
        ]
        args = {k: v for k, v in request.args.to_dict().items() if k != "rag"}
        kwargs.update(
            rag_links=links, rag_all_url=url_for(request.endpoint, **args),
            rag_active=active in RAG_LABELS, bulk_comment=self.bulk_comment,
            csrf=generate_csrf(),
        )
        return super()._get_list_widget(filters, **kwargs)

    def _bulk(self, items, operation: str, done_message, *, comment=None):
        """Run a bulk operation through the service; flash how it went."""
        titles = {item.id: item.title for item in items if item is not None}
        try:
            result = start_bulk(list(titles), current_actor(), operation, comment=comment)
        except DomainError as exc:
            flash(translate(exc), "danger")
            return back_to_list(self)
        flash_bulk_result(result, done_message, titles)
        return back_to_list(self)


def back_to_list(view):
    """Back to the list the bulk action came from (its filters and page), else its first page."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return redirect(referrer)
    return redirect(url_for(f"{view.__class__.__name__}.list"))


def flash_bulk_result(result: dict, done_message, titles: dict) -> None:
    """One flash for a bulk run: queued, or how many succeeded and why others failed."""
    if result.get("queued"):
        flash(
            gettext(
                "%(count)s cases were queued; they are processed in the background.",
                count=result["count"],
            ),
            "info",
        )
        return
    ok, failed = result["ok"], result["failed"]
    if ok:
        flash(gettext("%(what)s: %(count)s succeeded.", what=done_message, count=len(ok)),
              "success")
    if failed:
        reasons = "；".join(
            f"《{titles.get(case_id, case_id)}》{message}" for case_id, message in failed.items()
        )
        flash(
            gettext("%(count)s failed: %(reasons)s", count=len(failed), reasons=reasons),
            "danger",
        )
