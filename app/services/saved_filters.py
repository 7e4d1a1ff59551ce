"""Saved filters (我的筛选): a user's named searches on one case list, kept as query strings."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select

from app.extensions import db
from app.models import SavedFilter
from workflows.errors import DomainError

MAX_NAME = 60
MAX_PER_LIST = 30
# Only what selects cases is kept: the words, the light and FAB's column filters.
_KEPT = re.compile(r"^(q|rag|_flt_\d+_\w+)$")


class SavedFilterError(DomainError):
    """A saved filter that cannot be written (no name, too many)."""

    code = "saved_filter_invalid"
    status = 422


def filter_query(args) -> str:
    """The part of a list's query string that selects cases (empty values dropped)."""
    pairs = args.items(multi=True) if hasattr(args, "items") else parse_qsl(args)
    return urlencode([(k, v) for k, v in pairs if _KEPT.match(k) and v not in ("", "__None")])


def saved_filters(user_id: int, list_name: str) -> list[SavedFilter]:
    """The user's saved filters of one list, by name."""
    return list(db.session.scalars(
        select(SavedFilter)
        .where(SavedFilter.user_id == user_id, SavedFilter.list_name == list_name)
        .order_by(SavedFilter.name)
    ))


def save_filter(user_id: int, list_name: str, name: str, query: str) -> SavedFilter:
    """Save (or replace, by name) a filter of one list for one user."""
    name = (name or "").strip()[:MAX_NAME]
    if not name:
        raise SavedFilterError("Give the filter a name.")
    query = filter_query(query)
    if not query:
        raise SavedFilterError("Choose a filter or type search words before saving.")
    row = db.session.scalar(select(SavedFilter).where(
        SavedFilter.user_id == user_id, SavedFilter.list_name == list_name, SavedFilter.name == name))
    if row is None:
        if len(saved_filters(user_id, list_name)) >= MAX_PER_LIST:
            raise SavedFilterError("At most %(count)s saved filters per list.",
                                   count=MAX_PER_LIST)
        row = SavedFilter(user_id=user_id, list_name=list_name, name=name)
        db.session.add(row)
    row.query = query
    db.session.commit()
    return row


def delete_filter(user_id: int, filter_id: int) -> bool:
    """Delete one of the user's own saved filters (another user's is left alone)."""
    row = db.session.get(SavedFilter, filter_id)
    if row is None or row.user_id != user_id:
        return False
    db.session.delete(row)
    db.session.commit()
    return True
