"""The request's translations looked up once, not at every translated string.

Flask-Babel finds the catalogue for each `gettext` (and each lazy string shown, each `_()` in
a template) by resolving the request's context three times and rebuilding the locale's name
(`str(locale)`) for its cache key: ~8 µs a string, and a list page shows ~250 of them
(issue 14). `RequestDomain` keeps the catalogue it found on the request's Babel context,
with the locale object it was found for: a changed locale (`force_locale`, `refresh`, the
language switch) is a different object, so the catalogue is looked up again as before.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import Domain, get_babel
from flask_babel import _get_current_context as babel_context


class RequestDomain(Domain):
    """Flask-Babel's default domain, with the request's catalogue kept per locale."""

    def get_translations(self):
        ctx = babel_context()
        if ctx is None:
            return super().get_translations()
        kept = getattr(ctx, "duban_translations", None)
        locale = getattr(ctx, "babel_locale", None)
        if kept is not None and locale is not None and kept[0] is locale:
            return kept[1]
        translations = super().get_translations()  # sets ctx.babel_locale (get_locale)
        ctx.duban_translations = (getattr(ctx, "babel_locale", None), translations)
        return translations


def init_app(app: Flask) -> None:
    """Make RequestDomain the app's default domain (Flask-Babel's Babel must be set up)."""
    with app.app_context():
        babel = get_babel(app).instance
        babel.__dict__["domain_instance"] = RequestDomain(domain=babel.domain)
