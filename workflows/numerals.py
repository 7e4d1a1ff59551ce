"""Chinese numerals, both ways: the project's one implementation.

Plans, spreadsheets and reports write small numbers in Chinese: "三季度", "行动十二",
"新建五个", "（一百零五）". Reading them: `cn_to_int`; writing them (headings, action numbers):
`int_to_cn`. Numbers below 10,000 only — larger figures are always written in digits.

The `cn2an` library covers the same ground and more (万/亿, decimals, mixed text), but it
brings a dependency and a slower regex engine for what here is twenty lines; we use none of
its extra forms.
"""

from __future__ import annotations

__all__ = ["CN_DIGITS", "CN_NUMERAL_CHARS", "CN_UNITS", "cn_to_int", "int_to_cn"]

CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "〇零一二两三四五六七八九十百千"
_WRITTEN = "〇一二三四五六七八九"


def cn_to_int(text: str) -> int:
    """A numeral below 10,000 → int: "6" 6, "三" 3, "十二" 12, "二十" 20, "一百零五" 105.

    Arabic digits (ASCII or full-width) are read as they are. Raises ValueError on an empty
    string, a character that is not a numeral, or a malformed numeral ("一二", "十十").
    """
    if text.isdigit():
        return int(text)
    if not text:
        raise ValueError(text)
    total, digit, last_unit = 0, None, 10_000
    for char in text:
        if char in CN_DIGITS:
            value = CN_DIGITS[char]
            if value == 0:  # 零 only fills a gap ("一百零五"); it never carries a digit
                if digit is not None:
                    raise ValueError(text)
                continue
            if digit is not None:
                raise ValueError(text)
            digit = value
        elif char in CN_UNITS:
            unit = CN_UNITS[char]
            if unit >= last_unit:
                raise ValueError(text)
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            raise ValueError(text)
    return total + (digit or 0)


def int_to_cn(n: int) -> str:
    """0 → 〇, 1 → 一, 12 → 十二, 36 → 三十六, 105 → 一百零五 (headings, action numbers)."""
    if not 0 <= n < 10_000:
        raise ValueError(n)
    if n < 10:
        return _WRITTEN[n]
    if n < 20:
        return "十" + (_WRITTEN[n - 10] if n > 10 else "")
    parts, gap = [], False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, unit)
        if digit:
            if gap and parts:
                parts.append("零")
            parts.append(_WRITTEN[digit] + name)
            gap = False
        else:
            gap = True
    return "".join(parts)
