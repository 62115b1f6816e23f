"""Knowledge-base health check: odd chunk sizes, near-duplicates, and how spread out the vectors are."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rag_app.store import KnowledgeStore

SHORT_CHARS = 40
LONG_CHARS = 2500
"""Text lengths are counted in UTF-8 bytes: a letter is one, a Chinese character three (it carries
about what three letters do), so the same limits hold for English and Chinese documents."""
NEAR_DUPLICATE = 0.98
SAMPLE = 2000


@dataclass
class HealthReport:
    chunks: int
    short_chunks: int
    long_chunks: int
    near_duplicate_pairs: int
    mean_pairwise_cosine: float | None
    advice: list[str] = field(default_factory=list)


def check_health(store: KnowledgeStore, seed: int = 0) -> HealthReport:
    # Lengths and the sampled vectors come from one read under the store's lock, so a delete
    # running meanwhile cannot remove a vector between choosing it and reading it. Only the
    # sample is read: copying a 100k-vector index after every upload would dominate.
    lengths, sample = store.sample(SAMPLE, seed)
    short = sum(n < SHORT_CHARS for n in lengths)
    long = sum(n > LONG_CHARS for n in lengths)
    duplicates, mean_cosine = 0, None
    if len(sample) >= 2:
        gram = sample @ sample.T
        upper = gram[np.triu_indices(len(sample), k=1)]
        duplicates = int((upper >= NEAR_DUPLICATE).sum())
        mean_cosine = float(upper.mean())
    advice = []
    if not lengths:
        advice.append("The knowledge base is empty: upload PDFs, text or Markdown files.")
    if short:
        advice.append(
            f"{short} chunks are under {SHORT_CHARS} characters (about {SHORT_CHARS // 3} in Chinese; headers, "
            f"page numbers?): they match many "
            f"questions weakly; consider cleaning the source files."
        )
    if long:
        advice.append(f"{long} chunks are over {LONG_CHARS} characters: answers will cite large passages.")
    if duplicates:
        advice.append(
            f"{duplicates} pairs of chunks are near-duplicates (cosine >= {NEAR_DUPLICATE}): the same text in "
            f"several files makes the top results look ambiguous."
        )
    if mean_cosine is not None and mean_cosine > 0.5:
        advice.append(
            f"Vectors are bunched together (mean pairwise cosine {mean_cosine:.2f}): scores will sit close to "
            f"each other, so expect more ambiguity warnings."
        )
    if lengths and not advice:
        advice.append("No problems found.")
    return HealthReport(len(lengths), short, long, duplicates, mean_cosine, advice)
