"""`among(column, subquery)`: a column is one of the ids a subquery selects, as PostgreSQL
plans best.

`column IN (SELECT …)` is planned as a join: inside an OR it becomes a filter on every row
(a caseworker's list read all 1,000,000 cases of the province for its 18), and a report's
reads of one plan's 8,000 cases walked the whole case table in id order to merge with their
history (360 ms). `column = ANY(ARRAY(SELECT …))` runs the subquery once and makes the test
an index condition: an OR of them is a BitmapOr of index scans, a read by case is a lookup per
id (25 ms). SQLite keeps `IN`.
"""

from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean


class among(FunctionElement):
    """`column` is one of the ids `subquery` selects: `among(Case.id, select(...))`."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, column, subquery):
        # Never correlated: the ids are a set of their own, as with IN.
        super().__init__(column, subquery.correlate(None).scalar_subquery())


@compiles(among, "postgresql")
def _among_pg(element, compiler, **kw):
    column, subquery = list(element.clauses)
    return f"({compiler.process(column, **kw)} = ANY(ARRAY{compiler.process(subquery, **kw)}))"


@compiles(among)
def _among(element, compiler, **kw):
    column, subquery = list(element.clauses)
    return f"({compiler.process(column, **kw)} IN {compiler.process(subquery, **kw)})"
