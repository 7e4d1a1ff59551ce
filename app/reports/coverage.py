"""Characters the report fonts cannot print, found before rendering.

The faces of print.css — FandolFang and FandolKai (the font folders), Noto Serif CJK SC
(Regular and Black) and Noto Sans CJK SC (fontconfig) — are read once with fontTools; a
character none of their cmaps holds would print as an empty box (.notdef). Text the office
types (remarks, the 督办要求, a draft's wording) is refused with the characters named
(`UncoveredCharacters`, 422) before anything is queued; text that comes from the data (case
titles, progress notes) is reported by `uncovered_in_html` — logged by the worker, printed by
`flask report render` — and still rendered.
"""

from __future__ import annotations

import logging
import re
import subprocess
import unicodedata
from functools import lru_cache
from html import unescape
from pathlib import Path

from workflows.errors import N_, InvalidInput

log = logging.getLogger(__name__)

FONTCONFIG_FAMILIES = ("Noto Serif CJK SC", "Noto Serif CJK SC:weight=black", "Noto Sans CJK SC")
FOLDER_FACES = ("FandolFang-Regular.otf", "FandolKai-Regular.otf")
SHOWN = 20  # characters named in a message at most


class UncoveredCharacters(InvalidInput):
    code = "uncovered_characters"
    msgid = N_("The document's fonts cannot print these characters: %(chars)s. Replace them with "
               "common characters (a rare character can be described, e.g. “上‘林’下‘木’”).")


def _font_files(font_dirs) -> list[Path]:
    files = []
    for folder in font_dirs:
        files += [Path(folder) / name for name in FOLDER_FACES if (Path(folder) / name).is_file()]
    for family in FONTCONFIG_FAMILIES:
        try:
            found = subprocess.run(["fc-match", "--format=%{file}", family], capture_output=True,
                                   text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and Path(found).is_file():
            files.append(Path(found))
    return sorted(set(files))


@lru_cache(maxsize=4)
def covered(font_dirs: tuple[str, ...]) -> frozenset[int]:
    """Code points some report face has a glyph for (empty when no face is found)."""
    from fontTools.ttLib import TTCollection, TTFont

    points: set[int] = set()
    for path in _font_files(font_dirs):
        fonts = TTCollection(str(path), lazy=True).fonts[:1] if path.suffix == ".ttc" else [
            TTFont(str(path), lazy=True)]
        for font in fonts:
            points.update(font.getBestCmap() or {})
    if not points:
        log.warning("no report font found: character coverage is not checked")
    return frozenset(points)


def _font_dirs() -> tuple[str, ...]:
    from flask import current_app

    from app.reports.render import DEFAULT_FONT_DIRS

    return tuple(current_app.config.get("REPORT_FONT_DIRS", DEFAULT_FONT_DIRS))


def uncovered(text: str) -> list[str]:
    """The distinct characters of `text` no report face prints, in order of appearance."""
    points = covered(_font_dirs())
    if not points:
        return []
    seen: dict[str, None] = {}
    for ch in text:
        if ord(ch) in points or ch in seen or ch.isspace() or unicodedata.category(ch).startswith("C"):
            continue
        seen[ch] = None
    return list(seen)


def check_typed(*texts: str | None) -> None:
    """Refuse typed text holding characters the fonts cannot print (422, the characters named)."""
    missing = uncovered("".join(t for t in texts if t))
    if missing:
        raise UncoveredCharacters(chars="、".join(missing[:SHOWN]) + ("…" if len(missing) > SHOWN else ""))


def uncovered_in_html(html: str) -> list[str]:
    """Characters of a report's text (its HTML without tags) that no face prints."""
    body = html.split("<body", 1)[-1]
    return uncovered(unescape(re.sub(r"<[^>]+>", " ", body)))
