"""Pages (Flask-AppBuilder views), one module per area; each has `register(appbuilder)`."""

from app.views import (
    audit,
    case_edit,
    cases,
    dashboard,
    demo,
    drafts,
    evaluations,
    inspections,
    instructions,
    lists,
    navbar_menu,
    notifications,
    plan,
    plan_scope,
    problems,
    reports,
    targets,
    task_force_reports,
)


def init_app(appbuilder) -> None:
    """Register every area's views, in menu order."""
    dashboard.register(appbuilder)
    cases.register(appbuilder)
    case_edit.register(appbuilder)
    instructions.register(appbuilder)
    problems.register(appbuilder)
    plan.register(appbuilder)
    targets.register(appbuilder)
    plan_scope.register(appbuilder)
    evaluations.register(appbuilder)
    lists.register(appbuilder)
    drafts.register(appbuilder)
    notifications.register(appbuilder)
    reports.register(appbuilder)
    task_force_reports.register(appbuilder)
    inspections.register(appbuilder)
    audit.register(appbuilder)
    demo.register(appbuilder)
    navbar_menu.register(appbuilder)
