"""Numbered passages for the prompt, and [n] markers in answers mapped back to source and page."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from rag_app.bm25 import tokenize
from rag_app.retrieval import Passage

_MARKER = re.compile(r"\[(\d{1,2})\]")


@dataclass
class Citation:
    number: int
    source: str | None
    page: int | None
    chunk_id: str
    attributed: bool = False
    """True when the model cited nothing and the passage was matched to the answer afterwards."""

    def to_json(self) -> dict:
        return asdict(self)


def format_passages(passages: list[Passage], max_chars: int = 1200) -> str:
    """The prompt's context block: ``[n] text`` per passage, numbered as the UI shows them."""
    return "\n\n".join(f"[{p.rank}] {' '.join(p.text.split())[:max_chars]}" for p in passages)


def resolve_citations(answer: str, passages: list[Passage], question: str = "") -> tuple[str, list[Citation]]:
    """Keep valid [n] markers, drop ones that point nowhere, and map each to its passage.

    A small model often cites nothing; then the passage sharing the most words with the answer
    is cited (marked ``attributed``) when the overlap is clear, so every answer can be checked.
    """
    by_number = {p.rank: p for p in passages}
    answer = _MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in by_number else "", answer).strip()
    numbers = list(dict.fromkeys(int(n) for n in _MARKER.findall(answer)))
    citations = [_citation(by_number[n]) for n in numbers]
    if not citations and passages:
        best = _best_overlap(answer, question, passages)
        if best is not None:
            answer = f"{answer} [{best.rank}]"
            citations = [_citation(best, attributed=True)]
    return answer, citations


def _citation(p: Passage, attributed: bool = False) -> Citation:
    return Citation(p.rank, p.source, p.page, p.chunk_id, attributed)


def _best_overlap(answer: str, question: str, passages: list[Passage]) -> Passage | None:
    """The passage holding the most answer words that the question did not already contain."""
    words = set(tokenize(answer)) - set(tokenize(question)) - {"answer", "passage", "question"}
    if not words:
        return None
    scored = [(len(words & set(tokenize(p.text))), p.score, p) for p in passages]
    shared, _, best = max(scored, key=lambda item: item[:2])
    return best if shared >= 1 else None
