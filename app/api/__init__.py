"""REST API under /api/v1 (FAB ModelRestApi and BaseApi; JWT login at /api/v1/security/login).

One module per area; each has `register(appbuilder)`.
"""

from flask_appbuilder.api import BaseApi

from app.api import cases, inspections, notifications, plan, reports, rison_schemas
from app.api.base import ApiMixin, error_response
from app.api.docs import summarise_fab_apis
from app.api.errors import SignInRequired


def init_app(appbuilder) -> None:
    """Register every area's APIs; give FAB's own APIs summaries in the OpenAPI document."""
    rison_schemas.install()
    plan.register(appbuilder)
    cases.register(appbuilder)
    notifications.register(appbuilder)
    reports.register(appbuilder)
    inspections.register(appbuilder)
    summarise_fab_apis(
        view for view in appbuilder.baseviews
        if isinstance(view, BaseApi) and not isinstance(view, ApiMixin)
    )
    _sign_in_refusals(appbuilder.sm.jwt_manager)


def _sign_in_refusals(jwt) -> None:
    """No token, a bad one or an expired one: the same Chinese 401 as FAB's own check."""
    if jwt is None:
        return
    jwt.unauthorized_loader(lambda reason: error_response(SignInRequired()))
    jwt.invalid_token_loader(lambda reason: error_response(SignInRequired()))
    jwt.expired_token_loader(lambda header, payload: error_response(SignInRequired()))
