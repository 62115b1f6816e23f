"""Retrieval: dense cosine search, optional BM25 fusion, ranks, and the Top-3 ambiguity verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rag_app.retrieval import two_models
from rag_app.retrieval.plan import QueryPlan
from rag_app.retrieval.results import RRF_K, Passage, RankBy, RetrievalResult, ambiguity_verdict, fuse_by_rank
from rag_app.retrieval.thresholds import LEXICAL_FLOOR, thresholds_for
from rag_app.settings import RETRIEVAL_MODES
from rag_app.store import Companion, Hit, KnowledgeStore
from rag_app.text.scripts import cjk_share
from rag_app.text.words import question_coverage

LIBRARY = "library"
# How close two ranking scores may be before the ranking is flagged, for the scores that are not a
# cosine (cosines use the model's own gap): relative for the unbounded ones, absolute for fused.
RELATIVE_GAP = {"bm25": 0.05, "rrf": 0.02}
FUSED_GAP = 0.02
RERANK_GAP = 0.05
RERANK_DEPTH = 4
"""With a reranker, this many times ``k`` candidates are ranked first, and the reranker picks ``k``."""

if TYPE_CHECKING:
    from rag_app.embeddings.local import AppEmbeddings


Key = tuple[int, int]
"""(collection, vector id): ids are per store, so a library's and a person's never collide."""


@dataclass
class Ranked:
    hit: Hit
    rank_score: float
    collection: int = 0
    model: str | None = None
    """The model whose cosine ``hit.score`` is (None: the main model)."""


@dataclass(frozen=True)
class _Words:
    """What BM25 is asked: the question, and a follow-up's earlier questions at their weight."""

    question: str
    plan: QueryPlan | None = None

    def weighted(self) -> list[tuple[str, float]]:
        plan = self.plan
        extra = (
            [(e, plan.words_weight) for e in plan.earlier]
            if plan and plan.blends and plan.words_weight
            else []
        )
        return [(self.question, 1.0), *extra]


def unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class Searcher:
    """Runs a query against a store.

    Modes: ``dense`` (cosine), ``lexical`` (BM25), ``hybrid`` (both, reciprocal-rank fusion),
    ``fused`` (cosine and BM25, each scaled to [0, 1], summed with weights), and ``auto``, the
    default, chosen by measurement on three kinds of text (docs/benchmarks.md): ``fused``, with all
    the weight on the words for a Chinese/Japanese/Korean question when the model is English-only (it ranks such text
    almost at random). Scores shown are always cosines; ``rank_score`` is what ranked them.
    """

    def __init__(
        self,
        store: KnowledgeStore,
        embeddings: AppEmbeddings,
        *,
        mode: str = "auto",
        dense_weight: float = 0.8,
        reranker: Any = None,
        library: KnowledgeStore | None = None,
        companion: Companion | None = None,
        library_companion: Companion | None = None,
    ) -> None:
        """``reranker``: a ``rag_app.retrieval.rerank.Qwen3Reranker`` (anything with ``scores(query, texts)``).
        ``library``: a read-only store searched alongside ``store``; its passages say so."""
        if mode not in RETRIEVAL_MODES:
            raise ValueError(f"retrieval mode must be one of {', '.join(RETRIEVAL_MODES)}; got {mode!r}")
        self.store = store
        self.stores = [store] if library is None else [store, library]
        self.companions = [companion] if library is None else [companion, library_companion]
        self.embeddings = embeddings
        self.mode = mode
        self.dense_weight = dense_weight
        self.reranker = reranker
        self.thresholds = thresholds_for(embeddings.resolved)
        self.companion = companion

    def retrieve(self, query: str, k: int = 5) -> RetrievalResult:
        return self.retrieve_plan(QueryPlan(query), k)

    def retrieve_plan(self, plan: QueryPlan, k: int = 5) -> RetrievalResult:
        """Retrieval for a question and, for a follow-up, the earlier questions blended in; each rewrite
        is searched on its own and the rankings are fused by reciprocal rank."""
        texts = [plan.question, *(plan.earlier if plan.blends else ()), *plan.rewrites]
        vectors = self.embeddings.encode_queries(texts)
        vector = vectors[0]
        if plan.blends and plan.vector_weight > 0:
            earlier = unit(vectors[1 : 1 + len(plan.earlier)].sum(axis=0))
            vector = unit(vector + plan.vector_weight * earlier)
        second = None
        if self.second_model_live():
            assert self.companion is not None
            seconds = self.companion.embeddings.encode_queries(
                texts[: 1 + len(plan.earlier if plan.blends else ())]
            )
            second = seconds[0]
            if plan.blends and plan.vector_weight > 0:
                second = unit(second + plan.vector_weight * unit(seconds[1:].sum(axis=0)))
        result = self.retrieve_by_vector(plan.question, vector, k, plan=plan, second=second)
        if plan.rewrites:
            others = [
                self.retrieve_by_vector(r, v, k)
                for r, v in zip(plan.rewrites, vectors[len(texts) - len(plan.rewrites) :], strict=True)
            ]
            result = fuse_by_rank(result, others, k)
        result.plan = plan
        return result

    def second_model_live(self) -> bool:
        """A multilingual model's vectors beside the main model's, and some stored."""
        return self.companion is not None and len(self.companion.store) > 0

    def cannot_read(self, query: str) -> bool:
        """An English-only model (and no multilingual one beside it) and a question mostly in Chinese,
        Japanese or Korean."""
        return not self.thresholds.multilingual and not self.second_model_live() and cjk_share(query) >= 0.3

    def route(self, query: str) -> str:
        """The mode this query runs in ('auto' resolved)."""
        if self.mode != "auto":
            return self.mode
        return "lexical" if self.cannot_read(query) else "fused"

    def retrieve_by_vector(
        self,
        query: str,
        vector: np.ndarray,
        k: int = 5,
        *,
        plan: QueryPlan | None = None,
        second: np.ndarray | None = None,
    ) -> RetrievalResult:
        route = self.route(query)
        words = _Words(query, plan)
        depth = k * RERANK_DEPTH if self.reranker is not None else k
        ranked: list[Ranked] = []
        rank_by: RankBy = "cosine"
        if second is not None and route in ("fused", "lexical"):
            ranked, rank_by = self._two_models(words, vector, second, depth), "fused"
        elif route == "lexical":
            ranked, rank_by = self._lexical(words, vector, depth), "bm25"
        elif route == "hybrid":
            ranked, rank_by = self._rrf(words, vector, depth), "rrf"
        elif route == "fused":
            ranked, rank_by = self._fused(words, vector, depth), "fused"
        if not ranked:  # dense by choice, or no word of the question matched
            ranked, rank_by = [Ranked(h, h.score, key[0]) for key, h in self._dense(vector, depth)], "cosine"
        if self.reranker is not None and ranked:
            scores = self.reranker.scores(query, [r.hit.chunk.text for r in ranked])
            pairs = zip(ranked, scores, strict=True)
            ranked = sorted(
                (Ranked(r.hit, s, r.collection, r.model) for r, s in pairs), key=lambda r: -r.rank_score
            )[:k]
            rank_by = "rerank"
        passages = []
        for rank, item in enumerate(ranked, start=1):
            meta = item.hit.chunk.metadata
            passages.append(
                Passage(
                    rank,
                    round(item.hit.score, 6),
                    item.hit.chunk.text,
                    meta.get("source"),
                    meta.get("page"),
                    item.hit.chunk.chunk_id,
                    meta.get("extractor"),
                    round(item.rank_score, 6),
                    LIBRARY if item.collection == 1 else None,
                    meta.get("page_size"),
                    meta.get("highlights"),
                    meta.get("location"),
                    scored_by=item.model or self.embeddings.resolved.name,
                )
            )
        scores = [p.rank_score for p in passages if p.rank_score is not None]
        if rank_by == "cosine":
            verdict = ambiguity_verdict(scores, self.thresholds.ambiguity_gap, score=rank_by)
        elif rank_by in ("fused", "rerank"):
            verdict = ambiguity_verdict(
                scores, FUSED_GAP if rank_by == "fused" else RERANK_GAP, score=rank_by
            )
        else:
            verdict = ambiguity_verdict(scores, RELATIVE_GAP[rank_by], relative=True, score=rank_by)
        evidence = "lexical" if self.cannot_read(query) else "dense"
        for passage in passages:
            passage.relevant = (
                question_coverage(query, passage.text) >= LEXICAL_FLOOR
                if evidence == "lexical"
                else passage.score >= self._thresholds_of(passage.scored_by).relevant
            )
        by_second = second is not None and cjk_share(query) >= 0.3
        first = passages[0].scored_by if passages else None
        result = RetrievalResult(
            query,
            passages,
            verdict,
            self._thresholds_of(first),
            second if by_second else vector,
            rank_by,
            evidence,
        )
        companion = self.companion
        result.sentence_vectors = (
            companion.embeddings.encode_documents
            if by_second and companion
            else self.embeddings.encode_documents
        )
        return result

    def _thresholds_of(self, model: str | None):
        if self.companion is not None and model == self.companion.model_name:
            return thresholds_for(self.companion.embeddings.resolved)
        return self.thresholds

    def _two_models(self, words: _Words, vector: np.ndarray, second: np.ndarray, k: int) -> list[Ranked]:
        assert self.companion is not None
        found = two_models.candidates(
            self.stores, self.companions, vector, second, lambda n: self._words(words, n)
        )
        best = two_models.rank(
            words.question, found, k, self.embeddings.resolved.name, self.companion.model_name
        )
        return [Ranked(s.hit, s.rank_score, s.collection, s.model) for s in best]

    # ---- over every collection: the person's store, and the owner's library if there is one ----

    def _dense(self, vector: np.ndarray, n: int) -> list[tuple[Key, Hit]]:
        hits = [((i, h.fid), h) for i, store in enumerate(self.stores) for h in store.search(vector, n)]
        return sorted(hits, key=lambda kh: (-kh[1].score, kh[0]))[:n]

    def _words(self, words: _Words, n: int) -> dict[Key, float]:
        """BM25 from each store's own lexical index (kept in step with every write), best ``n`` overall;
        a follow-up's earlier questions add their own BM25 scores, weighted."""
        summed: dict[Key, float] = {}
        for text, weight in words.weighted():
            for i, store in enumerate(self.stores):
                for fid, s in store.lexical(text, n):
                    summed[(i, fid)] = summed.get((i, fid), 0.0) + weight * s
        return dict(sorted(summed.items(), key=lambda ks: (-ks[1], ks[0]))[:n])

    def _hits_for(self, vector: np.ndarray, keys: list[Key]) -> dict[Key, Hit]:
        """Records and cosines read together, so a file deleted meanwhile simply drops out."""
        out: dict[Key, Hit] = {}
        for i, store in enumerate(self.stores):
            wanted = [fid for j, fid in keys if j == i]
            out.update({(i, h.fid): h for h in store.hits_for(vector, wanted)} if wanted else {})
        return out

    def _lexical(self, words: _Words, vector: np.ndarray, k: int) -> list[Ranked]:
        scored = self._words(words, k)
        hits = self._hits_for(vector, list(scored))
        ranked = [Ranked(hits[key], score, key[0]) for key, score in scored.items() if key in hits]
        if ranked and len(ranked) < k:  # fewer passages matched a word than asked for: fill up by cosine
            floor = min(0.0, min(r.rank_score for r in ranked))
            ranked += [
                Ranked(h, floor, key[0])
                for key, h in self._dense(vector, k + len(ranked))
                if key not in scored
            ]
        return ranked[:k]

    def _candidates(
        self, words: _Words, vector: np.ndarray, k: int
    ) -> tuple[dict[Key, Hit], list[Key], dict[Key, float]]:
        depth = max(50, 4 * k)
        dense = self._dense(vector, depth)
        lexical = self._words(words, depth)
        found = dict(dense)
        found.update(self._hits_for(vector, [key for key in lexical if key not in found]))
        return found, [key for key, _ in dense], lexical

    def _rrf(self, words: _Words, vector: np.ndarray, k: int) -> list[Ranked]:
        found, dense, lexical = self._candidates(words, vector, k)
        fused: dict[Key, float] = {}
        for ranking in (dense, list(lexical)):
            for rank, key in enumerate(ranking):
                fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted((key for key in fused if key in found), key=lambda key: (-fused[key], key))[:k]
        return [Ranked(found[key], fused[key], key[0]) for key in best]

    def _fused(self, words: _Words, vector: np.ndarray, k: int) -> list[Ranked]:
        """Cosine scaled by the best and worst candidate, BM25 by the best, summed with weights."""
        found, _, lexical = self._candidates(words, vector, k)
        if not lexical:
            return []
        weight = self.dense_weight
        if self.cannot_read(words.question):
            weight = 0.0
        cosines = [h.score for h in found.values()]
        low, high = min(cosines), max(cosines)
        best_bm25 = max(lexical.values())
        fused = {
            key: weight * ((h.score - low) / (high - low) if high > low else 1.0)
            + (1 - weight) * (lexical.get(key, 0.0) / best_bm25 if best_bm25 > 0 else 0.0)
            for key, h in found.items()
        }
        best = sorted(fused, key=lambda key: (-fused[key], key))[:k]
        return [Ranked(found[key], fused[key], key[0]) for key in best]
