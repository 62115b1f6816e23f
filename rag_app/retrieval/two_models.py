"""Ranking with two models: the bundled English one and the multilingual one beside it, with BM25.

Chosen by measurement (docs/benchmarks.md, "Retrieval in every language"; the weights were tuned on
those same sets), routed by the question's script:

- a Chinese, Japanese or Korean question: 0.4 x the multilingual cosine + 0.6 x the share of the
  question's words the passage holds (above a 0.1 floor), over the multilingual model's and BM25's
  candidates. "Scaled by the best BM25" is not used: it turns a single shared character into a full
  signal, and Chinese-script distractors then beat the right passage.
- any other question: each passage judged by its own language (a Chinese passage by the multilingual
  cosine, damped under ``CROSS_LINGUAL_LINE``; a Latin one by 0.8 x MiniLM + 0.2 x the multilingual cosine, each scaled
  over the candidates), then 0.85 x that + 0.15 x BM25 scaled by the best.

The cosine shown for each passage is the one of the model that reads both the question and it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from rag_app.store import Companion, Hit, KnowledgeStore
from rag_app.text.scripts import cjk_share
from rag_app.text.words import question_coverage

DEPTH = 50
CJK = 0.3
"""Share of CJK letters from which a question or a passage counts as Chinese, Japanese or Korean."""
CJK_DENSE, CJK_WORDS, WORDS_FLOOR = 0.4, 0.6, 0.1
LATIN_MAIN, LATIN_SECOND = 0.8, 0.2
DENSE, BM25 = 0.85, 0.15
"""Chosen on five sets at once (hit@1, SEC also hit@5; benchmarks/eval_languages.py reruns the language and SEC sets): with
0.7 / 0.3 and 0.9 / 0.1, SEC 10-Q Text hit@5 fell to 0.556 against MiniLM + BM25's 0.593 (the filings want
their words and MiniLM); with these, SEC Text 0.370 / 0.605, Table 0.202 / 0.526 (MiniLM + BM25: 0.346 /
0.593, 0.219 / 0.526), ClapNQ answerable R@1 0.970, own questions 0.907, Chinese paraphrases 0.952, English to
Chinese 0.95, Chinese to English 0.85. Neighbours (0.8 / 0.2 with 0.85 / 0.15, 0.85 / 0.15 with 0.75 / 0.25)
lose SEC Table or Text hit@5."""
CROSS_LINGUAL_LINE = 0.3
"""Multilingual cosine under which a Chinese passage's score is damped for a question in another script:
the right cross-lingual passage scores p10 0.29 (docs/benchmarks.md); the Great Wall passage against
"Who won the 1998 football world cup?" scores 0.13."""


@dataclass
class Candidate:
    collection: int
    hit: Hit
    """The main store's record of the text (its cosine is the main model's)."""
    second: float | None = None
    """The multilingual model's cosine."""
    words: float = 0.0
    """BM25 score (the question's, plus a follow-up's earlier questions at their weight)."""


@dataclass(frozen=True)
class Scored:
    collection: int
    hit: Hit
    """The record with the cosine to show (of the model that reads question and passage)."""
    rank_score: float
    model: str


def candidates(
    stores: list[KnowledgeStore],
    companions: list[Companion | None],
    vector: np.ndarray,
    second: np.ndarray,
    words: Callable[[int], dict[tuple[int, int], float]],
) -> list[Candidate]:
    """Every text the main model, the multilingual one or BM25 puts in its top ``DEPTH``, with both
    cosines and its BM25 score, in each collection (the person's own, the library)."""
    out: list[Candidate] = []
    lexical = words(DEPTH)
    for i, (store, companion) in enumerate(zip(stores, companions, strict=True)):
        by_text: dict[str, Candidate] = {}
        for hit in store.search(vector, DEPTH):
            by_text.setdefault(hit.chunk.text, Candidate(i, hit))
        for hit in store.hits_for(vector, [fid for (j, fid) in lexical if j == i]):
            by_text.setdefault(hit.chunk.text, Candidate(i, hit))
        if companion is not None:
            second_hits = {h.chunk.text: h.score for h in companion.store.search(second, DEPTH)}
            missing = [t for t in second_hits if t not in by_text]
            for text, hit in store.hits_for_texts(vector, missing).items():
                by_text[text] = Candidate(i, hit)
            unknown = [t for t in by_text if t not in second_hits]
            second_hits.update(
                {t: h.score for t, h in companion.store.hits_for_texts(second, unknown).items()}
            )
            for text, candidate in by_text.items():
                candidate.second = second_hits.get(text)
        for candidate in by_text.values():
            candidate.words = lexical.get((i, candidate.hit.fid), 0.0)
        out.extend(by_text.values())
    return out


def _scaled(values: list[float | None]) -> list[float]:
    known = [v for v in values if v is not None]
    if not known:
        return [0.0] * len(values)
    low, high = min(known), max(known)
    return [0.0 if v is None else (v - low) / (high - low) if high > low else 1.0 for v in values]


def rank(question: str, found: list[Candidate], k: int, main_model: str, second_model: str) -> list[Scored]:
    """The best ``k`` candidates, by the routed score."""
    if not found:
        return []
    scored: list[Scored] = []
    if cjk_share(question) >= CJK:
        for c in found:
            cover = question_coverage(question, c.hit.chunk.text)
            words = max(0.0, cover - WORDS_FLOOR) / (1 - WORDS_FLOOR)
            cosine = c.second if c.second is not None else c.hit.score
            score = CJK_DENSE * max(cosine, 0.0) + CJK_WORDS * words
            model = second_model if c.second is not None else main_model
            scored.append(Scored(c.collection, replace(c.hit, score=cosine), score, model))
    else:
        main = _scaled([c.hit.score for c in found])
        second = _scaled([c.second for c in found])
        best_words = max(c.words for c in found)
        for c, m, s in zip(found, main, second, strict=True):
            chinese = cjk_share(c.hit.chunk.text) >= CJK and c.second is not None
            # Scaled over the candidates, the best multilingual cosine becomes 1.0 however low it is:
            # without the damping an unrelated English question ranks the one Chinese passage first.
            damping = min(1.0, max(c.second or 0.0, 0.0) / CROSS_LINGUAL_LINE) if chinese else 1.0
            dense = s * damping if chinese else LATIN_MAIN * m + LATIN_SECOND * s
            score = DENSE * dense + BM25 * (c.words / best_words if best_words > 0 else 0.0)
            if chinese:
                scored.append(
                    Scored(c.collection, replace(c.hit, score=c.second or 0.0), score, second_model)
                )
            else:
                scored.append(Scored(c.collection, c.hit, score, main_model))
    scored.sort(key=lambda s: (-s.rank_score, s.collection, s.hit.fid))
    return scored[:k]
