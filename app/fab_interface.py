"""FAB's SQLAlchemy interface without the per-request rebuilding of every column's filters.

Flask-AppBuilder builds a `Filters` object for every list page several times (the view's
filters joined with its base filters, a copy for the search words, the API's detail query),
and each one converts *every* column of the model into its filter instances again: for a
case, ~40 columns and ~800 filter objects per list page (issue 14: ~6 ms of the office's
list). What a column's filters are depends only on the model, so `Interface` converts each
column once per datamodel and hands out copies of the list. The filter instances are
stateless (column name, datamodel, model) and shared; the lists are copied because FAB
appends a view's custom `search_filters` to them.
"""

from __future__ import annotations

from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface

_UNSUPPORTED = object()  # a column FAB has no filter for (its converter returns None)


class CachingFilterConverter(SQLAFilterConverter):
    """SQLAFilterConverter that converts each column of a datamodel once."""

    def convert(self, col_name):
        cache = self.datamodel.__dict__.setdefault("_duban_column_filters", {})
        found = cache.get(col_name)
        if found is None:
            found = super().convert(col_name)
            cache[col_name] = _UNSUPPORTED if found is None else tuple(found)
            found = cache[col_name]
        return None if found is _UNSUPPORTED else list(found)


class Interface(SQLAInterface):
    """SQLAInterface whose column filters are converted once (see the module's docstring)."""

    filter_converter_class = CachingFilterConverter
