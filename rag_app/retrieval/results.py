"""What retrieval hands on: ranked passages with their cosines, the score that ranked them, and
the Top-3 ambiguity verdict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from rag_app.retrieval.plan import QueryPlan
from rag_app.retrieval.thresholds import ModelThresholds

RankBy = Literal["cosine", "bm25", "rrf", "fused", "rerank"]


@dataclass
class Passage:
    rank: int
    score: float
    """Cosine similarity to the query, in [-1, 1], whatever ranked the passage."""
    text: str
    source: str | None
    page: int | None
    chunk_id: str
    extractor: str | None = None
    """What read the passage's page: pdfium, pypdf, pdfminer or ocr (None for text files)."""
    rank_score: float | None = None
    """The score that put the passage at its rank (see ``RetrievalResult.rank_by``)."""
    collection: str | None = None
    """"library" for a passage of the owner's shared library; None for the person's own documents."""
    page_size: list[float] | None = None
    """PDF passages: the page's width and height in points."""
    highlights: list[list[float]] | None = None
    """PDF passages: rectangles [x0, y0, x1, y1] in points (origin bottom-left) covering the passage."""
    location: str | None = None
    """Where the passage stands, for a person to follow: a heading path ("Budget > 2024 > Travel"), a
    slide ("slide 3: Roadmap"), a sheet and its rows ("sheet Sales, rows 2-40"), a chapter; None where
    the page number says it all."""
    scored_by: str | None = None
    """The model whose cosine ``score`` is (with two models, the one that reads question and passage)."""
    relevant: bool = False
    """At or above the relevance line: by its cosine where the model reads the question, by the share
    of the question's words it holds where the model cannot (``RetrievalResult.evidence``)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


SCORE_NAMES = {
    "cosine": "cosine",
    "bm25": "BM25 score",
    "rrf": "fused rank (RRF) score",
    "fused": "fused score",
    "rerank": "reranker score",
}
"""How each ranking score is called wherever it is shown."""


@dataclass
class Ambiguity:
    ambiguous: bool
    top1_top2_gap: float | None
    threshold: float
    message: str
    score: str = "cosine"
    """The score the gap is measured on (``SCORE_NAMES``), the one that ranked the passages."""
    relative: bool = False
    """The gap is a share of the best score (BM25 and RRF scores have no fixed scale)."""


@dataclass
class RetrievalResult:
    query: str
    passages: list[Passage]
    ambiguity: Ambiguity
    thresholds: ModelThresholds
    query_vector: np.ndarray | None
    rank_by: RankBy = "cosine"
    """What ranked the passages: cosine, bm25 (the words), rrf (reciprocal-rank fusion of both) or fused
    (a weighted sum of both, each scaled to [0, 1]). The ambiguity verdict is on this score."""
    evidence: Literal["dense", "lexical"] = "dense"
    """Whether the cosines mean anything for this question: "lexical" when the model cannot read its
    language (a Chinese question to an English-only model), so the answer gate weighs words instead."""
    plan: QueryPlan | None = None
    """What was searched for (the question alone, or with the conversation's earlier questions)."""
    sentence_vectors: Callable[[Sequence[str]], np.ndarray] | None = None
    """Document vectors of the model whose ``query_vector`` this is, for scoring sentences by meaning."""

    @property
    def searched_for(self) -> list[str]:
        return self.plan.searched_for if self.plan is not None else [self.query]

    @property
    def best_score(self) -> float | None:
        return max((p.score for p in self.passages), default=None)

    def to_json(self, model: dict[str, Any]) -> dict[str, Any]:
        """The CLI's documented JSON shape."""
        return {
            "query": self.query,
            "model": {"name": model["name"], "dimensions": model["dimensions"], "device": model["device"]},
            "rank_by": self.rank_by,
            "lexical": model.get("lexical"),
            "searched_for": self.searched_for,
            "conversation": self.plan.to_json() if self.plan is not None else None,
            "results": [p.to_json() for p in self.passages],
            "ambiguity": asdict(self.ambiguity),
        }


def ambiguity_verdict(
    scores: list[float], gap_threshold: float, *, relative: bool = False, score: str = "cosine"
) -> Ambiguity:
    """Ambiguous when the two best ranking scores differ by less than the gap threshold (a share of
    the best score when ``relative``, for scores without a fixed scale). ``score`` names them."""
    name = SCORE_NAMES.get(score, score)
    if len(scores) < 2:
        return Ambiguity(False, None, gap_threshold, "", name, relative)
    first, second = sorted(scores, reverse=True)[:2]
    gap = round((first - second) / first if relative and first > 0 else first - second, 6)
    if gap < gap_threshold:
        what = f"relative {name} gap" if relative else f"{name} gap"
        message = (
            f"Top results are too close to trust the ranking ({what} between ranks 1 and 2: "
            f"{gap:.3f} < {gap_threshold}): compare the top 3 passages yourself."
        )
        return Ambiguity(True, gap, gap_threshold, message, name, relative)
    return Ambiguity(False, gap, gap_threshold, "", name, relative)


RRF_K = 60  # the usual reciprocal-rank-fusion constant; flat enough that neither list dominates
RRF_GAP = 0.02


def fuse_by_rank(main: RetrievalResult, others: list[RetrievalResult], k: int) -> RetrievalResult:
    """Rankings of the same knowledge base for several phrasings of one question, fused by reciprocal
    rank (each passage keeps its cosine to the first phrasing where it has one)."""
    fused: dict[str, float] = {}
    passages: dict[str, Passage] = {}
    for result in (main, *others):
        for position, p in enumerate(result.passages):
            fused[p.chunk_id] = fused.get(p.chunk_id, 0.0) + 1.0 / (RRF_K + position + 1)
            passages.setdefault(p.chunk_id, p)
    order = sorted(fused, key=lambda c: (-fused[c], c))[:k]
    ranked = []
    for rank, chunk in enumerate(order, start=1):
        p = passages[chunk]
        ranked.append(replace(p, rank=rank, rank_score=round(fused[chunk], 6)))
    verdict = ambiguity_verdict([p.rank_score or 0.0 for p in ranked], RRF_GAP, relative=True, score="rrf")
    return replace(main, passages=ranked, ambiguity=verdict, rank_by="rrf")
