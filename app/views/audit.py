"""The audit log (安全审计日志): read-only, for administrators (docs/security.md)."""

from __future__ import annotations

from flask_appbuilder import ModelView
from flask_babel import lazy_gettext as _

from app.fab_interface import Interface
from app.formatting import local_datetime
from app.models import AuditEntry

EVENT_LABELS = {
    "login": _("Signed in"),
    "login_failed": _("Wrong password or unknown account"),
    "locked_out": _("Account locked"),
    "login_while_locked": _("Sign-in refused: account locked"),
    "logout": _("Signed out"),
    "password_changed": _("Password changed"),
    "user_created": _("Account created"),
    "user_activated": _("Account enabled"),
    "user_deactivated": _("Account disabled"),
    "roles_changed": _("Roles changed"),
    "permissions_changed": _("Role permissions changed"),
}


class AuditLogView(ModelView):
    """Logins, failures, lock-outs, password, role and permission changes, newest first."""

    datamodel = Interface(AuditEntry)
    class_permission_name = "AuditLog"
    method_permission_name = {"list": "list", "show": "show"}
    base_permissions = ["can_list", "can_show"]
    list_title = _("Audit log")
    show_title = _("Audit entry")
    list_columns = ["at", "event", "username", "actor", "address", "detail"]
    show_columns = list_columns
    search_columns = ["event", "username", "actor", "address", "at"]
    base_order = ("at", "desc")
    page_size = 50
    formatters_columns = {
        "event": lambda value: str(EVENT_LABELS.get(value, value)),
        "at": local_datetime,  # stored in UTC, read in the office's time zone
    }
    label_columns = {
        "at": _("Time"), "event": _("Event"), "username": _("Account"),
        "actor": _("Done by"), "address": _("Address"), "detail": _("Detail"),
    }


def register(appbuilder) -> None:
    appbuilder.add_view(
        AuditLogView, "AuditLog", label=_("Audit log"), icon="fa-shield", category="Security",
    )
