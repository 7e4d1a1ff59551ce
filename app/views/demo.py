"""The "演示数据" banner on every page while the database holds the living demo."""

from __future__ import annotations

from flask import current_app


def _demo_flag() -> dict:
    from app.services.living_demo import is_demo

    try:
        return {"duban_demo": is_demo()}
    except Exception:  # a banner must never break a page
        current_app.logger.exception("demo flag could not be read")
        return {"duban_demo": False}


def register(appbuilder) -> None:
    """Register the banner's template context."""
    current_app.context_processor(_demo_flag)
