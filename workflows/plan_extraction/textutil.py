"""Small text helpers shared by the extractor's modules: quoted spans, sentences.

Chinese numerals are `workflows.numerals` (the project's one implementation).

The extractor never rewrites the text: every finding keeps offsets into the original string,
so quotes stay verbatim. Helpers therefore work on ``(start, end)`` spans, not on copies.
"""

from __future__ import annotations

import bisect
import re

Span = tuple[int, int]

# Spans in which numbers are names, not targets: short quotations (“5+N”, “三查一曝光”,
# “15分钟健身圈”), book titles 《…》 and document-number years 〔2024〕.
_PROTECTED = re.compile(
    r"“[^“”。\n]{1,40}”"
    r"|\"[^\"。\n]{1,40}\""
    r"|「[^「」。\n]{1,40}」"
    r"|‘[^‘’。\n]{1,40}’"
    r"|《[^《》\n]{1,80}》"
    r"|〔[^〔〕\n]{1,10}〕"
)


class SpanSet:
    """A sorted set of non-overlapping spans with a fast 'is this position inside?' test."""

    def __init__(self, spans: list[Span]):
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def covers(self, pos: int) -> bool:
        i = bisect.bisect_right(self.starts, pos) - 1
        return i >= 0 and self.spans[i][0] <= pos < self.spans[i][1]


def protected_spans(text: str) -> SpanSet:
    """Where numbers must not be read as targets (quotations, titles, document numbers)."""
    return SpanSet([m.span() for m in _PROTECTED.finditer(text)])


_OPEN = "（([【〔《“"
_CLOSE = "）)]】〕》”"
SENTENCE_END = "。！？!?；;"


def split_sentences(text: str, start: int, end: int, ends: str = SENTENCE_END) -> list[Span]:
    """Sentences of ``text[start:end]`` as spans; ends at 。！？；; and line breaks.

    Punctuation inside brackets does not end a sentence ("（牵头单位：A；责任单位：B）"), and
    a closing bracket right after the full stop stays with its sentence.
    """
    spans: list[Span] = []
    depth = 0
    begin = start
    i = start
    while i < end:
        char = text[i]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
        if char == "\n" or (depth == 0 and char in ends):
            stop = i if char == "\n" else i + 1
            spans.append((begin, stop))
            begin = i + 1
        i += 1
    spans.append((begin, end))
    return [s for s in (trim(text, a, b) for a, b in spans) if s[1] > s[0]]


_SPACE = " \t\u3000\u00a0\r\n"


def trim(text: str, start: int, end: int) -> Span:
    """Shrink a span so it neither starts nor ends with whitespace."""
    while start < end and text[start] in _SPACE:
        start += 1
    while end > start and text[end - 1] in _SPACE:
        end -= 1
    return start, end


def has_cjk(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None
