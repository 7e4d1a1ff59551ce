"""The caller's own notifications over the API: list, unread count, mark read, preferences."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext

from app.security import request_user
from app.services import notifications as service
from app.services.notifications import iso_utc


def _json(n) -> dict:
    return {
        "id": n.id,
        "case_id": n.case_id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "day": n.day.isoformat(),
        "due_date": n.due_date.isoformat() if n.due_date else None,
        "created_at": iso_utc(n.created_at),
        "read_at": iso_utc(n.read_at),
    }


class NotificationApi(BaseApi):
    """/api/v1/notification/: only ever the caller's own rows (others' are 404)."""

    resource_name = "notification"
    class_permission_name = "Notification"
    method_permission_name = {
        "get_own": "get", "unread": "get", "read": "get", "read_all": "get",
        "get_preferences": "get", "put_preferences": "get",
    }
    allow_browser_login = True
    openapi_spec_tag = "Notifications"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_own(self):
        """The caller's notifications, newest first (?unread=1, ?page=, ?page_size=)."""
        page = service.notifications_page(
            request_user().id,
            unread_only=request.args.get("unread") in ("1", "true"),
            page=request.args.get("page", 1, type=int),
            page_size=request.args.get("page_size", 30, type=int),
        )
        return self.response(
            200, count=page.total, unread=page.unread, page=page.page,
            result=[_json(n) for n in page.items],
        )

    @expose("/unread_count", methods=["GET"])
    @protect()
    @safe
    def unread(self):
        """How many of the caller's notifications are unread."""
        return self.response(200, unread=service.unread_count(request_user().id))

    @expose("/<int:pk>/read", methods=["POST"])
    @protect()
    @safe
    def read(self, pk: int):
        """Mark one of the caller's notifications read (404 for anyone else's)."""
        user_id = request_user().id
        try:
            service.mark_read(user_id, [pk])
            note = service.own_notification(user_id, pk)
        except service.NotificationNotFound:
            return self.response_404()
        return self.response(200, **_json(note))

    @expose("/read_all", methods=["POST"])
    @protect()
    @safe
    def read_all(self):
        """Mark all the caller's notifications read."""
        return self.response(200, marked=service.mark_read(request_user().id))

    @expose("/preferences", methods=["GET"])
    @protect()
    @safe
    def get_preferences(self):
        """The caller's channels."""
        pref = service.preferences(request_user().id)
        return self.response(
            200, email=pref.email, in_app=pref.in_app, daily_digest=pref.daily_digest
        )

    @expose("/preferences", methods=["PUT"])
    @protect()
    @safe
    def put_preferences(self):
        """Change the caller's channels: {"email", "in_app", "daily_digest"} booleans."""
        body = request.get_json(silent=True)
        current = service.preferences(request_user().id)
        if not isinstance(body, dict) or any(
            not isinstance(body.get(k, False), bool) for k in ("email", "in_app", "daily_digest")
        ):
            return self.response_400(
                message=gettext("Send email, in_app and daily_digest as true or false.")
            )
        pref = service.save_preferences(
            request_user().id,
            email=body.get("email", current.email),
            in_app=body.get("in_app", current.in_app),
            daily_digest=body.get("daily_digest", current.daily_digest),
        )
        return self.response(
            200, email=pref.email, in_app=pref.in_app, daily_digest=pref.daily_digest
        )


def register(appbuilder) -> None:
    """Register the notification API."""
    appbuilder.add_api(NotificationApi)
