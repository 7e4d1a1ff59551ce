"""Configurable rule values kept in the Setting table: moved below the services to app/settings.py.

The names stay importable from here for the services that use them.
"""

from app.settings import get_setting, set_setting

__all__ = ["get_setting", "set_setting"]
