"""Notification centre, preferences and the timer admin pages (rules, calendar, webhooks, status).

Thin views: they parse forms and call app.services.notifications / reminders. Each user sees
and marks only their own notifications; settings are edited by admins (office reads them),
calendar adjustments by admins and the office, webhooks by admins.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import URL, AnyOf, DataRequired, Length, Optional

from app.extensions import db
from app.fab_interface import Interface
from app.labels import (
    DELIVERY_CHANNEL_LABELS,
    NOTIFICATION_KIND_LABELS,
    WEBHOOK_FORMAT_LABELS,
    label,
)
from app.models import CalendarOverride, Department, Webhook
from app.services import delivery_status, problems
from app.services import notifications as service
from app.services import reminders as timers

WEEKDAYS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday")]




def _back(default: str):
    """Redirect to a same-site `next` URL, else to `default`."""
    target = request.form.get("next") or request.args.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = default
    return redirect(target)


class NotificationCentreView(BaseView):
    """通知中心: the signed-in user's own notifications, unread first in the navbar badge."""

    route_base = "/notifications"
    class_permission_name = "Notification"
    # Everything here concerns only the user's own rows: reading rights suffice.
    method_permission_name = {
        "index": "list", "open": "list", "mark_read": "list", "mark_all_read": "list",
        "preferences": "list",
    }
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """The list, newest first; ?unread=1 for unread only."""
        unread_only = request.args.get("unread") == "1"
        page = service.notifications_page(
            current_user.id, unread_only=unread_only, page=request.args.get("page", 1, type=int)
        )
        return self.render_template(
            "notifications/centre.html", page=page, unread_only=unread_only,
            kind_label=lambda k: label(NOTIFICATION_KIND_LABELS, k), csrf=generate_csrf(),
            title=gettext("Notifications"),
        )

    @expose("/open/<int:notification_id>")
    @has_access
    def open(self, notification_id: int):
        """Mark one of the user's notifications read and go to its case (or its document)."""
        try:
            note = service.own_notification(current_user.id, notification_id)
            service.mark_read(current_user.id, [note.id])
        except service.NotificationNotFound:
            abort(404)
        if note.case_id is None and note.report_id is None:  # 专班报送: the task force's form
            return redirect(url_for("TaskForceReportView.index"))
        if note.case_id is None:  # an issued document: its page, where the reader downloads it
            return redirect(url_for("ReportsView.document", pk=note.report_id))
        if note.kind == "problem":  # 难点堵点: its own page (the addressed unit may not see the case)
            problem_id = problems.problem_id_of(note.source_key)
            if problem_id:
                return redirect(url_for("ProblemView.show", pk=note.case_id, problem_id=problem_id))
        return redirect(url_for("CaseView.show", pk=note.case_id))

    @expose("/read/<int:notification_id>", methods=["POST"])
    @has_access
    def mark_read(self, notification_id: int):
        """Mark one of the user's notifications read."""
        try:
            service.mark_read(current_user.id, [notification_id])
        except service.NotificationNotFound:
            abort(404)
        return _back(url_for(".index"))

    @expose("/read-all", methods=["POST"])
    @has_access
    def mark_all_read(self):
        """Mark all the user's notifications read."""
        count = service.mark_read(current_user.id)
        flash(gettext("%(count)s notifications marked as read.", count=count), "info")
        return _back(url_for(".index"))

    @expose("/preferences", methods=["GET", "POST"])
    @has_access
    def preferences(self):
        """The user's own channels: in-app, email, or one daily digest email."""
        if request.method == "POST":
            service.save_preferences(
                current_user.id,
                email=bool(request.form.get("email")),
                in_app=bool(request.form.get("in_app")),
                daily_digest=bool(request.form.get("daily_digest")),
            )
            flash(gettext("Your notification preferences were saved."), "success")
            return redirect(url_for(".preferences"))
        return self.render_template(
            "notifications/preferences.html", pref=service.preferences(current_user.id),
            email=current_user.email, csrf=generate_csrf(),
            mail_enabled=bool(current_app.config.get("MAIL_ENABLED")),
            digest_time=timers.sending_rules()["digest_time"].strftime("%H:%M"),
            office_default=service.digest_by_default(current_user),
            title=gettext("Notification preferences"),
        )


class ReminderSettingsView(BaseView):
    """提醒规则 and 运行状态: the timers' settings (admins edit, the office reads) and health."""

    route_base = "/reminders"
    class_permission_name = "Setting"
    method_permission_name = {"index": "show", "save": "edit", "status": "show"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self, errors=None, values=None):
        """The settings form, with calendar problems on top."""
        can_edit = self.appbuilder.sm.has_access("can_edit", self.class_permission_name)
        return self.render_template(
            "notifications/settings.html", fields=timers.SETTING_FIELDS,
            values=values or timers.settings_as_text(), errors=errors or {},
            can_edit=can_edit, csrf=generate_csrf(),
            problems=timers.calendar_problems(), title=gettext("Reminder rules"),
        )

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        """Validate and store every setting, or none."""
        try:
            timers.save_settings(request.form)
        except timers.InvalidSettings as exc:
            flash(gettext("Nothing was saved: correct the marked fields."), "danger")
            return self.index(errors=exc.errors, values=request.form), 422
        flash(gettext("The reminder rules were saved."), "success")
        return redirect(url_for(".index"))

    @expose("/status")
    @has_access
    def status(self):
        """Last runs of the timers, the outbox and delivery backlog, and calendar problems."""
        status = timers.timer_status()
        return self.render_template(
            "notifications/status.html", status=status, problems=status["calendar_problems"],
            channel_label=lambda code: label(DELIVERY_CHANNEL_LABELS, code),
            recipient_of=delivery_status.recipient_of,
            title=gettext("Timer status"),
        )


def _weekday(value) -> str:
    return f"{value.isoformat()}（{WEEKDAYS[value.weekday()]}）" if value else ""


class CalendarOverrideView(ModelView):
    """工作日调整: the office's own working days and holidays over the official calendar."""

    datamodel = Interface(CalendarOverride)
    class_permission_name = "CalendarOverride"
    base_order = ("date", "desc")
    list_title = _("Working-day adjustments")
    add_title = _("Add a working-day adjustment")
    edit_title = _("Edit a working-day adjustment")
    show_title = _("Working-day adjustment")
    list_columns = ["date", "is_working_day", "note"]
    add_columns = edit_columns = show_columns = ["date", "is_working_day", "note"]
    search_columns = ["date", "is_working_day", "note"]
    label_columns = {
        "date": _("Date"),
        "is_working_day": _("Working day"),
        "note": _("Note"),
    }
    description_columns = {
        "is_working_day": _("Ticked: a working day (e.g. a make-up day); not ticked: a day off."),
        "note": _("E.g. the State Council notice it comes from."),
    }
    formatters_columns = {
        "date": _weekday,
        "is_working_day": lambda v: gettext("Working day") if v else gettext("Day off"),
    }
    validators_columns = {"date": [DataRequired()]}
    # FAB makes every NOT NULL column required, which would refuse an unticked box (a day off).
    add_form_extra_fields = edit_form_extra_fields = {
        "is_working_day": BooleanField(
            _("Working day"),
            description=_("Ticked: a working day (e.g. a make-up day); not ticked: a day off."),
        ),
        "note": StringField(
            _("Note"), description=_("E.g. the State Council notice it comes from."),
            filters=[lambda v: (v or "").strip()], validators=[Length(max=200)],
        ),
    }
    list_template = "notifications/calendar_list.html"

    @expose("/list/")
    @has_access
    def list(self):
        """FAB's list, with the calendar problems above it."""
        self.update_redirect()
        return self.render_template(
            self.list_template, title=self.list_title, widgets=self._list(),
            problems=timers.calendar_problems(),
        )

    def pre_add(self, item):
        _unique_date(self.datamodel, item)

    def pre_update(self, item):
        _unique_date(self.datamodel, item)


def _unique_date(datamodel, item) -> None:
    from sqlalchemy import select

    with datamodel.session.no_autoflush:  # the edited row must not be flushed by this query
        other = datamodel.session.scalar(
            select(CalendarOverride).where(
                CalendarOverride.date == item.date, CalendarOverride.id != (item.id or 0)
            )
        )
    if other is not None:
        raise ValueError(gettext("This date already has an adjustment: edit that one."))


class WebhookView(ModelView):
    """群机器人: where a department's notifications are posted (generic JSON, WeCom, DingTalk)."""

    datamodel = Interface(Webhook)
    class_permission_name = "Webhook"
    base_order = ("name", "asc")
    list_title = _("Webhooks")
    add_title = _("Add a webhook")
    edit_title = _("Edit a webhook")
    show_title = _("Webhook")
    list_columns = ["name", "format", "department", "active"]
    # The URL holds the robot's key: write-only. Shown masked; the edit form starts empty and
    # keeps the stored address unless a new one is typed (issue 15).
    add_columns = ["name", "url", "format", "department", "active"]
    edit_columns = ["name", "new_url", "format", "department", "active"]
    show_columns = ["name", "masked_url", "format", "department", "active"]
    label_columns = {
        "name": _("Name"),
        "url": _("URL"),
        "masked_url": _("URL"),
        "new_url": _("New URL"),
        "format": _("Format"),
        "department": _("Department"),
        "active": _("Active"),
    }
    description_columns = {
        "url": _("The robot's address, e.g. https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"),
        "format": _("generic: JSON with id, kind, case_id, title, text; wecom: WeCom group "
                    "robot; dingtalk: DingTalk group robot (markdown)."),
        "department": _("Posts every notification to this department's members, once per "
                        "event; empty: every notification."),
    }
    formatters_columns = {
        "format": lambda v: label(WEBHOOK_FORMAT_LABELS, v),
        # No "None" or "True" on the office's pages (the Chinese crawl reads every page).
        "department": lambda v: str(v) if v else "—",
        "active": lambda v: gettext("Yes") if v else gettext("No"),
    }
    validators_columns = {
        "url": [DataRequired(), URL(require_tld=False, message=_("Enter an http(s) URL."))],
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "format": SelectField(
            _("Format"), choices=list(WEBHOOK_FORMAT_LABELS.items()), default="generic",
            validators=[AnyOf(list(WEBHOOK_FORMAT_LABELS))],
        ),
        "active": BooleanField(_("Active"), default=True),
        # The blank choice reads "—" (FAB's would read "__None").
        "department": QuerySelectField(
            _("Department"), query_func=lambda: db.session.query(Department).order_by(
                Department.kind, Department.name),
            get_pk_func=lambda row: row.id, allow_blank=True, blank_text="—",
            widget=Select2Widget(),
        ),
    }
    edit_form_extra_fields = {
        **add_form_extra_fields,
        "new_url": StringField(
            _("New URL"), validators=[Optional(), URL(require_tld=False, message=_("Enter an http(s) URL."))],
            description=_("The stored address is not shown (it contains the robot's key). "
                          "Leave empty to keep it; type a new one to replace it."),
        ),
    }

    def pre_add(self, item):
        _check_webhook(item)

    def pre_update(self, item):
        new_url = (getattr(item, "new_url", None) or "").strip()
        if new_url:
            item.url = new_url
        _check_webhook(item)


def _check_webhook(item) -> None:
    if not (item.url or "").lower().startswith(("http://", "https://")):
        raise ValueError(gettext("Enter an http(s) URL."))
    if item.format not in WEBHOOK_FORMAT_LABELS:
        raise ValueError(gettext("Choose generic, wecom or dingtalk."))


def _unread_badge() -> dict:
    """Navbar context: the signed-in user's unread count (None when signed out)."""
    try:
        if current_user and current_user.is_authenticated:
            return {"duban_unread": service.unread_count(current_user.id)}
    except Exception:  # a badge must never break a page
        current_app.logger.exception("unread count failed")
    return {"duban_unread": None}


def register(appbuilder) -> None:
    """Register the notification centre, the timer admin pages and the navbar badge."""
    # The centre is reached from the bell in the navbar (templates/appbuilder/navbar_right.html).
    appbuilder.add_view_no_menu(NotificationCentreView)
    appbuilder.add_view(
        ReminderSettingsView, "ReminderSettings", label=_("Reminder rules"), icon="fa-clock-o",
        category="Reminders", category_label=_("Reminders"), category_icon="fa-bell-o",
    )
    appbuilder.add_link(
        "TimerStatus", label=_("Timer status"), href="/reminders/status", icon="fa-heartbeat",
        category="Reminders",
    )
    appbuilder.add_view(
        CalendarOverrideView, "CalendarOverrides", label=_("Working-day adjustments"),
        icon="fa-calendar", category="Reminders",
    )
    appbuilder.add_view(
        WebhookView, "Webhooks", label=_("Webhooks"), icon="fa-plug", category="Reminders",
    )
    current_app.context_processor(_unread_badge)
