"""Names in cells against known names: actions ("行动一", "（一）", "产业培塑行动"), suggestions."""

from __future__ import annotations

import difflib
import re

from workflows.lists.cells import norm
from workflows.numerals import cn_to_int

__all__ = ["find_action", "suggest"]

_ACTION_REFERENCE = re.compile(r"^(?:第|行动)?[(（]?([一二三四五六七八九十]+|\d+)[)）、.．]?(?:项)?(?:行动)?")


def suggest(text: str, names: list[str], n: int = 3) -> list[str]:
    """The closest known names: difflib, plus names containing or contained in the text."""
    key = norm(text)
    normalised = {}
    for name in names:
        normalised.setdefault(norm(name), name)
    found = [normalised[m] for m in difflib.get_close_matches(key, list(normalised), n=n, cutoff=0.5)]
    for norm_name, name in normalised.items():
        if len(found) >= n:
            break
        if key and (key in norm_name or norm_name in key) and name not in found:
            found.append(name)
    return found


def _index(numeral: str) -> int | None:
    try:
        return cn_to_int(numeral) or None
    except ValueError:
        return None


def find_action(text: str, actions: list):
    """The action a cell names, and suggestions when none: (action or None, [names]).

    `actions` are objects with `index`, `title` and a str() such as "（1）大力实施…". A cell
    may give the whole name, the number ("行动一", "（一）", "1") or the title's core, or both.
    """
    key = norm(text)
    for action in actions:
        if key in (norm(str(action)), norm(action.title)):
            return action, []
    by_index = {a.index: a for a in actions}
    m = _ACTION_REFERENCE.match(key)
    rest = key[m.end():] if m else key
    index = _index(m.group(1)) if m else None
    if rest:
        matches = [a for a in actions if rest in norm(a.title) or norm(a.title) in rest]
        if len(matches) == 1 and (index is None or matches[0].index == index):
            return matches[0], []
    elif index in by_index:
        return by_index[index], []
    return None, suggest(text, [str(a) for a in actions])
