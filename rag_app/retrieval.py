"""Retrieval: dense cosine search, optional BM25 fusion, ranks, and the Top-3 ambiguity verdict."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from loaders.scripts import cjk_share
from rag_app.embeddings import LocalEmbeddings
from rag_app.store import FaissStore, Hit
from rag_app.thresholds import ModelThresholds, thresholds_for

RRF_K = 60  # the usual reciprocal-rank-fusion constant; flat enough that neither list dominates


@dataclass
class Passage:
    rank: int
    score: float  # cosine similarity to the query, in [-1, 1]
    text: str
    source: str | None
    page: int | None
    chunk_id: str
    extractor: str | None = None
    """What read the passage's page: pdfium, pypdf, pdfminer or ocr (None for text files)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Ambiguity:
    ambiguous: bool
    top1_top2_gap: float | None
    threshold: float
    message: str


@dataclass
class RetrievalResult:
    query: str
    passages: list[Passage]
    ambiguity: Ambiguity
    thresholds: ModelThresholds
    query_vector: np.ndarray

    @property
    def best_score(self) -> float | None:
        return max((p.score for p in self.passages), default=None)

    def to_json(self, model: dict[str, Any]) -> dict[str, Any]:
        """The CLI's documented JSON shape."""
        return {
            "query": self.query,
            "model": {"name": model["name"], "dimensions": model["dimensions"], "device": model["device"]},
            "results": [p.to_json() for p in self.passages],
            "ambiguity": asdict(self.ambiguity),
        }


def ambiguity_verdict(scores: list[float], gap_threshold: float) -> Ambiguity:
    """Ambiguous when the two best cosines differ by less than the model's gap threshold."""
    if len(scores) < 2:
        return Ambiguity(False, None, gap_threshold, "")
    first, second = sorted(scores, reverse=True)[:2]
    gap = round(first - second, 6)
    if gap < gap_threshold:
        message = (
            f"Top results are too close to trust the ranking (gap {gap:.3f} < {gap_threshold}): "
            f"compare the top 3 passages yourself."
        )
        return Ambiguity(True, gap, gap_threshold, message)
    return Ambiguity(False, gap, gap_threshold, "")


MODES = ("auto", "dense", "hybrid", "lexical")


class Searcher:
    """Runs a query against a store.

    Modes: ``dense`` (cosine), ``lexical`` (BM25), ``hybrid`` (both, reciprocal-rank fusion), and
    ``auto``, the default: dense, except that a Chinese/Japanese/Korean question goes to BM25 when the
    embedding model is English-only, since such a model ranks CJK text almost at random (measured in
    docs/benchmarks.md: dense R@5 0.22 against BM25's 0.996 on CMRC 2018). Scores shown are always cosines.
    """

    def __init__(self, store: FaissStore, embeddings: LocalEmbeddings, *, mode: str = "auto") -> None:
        if mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {', '.join(MODES)}; got {mode!r}")
        self.store = store
        self.embeddings = embeddings
        self.mode = mode
        self.thresholds = thresholds_for(embeddings.resolved)

    def retrieve(self, query: str, k: int = 5) -> RetrievalResult:
        vector = self.embeddings.encode_queries([query])[0]
        return self.retrieve_by_vector(query, vector, k)

    def route(self, query: str) -> str:
        """The mode this query runs in ('auto' resolved)."""
        if self.mode != "auto":
            return self.mode
        if not self.thresholds.multilingual and cjk_share(query) >= 0.3:
            return "lexical"
        return "dense"

    def retrieve_by_vector(self, query: str, vector: np.ndarray, k: int = 5) -> RetrievalResult:
        route = self.route(query)
        hits: list[Hit] = []
        if route == "lexical":
            hits = self._lexical(query, vector, k)
        elif route == "hybrid":
            hits = self._fused(query, vector, k)
        if not hits:  # dense by choice, or nothing matched lexically
            hits = self.store.search(vector, k)
        passages = []
        for rank, hit in enumerate(hits, start=1):
            meta = hit.record["metadata"]
            passages.append(
                Passage(
                    rank,
                    round(hit.score, 6),
                    hit.record["text"],
                    meta.get("source"),
                    meta.get("page"),
                    hit.record["chunk_id"],
                    meta.get("extractor"),
                )
            )
        verdict = ambiguity_verdict([p.score for p in passages], self.thresholds.ambiguity_gap)
        return RetrievalResult(query, passages, verdict, self.thresholds, vector)

    def _lexical(self, query: str, vector: np.ndarray, k: int) -> list[Hit]:
        # BM25 comes from the store's own lexical index, kept in step with every write; records
        # and cosines are then read together, so a file deleted meanwhile simply drops out.
        hits = self.store.hits_for(vector, [fid for fid, _ in self.store.lexical(query, k)])
        if hits and len(hits) < k:  # fewer words matched than asked for: fill up by cosine
            seen = {h.fid for h in hits}
            hits += [h for h in self.store.search(vector, k + len(hits)) if h.fid not in seen]
        return hits[:k]

    def _fused(self, query: str, vector: np.ndarray, k: int) -> list[Hit]:
        depth = max(50, 4 * k)
        dense = self.store.search(vector, depth)
        lexical = [fid for fid, _ in self.store.lexical(query, depth)]
        fused: dict[int, float] = {}
        for ranking in ([h.fid for h in dense], lexical):
            for rank, fid in enumerate(ranking):
                fused[fid] = fused.get(fid, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda fid: -fused[fid])[:k]
        found = {h.fid: h for h in dense}
        found.update({h.fid: h for h in self.store.hits_for(vector, [f for f in best if f not in found])})
        return [found[fid] for fid in best if fid in found]


class RagRetriever(BaseRetriever):
    """A LangChain retriever returning passages whose metadata carry ``score`` (cosine), ``rank``,
    ``source``, ``page``, ``chunk_id`` and the query's ``ambiguity`` verdict."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Searcher
    k: int = Field(default=5, ge=1)

    def retrieve(self, query: str) -> RetrievalResult:
        return self.searcher.retrieve(query, self.k)

    @staticmethod
    def to_documents(result: RetrievalResult) -> list[Document]:
        verdict = asdict(result.ambiguity)
        return [
            Document(
                page_content=p.text,
                id=p.chunk_id,
                metadata={
                    "score": p.score,
                    "rank": p.rank,
                    "source": p.source,
                    "page": p.page,
                    "chunk_id": p.chunk_id,
                    "ambiguity": verdict,
                },
            )
            for p in result.passages
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.to_documents(self.retrieve(query))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.to_documents(await asyncio.to_thread(self.retrieve, query))
