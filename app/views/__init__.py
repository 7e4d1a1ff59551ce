"""Pages (Flask-AppBuilder views), one module per area; each has `register(appbuilder)`."""

from app.views import (
    audit,
    cases,
    dashboard,
    demo,
    drafts,
    evaluations,
    lists,
    notifications,
    plan,
    reports,
    targets,
)


def init_app(appbuilder) -> None:
    """Register every area's views, in menu order."""
    dashboard.register(appbuilder)
    cases.register(appbuilder)
    plan.register(appbuilder)
    targets.register(appbuilder)
    evaluations.register(appbuilder)
    lists.register(appbuilder)
    drafts.register(appbuilder)
    notifications.register(appbuilder)
    reports.register(appbuilder)
    audit.register(appbuilder)
    demo.register(appbuilder)
