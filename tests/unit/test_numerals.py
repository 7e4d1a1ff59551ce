"""Chinese numerals, read and written: the project's one implementation (workflows.numerals)."""

from __future__ import annotations

import pytest

from workflows.numerals import cn_to_int, int_to_cn


@pytest.mark.parametrize(("text", "value"), [
    ("三", 3), ("两", 2), ("十", 10), ("十二", 12), ("二十", 20), ("三十六", 36),
    ("一百", 100), ("一百零五", 105), ("一百一十", 110), ("两千零二十四", 2024), ("零", 0),
    ("6", 6), ("12", 12), ("１２", 12),
])
def test_reads_numerals_below_ten_thousand(text, value):
    assert cn_to_int(text) == value


@pytest.mark.parametrize("text", ["", "一二", "十十", "百十百", "三a", "万", "二〇二四"])
def test_refuses_what_is_not_one_numeral(text):
    with pytest.raises(ValueError):
        cn_to_int(text)


@pytest.mark.parametrize(("value", "text"), [
    (0, "〇"), (1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (36, "三十六"),
    (100, "一百"), (105, "一百零五"), (110, "一百一十"), (1005, "一千零五"), (2024, "二千零二十四"),
])
def test_writes_numerals(value, text):
    assert int_to_cn(value) == text


def test_reading_what_was_written_gives_the_number_back():
    assert all(cn_to_int(int_to_cn(n)) == n for n in range(0, 10_000, 7))


def test_every_module_uses_the_one_implementation():
    """No second numeral table anywhere in app/ or workflows/ (issue 9)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root)) for folder in ("app", "workflows") for path in (root / folder).rglob("*.py")
        if path.name != "numerals.py" and ('"一": 1' in path.read_text(encoding="utf-8")
                                           or '"〇一二三四五六七八九"' in path.read_text(encoding="utf-8")
                                           or '"零一二三四五六七八九"' in path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
