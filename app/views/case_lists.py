"""The case lists shared by every case page: cell formatters, filters, search and saved
filters, the list base with its bulk actions, and the flash of a bulk result.

app.views.cases builds the case page and the queues (我的待办) on `CaseListBase`.
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace
from urllib.parse import quote, urlencode

from flask import Response, flash, g, has_request_context, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.urltools import get_filter_args
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import EscapeFormatter, Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload
from wtforms import SelectField

from app import rag_sql
from app.access import CaseVisibilityFilter
from app.errors import translate
from app.extensions import db
from app.fab_interface import Interface
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
from app.rag import rag_by_id
from app.security import current_actor
from app.services import plan_scope
from app.services import saved_filters as saved
from app.services.bulk import NothingDone, start_bulk
from app.services.case_base import LEAD_DEPARTMENT_KINDS
from app.services.case_search import search_clause, search_words
from app.services.cases import DASH
from app.services.dashboard import DUE_SOON_WORKING_DAYS
from app.services.milestones import due_soon_clause, missed_clause
from app.services.status_export import RAG_NAMES, export_status
from app.views.row_policy import RowPolicyActions
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


# Markup.format's escaping of each value, without string.Formatter parsing the template at
# every call (a list page formats ~300 cells: ~3 ms of Python).
_FIELD = EscapeFormatter(escape)


def html(template: str, *values) -> Markup:
    """Markup(template).format(*values), the template with %s where format has {0}, {1}…"""
    return Markup(template % tuple(_FIELD.format_field(value, "") for value in values))


def date_cell(value: date | None) -> Markup:
    """A date in a list cell, never wrapped."""
    return html('<span class="nowrap">%s</span>', iso_date(value))


def state_cell(value) -> Markup:
    """A state as a coloured label."""
    return html('<span class="label case-state state-%s">%s</span>', value, label(STATE_LABELS, value))


def rag_cell(value) -> Markup:
    """A RAG light: a coloured dot and its label (红黄绿灯)."""
    if not value:
        return Markup(DASH)
    return html('<span class="rag rag-%s"><i class="rag-dot"></i>%s</span>',
                value, label(RAG_LABELS, str(value)))


def case_link(case: Case) -> Markup:
    """The case's title linking to its page (every list links to the one case page)."""
    return html('<a href="%s">%s</a>', url_for("CaseView.show", pk=case.id), case.title)


def department_names(departments) -> str:
    return "、".join(str(d) for d in departments) or DASH


def request_rags(cases) -> dict:
    """RAG of cases, with today's calendar and settings read once per request."""
    cache = g.setdefault("duban_rags", {})
    missing = [c for c in cases if c.id not in cache]
    if missing:
        cache.update(rag_by_id(missing))
    return {c.id: cache[c.id] for c in cases}


class CaseInterface(Interface):
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

    def apply_all(self, query, *args, **kwargs):
        """No row of a list shows its milestones (its light reads them for the whole page in
        one query, request_rags) or its indicators: they are not loaded with the page."""
        query = super().apply_all(query, *args, **kwargs)
        if self.obj is not Case:  # FAB's interface of a related model
            return query
        return query.options(lazyload(Case.milestones), lazyload(Case.indicators))

    def query_count(self, query, filters=None, select_columns=None) -> int:
        """The list's record count, when its lights were just counted (CaseListBase)."""
        known = g.pop("duban_list_count", None) if has_request_context() else None
        if known is not None:
            return known
        return super().query_count(query, filters, select_columns)

    def query(self, *args, **kwargs):
        """A page of cases, with the lights of all its rows computed at once (one query for
        their milestones, not one per row)."""
        count, items = super().query(*args, **kwargs)
        request_rags(items)
        return count, items


class ExtensionInterface(Interface):
    """Extension requests with their case's link and lead department."""

    def _get_attr_value(self, item, col):
        if col == "case_link":
            return item.case
        return super()._get_attr_value(item, col)


# --- queue filters -------------------------------------------------------------------------


class PlanScopeFilter(BaseFilter):
    """The plan the user works in (with its actions' implementation plans), or all plans."""

    name = "plan"
    arg_name = None

    def apply(self, query, value):
        return query.filter(plan_scope.case_clause(plan_scope.chosen_plan(current_user.id)))


class RagFilter(BaseFilter):
    """The light quick filter (?rag=red|yellow|green), in SQL (app.rag_sql)."""

    name = "rag"
    arg_name = None

    def apply(self, query, value):
        light, thresholds = value
        return query.filter(rag_sql.light_is(light, thresholds))


class DueSoonFilter(BaseFilter):
    """?due=soon: open cases due within the dashboard's 即将到期 window, in SQL."""

    name = "due"
    arg_name = None

    def apply(self, query, value):
        return query.filter(rag_sql.due_soon(value))


class MilestoneFilter(BaseFilter):
    """?milestone=missed (an open milestone past its date) or soon (one due within 10 days)."""

    name = "milestone"
    arg_name = None

    def apply(self, query, value):
        return query.filter(missed_clause() if value == "missed" else due_soon_clause())


MILESTONE_FILTERS = {"missed": (_("Missed milestones"), "节点逾期"),
                     "soon": (_("Milestones due within 10 days"), "节点10日内到期")}


class WordsFilter(BaseFilter):
    """The search box (?q=WORDS): every word in the title, plan text, 编号 or departments."""

    name = "words"
    arg_name = None

    def apply(self, query, value):
        return query.filter(search_clause(list(value)))


# --- forms ---------------------------------------------------------------------------------


def form_int(name: str):
    """An optional whole number from the posted form (None when absent or not a number)."""
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


class CaseListWidget(ListWidget):
    """FAB's list with the RAG quick filter and, for bulk actions, a comment box."""

    template = "case/list_widget.html"

    # One cell as the template wrote it: its column's class, its label (data-label, for the
    # phone layout), the formatted value; with the whitespace the template's loop left.
    CELL = '\n        \n        <td class="col-%s" data-label="%s">%s</td>\n      '

    def __call__(self, **kwargs):
        # The rows' cells are written here, in Python, not by a Jinja loop over every column of
        # every row (25 × 8 cells: their formatter, label and class looked up each time). Each
        # column's label is translated once, not once per cell. The HTML is the same.
        args = {**self.template_args, **kwargs}
        labels = args.get("label_columns") or {}
        formatters = args.get("formatters_columns") or {}
        columns = [
            (column, column.replace(".", "-"),
             escape(labels[column]) if column in labels else None, formatters.get(column))
            for column in args.get("include_columns") or ()
        ]
        rows = kwargs["value_columns"] = list(args.get("value_columns") or ())  # FAB's: a generator
        kwargs["row_cells"] = [
            Markup("").join(
                html(self.CELL, css, label, formatter(item[column]) if formatter else item[column])
                for column, css, label, formatter in columns)
            for item in rows
        ]
        return super().__call__(**kwargs)


class ChoiceRow:
    """One choice of a relation filter: the row's id and its label (the model's own __str__)."""

    __slots__ = ("id", "label")

    def __init__(self, row_id: int, label: str):
        self.id = row_id
        self.label = label

    def __str__(self) -> str:
        return self.label


# The columns each model's __str__ reads (app.models): the choices are read as these columns,
# not as ORM objects (a province has thousands of units; every list page offers them all).
CHOICE_LABEL_COLUMNS = {Action: ("index", "title"), Department: ("short_name", "name")}


def choice_rows(model, *where) -> list[ChoiceRow]:
    """The model's rows as choices, by id, labelled as str(row) would label them."""
    names = CHOICE_LABEL_COLUMNS[model]
    rows = db.session.execute(
        select(model.id, *(getattr(model, name) for name in names)).where(*where).order_by(model.id))
    return [ChoiceRow(row[0], model.__str__(SimpleNamespace(**dict(zip(names, row[1:], strict=True)))))
            for row in rows]


def relation_choices(text, model, *where, in_plan=None) -> QuerySelectField:
    """A select of rows for a relation filter, with a blank choice that reads 请选择; `in_plan`
    (a plan_scope clause function) keeps the rows of the plan the user works in."""

    def rows():
        scope = [in_plan(plan_scope.chosen_plan(current_user.id))] if in_plan else []
        return choice_rows(model, *where, *scope)

    return QuerySelectField(
        text,
        query_func=rows,
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


class CaseListBase(RowPolicyActions, ModelView):
    """A list of cases: visibility always, RAG column, sortable by deadline, filters."""

    all_cases = False  # the list of all visible cases (CaseView), not a queue

    datamodel = CaseInterface(Case)
    class_permission_name = "Case"
    base_permissions = ["can_list", "can_show"]
    base_filters = [["id", CaseVisibilityFilter, None], ["plan_id", PlanScopeFilter, None]]
    # Bulk actions load the selected rows through visibility (app/views/row_policy.py).
    row_policy_filters = [["id", CaseVisibilityFilter, None]]
    base_order = ("deadline", "asc")
    page_size = 25
    list_template = "case/list.html"
    list_widget = CaseListWidget
    # Bulk actions that need a comment box above the list.
    bulk_comment = False
    list_columns = ["rag", "case_link", "action", "lead_department", "state", "deadline",
                    "percent_done"]
    order_columns = ["deadline", "state", "percent_done"]
    # Words are searched with the search box (?q=); the panel filters by column.
    search_columns = ["action", "lead_department", "state", "deadline", "list_kind"]
    search_form_extra_fields = {
        # The plan's actions and units, not a province's 1,000 and 3,250.
        "action": relation_choices(_("Action"), Action, in_plan=plan_scope.action_clause),
        "lead_department": relation_choices(
            _("Lead department"), Department,
            Department.kind.in_(LEAD_DEPARTMENT_KINDS), in_plan=plan_scope.department_clause,
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

    method_permission_name = {
        "export": "list", "save_filter": "list", "delete_filter": "list",
    }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """Queues and lists have no page of their own: the case page is CaseView's."""
        return redirect(url_for("CaseView.show", pk=pk))

    @expose("/list/")
    @has_access
    def list(self):
        """The list, titled by what it shows, with the search box, filter chips and saved filters."""
        cleaned = _without_empty_filters()
        if cleaned is not None:
            return redirect(_list_url(self, cleaned))
        self.update_redirect()
        try:
            widgets = self._list()
        except FABException:
            flash(gettext("The list's filters are not valid."), "warning")
            return redirect(url_for(f"{self.__class__.__name__}.list"))
        chips = self._chips()
        title = str(self.list_title)
        if chips:
            title = f"{title}：{'；'.join(chip['text'] for chip in chips)}"
        return self.render_template(
            self.list_template, title=title, widgets=widgets, chips=chips,
            search_words=" ".join(search_words(request.args.get("q"))),
            search_hidden=[(k, v) for k, v in request.args.items(multi=True)
                           if k not in ("q", "csrf_token") and not k.startswith("page_")],
            clear_url=url_for(f"{self.__class__.__name__}.list"),
            export_url=_list_url(self, request.args.items(multi=True), endpoint="export"),
            saved=self._saved_filters(), csrf=generate_csrf(),
            filter_query=saved.filter_query(request.args),
        )

    @expose("/export/")
    @has_access
    def export(self):
        """The status export (督办事项状态) of exactly this list: its queue, filters, words, light."""
        get_filter_args(self._filters)
        filters = self._with_words(self._filters)
        joined = filters.get_joined_filters(self._base_filters)
        try:
            ids = joined.apply_all(db.session.query(Case.id)).subquery()
            rag = request.args.get("rag")
            chips = self._chips()
            what = ([] if self.all_cases else [str(self.list_title)]) + [
                chip["short"] for chip in chips]
            result = export_status(
                current_actor(), rag=rag if rag in RAG_LABELS else None,
                within=select(ids.c.id), what=what,
            )
        except FABException:
            flash(gettext("The list's filters are not valid."), "warning")
            return redirect(url_for(f"{self.__class__.__name__}.list"))
        response = Response(
            result.data,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response.headers["Content-Disposition"] = (
            "attachment; filename=\"status.xlsx\"; "
            f"filename*=UTF-8''{quote(result.file_name)}"
        )
        return response

    @expose("/savefilter/", methods=["POST"])
    @has_access
    def save_filter(self):
        """Save the list's current filter under a name (我的筛选)."""
        query = request.form.get("query", "")
        try:
            saved.save_filter(current_user.id, self.__class__.__name__,
                              request.form.get("name", ""), query)
        except saved.SavedFilterError as exc:
            flash(translate(exc), "danger")
        else:
            flash(gettext("Filter saved."), "success")
        return redirect(_list_url(self, _pairs(query)))

    @expose("/deletefilter/<int:filter_id>", methods=["POST"])
    @has_access
    def delete_filter(self, filter_id):
        """Delete one of the user's saved filters."""
        if saved.delete_filter(current_user.id, filter_id):
            flash(gettext("Saved filter deleted."), "success")
        return redirect(url_for(f"{self.__class__.__name__}.list"))

    def _saved_filters(self) -> list[dict]:
        name = self.__class__.__name__
        return [
            {"id": row.id, "name": row.name, "url": _list_url(self, _pairs(row.query)),
             "delete_url": url_for(f"{name}.delete_filter", filter_id=row.id)}
            for row in saved.saved_filters(current_user.id, name)
        ]

    def _with_words(self, filters):
        """The list's filters plus the search box's words (?q=) and ?due=soon, if any."""
        words = search_words(request.args.get("q"))
        due_soon = request.args.get("due") == "soon"
        milestone = request.args.get("milestone")
        if not words and not due_soon and milestone not in MILESTONE_FILTERS:
            return filters
        filters = filters.copy()
        if words:
            filters.add_filter("id", WordsFilter, tuple(words))
        if milestone in MILESTONE_FILTERS:
            filters.add_filter("id", MilestoneFilter, milestone)
        if due_soon:
            filters.add_filter("id", DueSoonFilter, DUE_SOON_WORKING_DAYS)
        return filters

    def _chips(self) -> list[dict]:
        """The applied filters, each with its text and a link that removes it."""
        args = list(request.args.items(multi=True))
        chips = []

        def without(predicate):
            return _list_url(self, [(k, v) for k, v in args if not predicate(k, v)])

        words = search_words(request.args.get("q"))
        for word in words:
            rest = " ".join(w for w in words if w != word)
            chips.append({
                "text": gettext("search “%(word)s”", word=word),
                "short": f"含{word}",
                "url": _list_url(self, [(k, v) for k, v in args if k != "q"]
                                 + ([("q", rest)] if rest else [])),
            })
        for key, value in args:
            match = re.fullmatch(r"_flt_(\d)_(\w+)", key)
            if not match:
                continue
            column = match.group(2)
            options = self._filters.get_search_filters().get(column) or []
            index = int(match.group(1))
            how = str(options[index].name) if index < len(options) else ""
            shown = self._filter_value(column, value)
            chips.append({
                "text": f"{self.label_columns.get(column, column)} {how} {shown}".strip(),
                "short": shown if how in (gettext("Equal to"), gettext("Relation")) or not how
                else f"{self.label_columns.get(column, column)}{how}{shown}",
                "url": without(lambda k, v, key=key, value=value: (k, v) == (key, value)),
            })
        if request.args.get("due") == "soon":
            chips.append({
                "text": gettext("Due within %(days)s working days", days=DUE_SOON_WORKING_DAYS),
                "short": f"{DUE_SOON_WORKING_DAYS}个工作日内到期",
                "url": without(lambda k, v: k == "due"),
            })
        milestone = request.args.get("milestone")
        if milestone in MILESTONE_FILTERS:
            text, short = MILESTONE_FILTERS[milestone]
            chips.append({"text": str(text), "short": short,
                          "url": without(lambda k, v: k == "milestone")})
        rag = request.args.get("rag")
        if rag in RAG_LABELS:
            chips.append({
                "text": f"{gettext('RAG status')}：{label(RAG_LABELS, rag)}",
                "short": RAG_NAMES[rag],
                "url": without(lambda k, v: k == "rag"),
            })
        return chips

    @staticmethod
    def _filter_value(column: str, value: str) -> str:
        """A filter's value as the user chose it (a name, a label), not an id or a code."""
        models = {"action": Action, "lead_department": Department}
        if column in models and value.isdigit():
            row = db.session.get(models[column], int(value))
            if row is not None:
                return str(row)
        if column == "state":
            return label(STATE_LABELS, value)
        if column == "list_kind":
            return label(LIST_KIND_LABELS, value)
        return value

    def _get_list_widget(self, filters, **kwargs):
        """Add the search words and the RAG quick filter (?rag=red|yellow|green) with its counts."""
        filters = self._with_words(filters)
        # The light of every case the list's filters select (not just this page), counted in
        # the database (app.rag_sql), so the counts match the record count at any size.
        thresholds = rag_sql.thresholds()
        lights = filters.get_joined_filters(self._base_filters).apply_all(
            db.session.query(rag_sql.light(thresholds).label("light"))
        ).subquery()
        counts = dict(db.session.query(lights.c.light, func.count()).group_by(lights.c.light).all())
        active = request.args.get("rag")
        if active in RAG_LABELS:
            filters = filters.copy()
            filters.add_filter("id", RagFilter, (active, thresholds))
        links = [
            {
                "code": code,
                "label": label(RAG_LABELS, code),
                "count": counts.get(code, 0),
                "url": url_for(request.endpoint, **{**request.args.to_dict(), "rag": code}),
                "active": code == active,
            }
            for code in RAG_LABELS
        ]
        args = {k: v for k, v in request.args.to_dict().items() if k != "rag"}
        milestone_args = {k: v for k, v in request.args.to_dict().items() if k != "milestone"}
        kwargs.update(
            milestone_links=[
                {"code": code, "label": text, "active": request.args.get("milestone") == code,
                 "url": url_for(request.endpoint, **{**milestone_args, "milestone": code})}
                for code, (text, _short) in MILESTONE_FILTERS.items()],
            rag_links=links, rag_all_url=url_for(request.endpoint, **args),
            rag_active=active in RAG_LABELS, bulk_comment=self.bulk_comment,
            csrf=generate_csrf(),
        )
        # The record count is the lights' counts summed (or the chosen light's): the rows and
        # filters are the same, so FAB's own count(*) would only scan them again.
        g.duban_list_count = counts.get(active, 0) if active in RAG_LABELS else sum(counts.values())
        try:
            return super()._get_list_widget(filters, **kwargs)
        finally:
            g.pop("duban_list_count", None)

    def _bulk(self, items, operation: str, done_message, *, comment=None):
        """Run a bulk operation through the service; flash how it went."""
        titles = {item.id: item.title for item in items if item is not None}
        try:
            result = start_bulk(list(titles), current_actor(), operation, comment=comment)
        except NothingDone:
            # Every case refused (e.g. urged too recently): the error page with the reasons
            # and the refusal's status (409), not a redirect that looks like success.
            raise
        except DomainError as exc:
            flash(translate(exc), "danger")
            return back_to_list(self)
        flash_bulk_result(result, done_message, titles)
        return back_to_list(self)


def _pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query or "")


def _list_url(view, pairs, endpoint: str = "list") -> str:
    """The view's list (or export) URL with these query arguments."""
    base = url_for(f"{view.__class__.__name__}.{endpoint}")
    pairs = [(k, v) for k, v in pairs if k != "csrf_token"]
    return f"{base}?{urlencode(pairs)}" if pairs else base


def _without_empty_filters():
    """The query arguments without empty column filters (FAB's blank choice is "__None"), or
    None when there are none: a filter the user did not fill in never narrows the list."""
    pairs = list(request.args.items(multi=True))
    kept = [(k, v) for k, v in pairs
            if not (k.startswith("_flt_") and v.strip() in ("", "__None"))
            and not (k in ("q", "rag") and not v.strip())]
    return kept if len(kept) != len(pairs) else None


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
