"""Cells as text: normalisation for matching, "keep" and "clear" words, splitting, findings."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from workflows.errors import N_

__all__ = [
    "CLEAR_WORDS",
    "KEEP",
    "N_",
    "Finding",
    "cell_text",
    "is_cleared",
    "norm",
    "split_departments",
    "split_items",
    "strip_role_note",
    "title_from",
]

# An optional field the row leaves empty (or whose column the sheet lacks): an update
# keeps the case's value; "无" or "—" clears it on purpose.
KEEP = object()
CLEAR_WORDS = frozenset({"无", "暂无", "-", "—", "－", "/", "／"})

_SPLIT_DEPARTMENTS = re.compile(r"[、，,；;/／\n\r\t ]+")
_SPLIT_ITEMS = re.compile(r"[；;\n\r]+")
_ROLE_NOTE = re.compile(r"[（(](?:牵头|配合|负责|主办|协办|主责)[)）]$")


@dataclass(frozen=True)
class Finding:
    """A problem with one field of a row: an English msgid and its params, error or warning."""

    field: str | None  # None: the row as a whole
    msgid: str
    params: dict = field(default_factory=dict)
    level: str = "error"


def norm(text) -> str:
    """Text for matching: NFKC (full-width → ASCII), no whitespace, no end punctuation."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"\s+", "", text).strip("。.;；,，")


def cell_text(value) -> str:
    """A cell as text: whole floats without ".0", dates as ISO, strings stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def is_cleared(text: str) -> bool:
    """True for "无", "—", "/" …: the row clears the field on purpose."""
    return norm(text) in CLEAR_WORDS


def split_departments(text: str) -> list[str]:
    """"区商务局、区发改局；区财政局" → the names, in order."""
    return [n for n in _SPLIT_DEPARTMENTS.split(text) if n]


def split_items(text: str) -> list[str]:
    """Items of a multi-value cell (separated by ；, ; or line breaks), stripped, empties kept."""
    return [p.strip() for p in _SPLIT_ITEMS.split(text)]


def strip_role_note(name: str) -> str:
    """"区商务局（牵头）" → "区商务局"."""
    return _ROLE_NOTE.sub("", name.strip())


def title_from(content: str) -> str:
    """A case title from its task text: the first clause, at most 60 characters."""
    first = re.split(r"[。；;，,]", content, maxsplit=1)[0].strip() or content.strip()
    return first[:60]
