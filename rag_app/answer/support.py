"""Is each sentence of an answer supported by the passage it cites?

A sentence is supported by a passage when every number and every name in it appears in the
passage, and at least ``SUPPORT_THRESHOLD`` of its content words (word tokens without
stopwords; CJK characters and character pairs) appear there too. A sentence that cites no
passage is checked against the retrieved passage that supports it best.

The threshold is calibrated on ClapNQ dev (benchmarks/eval_answers.py prints the calibration):
of the 700 sentences of the gold answers, 98.3% pass against their own passage, and 5.9% pass
against the passage that shares the most words with them but is not theirs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rag_app.retrieval.results import Passage
from rag_app.text.sentences import split_sentences
from rag_app.text.words import tokenize

SUPPORT_THRESHOLD = 0.7
CITATION_MARKER = re.compile(r"\[(\d{1,2})\]")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_NAME = re.compile(r"\b[A-Z][A-Za-z]+\b")
_LEADING_MARKERS = re.compile(r"^\s*((?:\[\d{1,2}\]\s*)+)")


@dataclass
class SentenceCheck:
    text: str
    """The sentence as written, with its [n] markers."""
    cited: list[int]
    passage: int | None
    """The passage it was checked against (its rank), None when there was none to check."""
    supported: bool
    coverage: float
    """Share of its content words found in that passage."""
    missing: list[str] = field(default_factory=list)
    """Numbers and names in it that the passage does not contain."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def answer_sentences(text: str) -> list[str]:
    """Sentences of an answer, each keeping the [n] markers that follow it (even after its full stop)."""
    pieces = [text[s:e].strip() for s, e in split_sentences(text)]
    out: list[str] = []
    for piece in pieces:
        lead = _LEADING_MARKERS.match(piece)
        if lead and out:  # "...Saturdays. [1] Next..." : the marker belongs to the sentence before
            out[-1] = f"{out[-1]} {lead.group(1).strip()}"
            piece = piece[lead.end() :].strip()
        if piece:
            out.append(piece)
    return out


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def names(sentence: str) -> set[str]:
    """Capitalised words, except the sentence's first word (capitalised anyway)."""
    found = {m.group(0).lower() for m in _NAME.finditer(sentence)}
    first = re.match(r"\W*([A-Za-z]+)", sentence)
    if first:
        found.discard(first.group(1).lower())
    return found


def check_sentence(sentence: str, passages: Sequence[Passage]) -> SentenceCheck:
    by_rank = {p.rank: p for p in passages}
    cited = [int(n) for n in CITATION_MARKER.findall(sentence) if int(n) in by_rank]
    bare = CITATION_MARKER.sub("", sentence).strip()
    candidates = [by_rank[n] for n in cited] or list(passages)
    if not candidates:
        return SentenceCheck(sentence, cited, None, False, 0.0)
    checks = [_against(sentence, bare, cited, p) for p in candidates]
    return max(checks, key=lambda c: (c.supported, c.coverage))


def _against(sentence: str, bare: str, cited: list[int], passage: Passage) -> SentenceCheck:
    text = passage.text
    lowered = text.lower()
    missing = sorted(numbers(bare) - numbers(text)) + sorted(n for n in names(bare) if n not in lowered)
    words = tokenize(bare)
    present = set(tokenize(text))
    coverage = sum(w in present for w in words) / len(words) if words else 1.0
    supported = not missing and coverage >= SUPPORT_THRESHOLD
    return SentenceCheck(sentence, cited, passage.rank, supported, round(coverage, 3), missing)


def check_answer(answer: str, passages: Sequence[Passage]) -> list[SentenceCheck]:
    """A check per sentence of ``answer``; sentences without a content word (connectives) are left out."""
    return [
        check_sentence(s, passages) for s in answer_sentences(answer) if tokenize(CITATION_MARKER.sub("", s))
    ]
