"""Sentences and clauses of a text, for every script we read: one definition for chunking, the
extractive answer and the answer check, so a sentence means the same thing to all three."""

from __future__ import annotations

import re

from rag_app.text.scripts import CJK_RANGES

_CJK = CJK_RANGES
_CLOSERS = "\"'”’」』）)\\]"
# Sentence ends: CJK terminators always; ASCII ones before whitespace/closers/end, or next to
# CJK text (NFKC turns the full-width ！？； of Chinese text into ASCII); blank lines.
SENTENCE_END = re.compile(
    rf"(?:[。！？；]|[.!?;](?=[\s{_CLOSERS}]|$)|(?<=[{_CJK}])[!?;]|[!?;](?=[{_CJK}]))[{_CLOSERS}]*\s*"
    r"|\n[ \t]*\n\s*"
)
CLAUSE_END = re.compile(r"[,，、:：](?:\s*)")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Contiguous spans covering ``text``, each ending after a sentence terminator (or at the end)."""
    return split_by(SENTENCE_END, text, 0, len(text))


def split_by(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for match in pattern.finditer(text, start, end):
        if match.end() > cursor:
            spans.append((cursor, match.end()))
            cursor = match.end()
    if cursor < end:
        spans.append((cursor, end))
    return spans
