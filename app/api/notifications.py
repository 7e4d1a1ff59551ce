"""The caller's own notifications over the API: list, unread count, mark read, preferences."""

from __future__ import annotations

from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.api import schemas as s
from app.api.base import ApiMixin, answers_errors
from app.api.docs import documented
from app.security import request_user
from app.services import notifications as service
from app.services.notifications import iso_utc


def _json(n) -> dict:
    return {
        "id": n.id,
        "case_id": n.case_id,
        "report_id": n.report_id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "day": n.day.isoformat(),
        "due_date": n.due_date.isoformat() if n.due_date else None,
        "created_at": iso_utc(n.created_at),
        "read_at": iso_utc(n.read_at),
    }


def _preferences(pref) -> dict:
    return {"email": pref.email, "in_app": pref.in_app, "daily_digest": pref.daily_digest}


class NotificationApi(ApiMixin, BaseApi):
    """/api/v1/notification/: only ever the caller's own rows (others' are 404)."""

    resource_name = "notification"
    class_permission_name = "Notification"
    method_permission_name = {
        "get_own": "get", "unread": "get", "read": "get", "read_all": "get",
        "get_preferences": "get", "put_preferences": "get",
    }
    allow_browser_login = True
    openapi_spec_tag = "Notifications"
    openapi_spec_component_schemas = s.NOTIFICATION_SCHEMAS
    not_found = service.NotificationNotFound

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "The caller's notifications, newest first", query=s.NotificationListQuerySchema,
                answer=(200, s.NotificationSchema, "result", True), refusals=(400, 422))
    def get_own(self):
        """The caller's notifications, newest first (?unread=1, ?page=, ?page_size=)."""
        query = self.query(s.NotificationListQuerySchema)
        page = service.notifications_page(
            request_user().id,
            unread_only=query.get("unread") in ("1", "true"),
            page=query.get("page") or 1,
            page_size=query.get("page_size") or 30,
        )
        return self.response(
            200, count=page.total, unread=page.unread, page=page.page,
            result=[_json(n) for n in page.items],
        )

    @expose("/unread_count", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "How many of the caller's notifications are unread", refusals=())
    def unread(self):
        """How many of the caller's notifications are unread."""
        return self.response(200, unread=service.unread_count(request_user().id))

    @expose("/<int:pk>/read", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Mark one of the caller's notifications read",
                answer=(200, s.NotificationSchema), refusals=(404,))
    def read(self, pk: int):
        """Mark one of the caller's notifications read (404 for anyone else's)."""
        user_id = request_user().id
        service.mark_read(user_id, [pk])
        return self.response(200, **_json(service.own_notification(user_id, pk)))

    @expose("/read_all", methods=["POST"])
    @protect()
    @safe
    @answers_errors
    @documented("post", "Mark all the caller's notifications read", refusals=())
    def read_all(self):
        """Mark all the caller's notifications read."""
        return self.response(200, marked=service.mark_read(request_user().id))

    @expose("/preferences", methods=["GET"])
    @protect()
    @safe
    @answers_errors
    @documented("get", "The caller's notification channels", answer=(200, s.PreferencesSchema),
                refusals=())
    def get_preferences(self):
        """The caller's channels."""
        return self.response(200, **_preferences(service.preferences(request_user().id)))

    @expose("/preferences", methods=["PUT"])
    @protect()
    @safe
    @answers_errors
    @documented("put", "Change the caller's notification channels",
                body=s.PreferencesRequestSchema, answer=(200, s.PreferencesSchema),
                refusals=(400,))
    def put_preferences(self):
        """Change the caller's channels (the ones not sent stay as they are)."""
        body = self.body(s.PreferencesRequestSchema)
        current = service.preferences(request_user().id)
        pref = service.save_preferences(
            request_user().id,
            email=_given(body, "email", current.email),
            in_app=_given(body, "in_app", current.in_app),
            daily_digest=_given(body, "daily_digest", current.daily_digest),
        )
        return self.response(200, **_preferences(pref))


def _given(body: dict, name: str, current: bool) -> bool:
    value = body.get(name)
    return current if value is None else value


def register(appbuilder) -> None:
    """Register the notification API."""
    appbuilder.add_api(NotificationApi)
