"""Sentences and clauses of a text, for every script we read: one definition for chunking, the
extractive answer and the answer check, so a sentence means the same thing to all three."""

from __future__ import annotations

import re
from collections.abc import Callable

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


# Words a full stop follows without ending the sentence ("Mr. Black", "c. 700 BC", "e.g. tea").
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr mt ft gen col lt sgt rev hon vs etc al approx ca cf fig figs no nos vol "
    "pp ed eds e.g i.e z.b bzw vgl usw evtl ggf inkl s.o nr str".split()
)
_WORD_BEFORE = re.compile(r"([A-Za-zÄÖÜäöüß.]+)$")
_NEXT_WORD = re.compile(r"\s*([^\s])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Contiguous spans covering ``text``, each ending after a sentence terminator (or at the end)."""
    return split_by(SENTENCE_END, text, 0, len(text), skip=_abbreviation_stop)


def _abbreviation_stop(text: str, match: re.Match[str]) -> bool:
    """The full stop ends an abbreviation or an initial, not the sentence: "Mr. Black", "from c. 700",
    "J. R. R. Tolkien" (a lone letter before a capital or a figure); never across a blank line."""
    if text[match.start()] != "." or "\n\n" in match.group():
        return False
    before = _WORD_BEFORE.search(text, 0, match.start())
    if before is None:
        return False
    word = before.group(1).lower().strip(".")
    if word in ABBREVIATIONS:
        return True
    following = _NEXT_WORD.match(text, match.start() + 1)
    if following is not None and following.group(1).islower() and "." in word:
        return True  # "the U.S. federal rate", "z.B. das": a dotted abbreviation inside a sentence
    return (
        len(word) == 1
        and word.isalpha()
        and following is not None
        and (following.group(1).isupper() or following.group(1).isdigit())
    )


def split_by(
    pattern: re.Pattern[str],
    text: str,
    start: int,
    end: int,
    skip: Callable[[str, re.Match[str]], bool] | None = None,
) -> list[tuple[int, int]]:
    """Contiguous spans of ``text[start:end]``, each ending after a match of ``pattern`` that ``skip``
    (if given) does not set aside."""
    spans = []
    cursor = start
    for match in pattern.finditer(text, start, end):
        if match.end() > cursor and not (skip and skip(text, match)):
            spans.append((cursor, match.end()))
            cursor = match.end()
    if cursor < end:
        spans.append((cursor, end))
    return spans
