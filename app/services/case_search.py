"""Word search over cases: title, the plan's text, the 编号 and department names.

One WHERE clause for every path (case lists and queues, the status export, the CLI):
each word must match (AND); a word matches a case when its title, its plan text (the
plan's sentence the case came from), the name or short name of its lead or a partner
department contains it (substring, case-insensitive), or its 编号 equals it. On PostgreSQL
the substring tests use the pg_trgm indexes of the search migration; SQLite runs LIKE.
"""

from __future__ import annotations

import re

from sqlalchemy import and_, false, or_, select, true

from app.access import partner_cases_clause
from app.models import Case, Department

MAX_WORDS = 8
MAX_WORD_LENGTH = 50
# Spaces of both widths, and the separators people type between words.
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def search_words(text: str | None) -> list[str]:
    """The words of a search box (`?q=`): split on spaces and commas, duplicates dropped."""
    words: list[str] = []
    for word in _SEPARATORS.split((text or "").strip()):
        word = word[:MAX_WORD_LENGTH]
        if word and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _word_clause(word: str):
    """Cases matching one word."""
    pattern = f"%{_escape_like(word)}%"

    def contains(column):
        return column.ilike(pattern, escape="\\")

    departments = select(Department.id).where(
        or_(contains(Department.name), contains(Department.short_name))
    )
    return or_(
        contains(Case.title),
        contains(Case.text),
        Case.source_key == word,
        Case.lead_department_id.in_(departments),
        partner_cases_clause(departments),
    )


def search_clause(text_or_words):
    """A WHERE clause on Case: every word matches (no words: every case)."""
    words = (
        search_words(text_or_words) if isinstance(text_or_words, str | None) else list(text_or_words)
    )
    if not words:
        return true()
    clauses = [_word_clause(w) for w in words]
    return and_(*clauses) if clauses else false()
