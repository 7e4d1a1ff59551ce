"""The navbar's menu rendered once per set of roles and language, not on every page.

FAB's `navbar_menu.html` asks the security manager about every menu entry (~35 checks), and
translates and builds the URL of each, on every page: ~3 ms of each page's floor (issue 14).
The menu, its URLs and its labels are fixed once the app has started; what it shows depends
only on the user's roles when every one of them is a builtin role (app.security: their
permissions are configuration, not rows), on the language, and on the script root the URLs
start with. For such users the menu's HTML is kept per (roles, active, language, script
root); anyone else (signed out, a role stored in the database) gets it rendered as before.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

TEMPLATE = "appbuilder/navbar_menu.html"


def _render() -> Markup:
    appbuilder = current_app.appbuilder
    return Markup(current_app.jinja_env.get_template(TEMPLATE).render(menu=appbuilder.menu))


def _key():
    """What the menu depends on, or None when it must be rendered each time."""
    sm = current_app.appbuilder.sm
    if not current_user or not current_user.is_authenticated or getattr(g, "_api_key_user", False):
        return None
    user = sm._get_safe_user(g.user)
    if user is None:
        return None
    names = tuple(sorted({role.name for role in sm.get_user_roles(user)}))
    if not names or any(name not in sm.builtin_roles for name in names):
        return None
    return names, bool(user.is_active), str(get_locale()), request.script_root


def navbar_menu() -> Markup:
    """The menu's <li> entries (what templates/appbuilder/navbar.html includes)."""
    key = _key()
    if key is None:
        return _render()
    kept = current_app.extensions.setdefault("duban_navbar_menus", {})
    html = kept.get(key)
    if html is None:
        if len(kept) > 256:
            kept.clear()
        html = kept[key] = _render()
    return html


def register(appbuilder) -> None:
    """Offer navbar_menu() to the templates."""
    current_app.jinja_env.globals["duban_navbar_menu"] = navbar_menu
