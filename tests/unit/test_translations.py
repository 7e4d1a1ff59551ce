"""Every user-facing string of ours has a Simplified Chinese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "app" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
# workflows/ is plain Python: it marks the msgids it hands to the service layer with N_().
WORKFLOW_KEYWORDS = {"N_": None}


def extracted_msgids() -> set[str]:
    """Message ids used in app/, templates/ and (marked N_) workflows/, as pybabel would extract them."""
    ids: set[str] = set()
    for folder, method, keywords in (("app", "python", KEYWORDS), ("templates", "jinja2", KEYWORDS),
                                     ("workflows", "python", WORKFLOW_KEYWORDS)):
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[(pattern, method)], keywords=keywords
        ):
            ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def translated_ids(path: Path) -> set[str]:
    with path.open("rb") as f:
        catalogue = read_po(f)
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id and m.string}


def test_every_message_has_a_chinese_translation():
    import flask_appbuilder

    fab = Path(flask_appbuilder.__file__).parent / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    # Templates copied from FAB keep FAB's strings, translated by FAB's own catalogue.
    translated = translated_ids(CATALOGUE) | translated_ids(fab)
    missing = sorted(extracted_msgids() - translated)
    assert not missing, f"untranslated (add to {CATALOGUE.relative_to(ROOT)}): {missing}"


def catalogue_msgids() -> list[str]:
    """Every msgid in the catalogue file as written, multi-line ids joined, duplicates kept."""
    ids, current = [], None
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current = [line[len("msgid ") :]]
        elif current is not None and line.startswith('"'):
            current.append(line)
        else:
            if current is not None:
                ids.append("".join(part.strip('"') for part in current))
            current = None
    return [i for i in ids if i]


def test_catalogue_has_no_duplicate_entries():
    ids = catalogue_msgids()
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate msgids: {sorted(duplicates)}"
