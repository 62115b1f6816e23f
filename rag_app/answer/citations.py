"""Numbered passages for the prompt, and the passages an answer's sentences cite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rag_app.retrieval.results import Passage


@dataclass
class Citation:
    number: int
    source: str | None
    page: int | None
    chunk_id: str
    attributed: bool = False
    """True when the sentence cited nothing and the passage that supports it was found by the check."""
    location: str | None = None
    """Where in its file the passage stands (see ``Passage.location``)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def format_passages(passages: list[Passage], max_chars: int = 1200) -> str:
    """The prompt's context block: ``[n] text`` per passage, numbered as the UI shows them."""
    return "\n\n".join(f"[{p.rank}] {' '.join(p.text.split())[:max_chars]}" for p in passages)


def citations_for(checks: Sequence[Any], passages: Sequence[Passage]) -> list[Citation]:
    """One citation per passage the kept sentences rest on, in order of first use.

    ``checks`` are ``rag_app.answer.support.SentenceCheck``: a sentence's own [n] markers, or, when it cited
    nothing, the passage it was checked against (marked ``attributed``).
    """
    by_rank = {p.rank: p for p in passages}
    out: dict[int, Citation] = {}
    for check in checks:
        numbers = check.cited or ([check.passage] if check.passage is not None else [])
        for number in numbers:
            if number in by_rank and number not in out:
                p = by_rank[number]
                out[number] = Citation(
                    number, p.source, p.page, p.chunk_id, attributed=not check.cited, location=p.location
                )
    return list(out.values())
