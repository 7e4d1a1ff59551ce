"""REST API under /api/v1 (FAB ModelRestApi and BaseApi; JWT login at /api/v1/security/login).

One module per area; each has `register(appbuilder)`.
"""

from app.api import cases, notifications, plan, reports


def init_app(appbuilder) -> None:
    """Register every area's APIs."""
    plan.register(appbuilder)
    cases.register(appbuilder)
    notifications.register(appbuilder)
    reports.register(appbuilder)
