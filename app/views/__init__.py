"""Pages (Flask-AppBuilder views), one module per area; each has `register(appbuilder)`."""

from app.views import plan


def init_app(appbuilder) -> None:
    """Register every area's views, in menu order."""
    plan.register(appbuilder)
