"""Every user-facing string of ours has a Simplified Chinese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "app" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def extracted_msgids() -> set[str]:
    """Message ids used in app/ and templates/, as pybabel would extract them."""
    ids: set[str] = set()
    for folder, method in (("app", "python"), ("templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[(pattern, method)], keywords=KEYWORDS
        ):
            ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_message_has_a_chinese_translation():
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id and m.string}
    missing = sorted(extracted_msgids() - translated)
    assert not missing, f"untranslated (add to {CATALOGUE.relative_to(ROOT)}): {missing}"


def test_catalogue_has_no_duplicate_entries():
    ids = [line for line in CATALOGUE.read_text(encoding="utf-8").splitlines() if line.startswith("msgid ")]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate msgids: {sorted(duplicates)}"
