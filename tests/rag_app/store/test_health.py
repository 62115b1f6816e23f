"""The knowledge-base health check, on a real FAISS store with vectors chosen by the test."""

from __future__ import annotations

import numpy as np

from rag_app.store import FaissStore, health
from rag_app.store.health import check_health
from tests.rag_app.store.store_helpers import DIM, chunks_for, open_store

LONG = "A sentence of ordinary length about the subject of this document. " * 2


def store_with(vectors: np.ndarray, texts: list[str]) -> FaissStore:
    store = open_store()
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)  # as our embeddings give them
    store.add_file("a.txt", "sha", chunks_for("a.txt", texts), unit.astype(np.float32))
    return store


def test_reports_short_chunks_and_near_duplicates():
    basis = np.eye(DIM, dtype=np.float32)
    twin = basis[0] + 0.01 * basis[1]  # cosine 0.99995 to basis[0]: a near-duplicate
    vectors = np.stack([basis[0], twin, basis[2], basis[3]])
    texts = [LONG + "one", LONG + "two", LONG + "three", "p. 4"]
    report = check_health(store_with(vectors, texts))
    assert (report.chunks, report.short_chunks, report.long_chunks) == (4, 1, 0)
    assert report.near_duplicate_pairs == 1
    assert report.mean_pairwise_cosine is not None and 0.1 < report.mean_pairwise_cosine < 0.2
    assert any("near-duplicates" in a for a in report.advice)
    assert any("under 40 characters" in a for a in report.advice)


def test_a_chinese_sentence_is_not_a_short_chunk_but_a_chinese_header_is():
    basis = np.eye(DIM, dtype=np.float32)
    texts = ["北京是中华人民共和国的首都，也是全国的政治和文化中心。", "第三章", LONG]  # 27, 3 characters
    report = check_health(store_with(basis[:3], texts))
    assert report.short_chunks == 1  # the header; the 27-character sentence holds what 81 letters do


def test_large_stores_are_sampled_not_copied(monkeypatch):
    monkeypatch.setattr(health, "SAMPLE", 50)
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((300, DIM)).astype(np.float32)
    store = store_with(vectors, [f"{LONG} number {i}" for i in range(300)])
    read: list[int] = []
    original = store.sample

    def counting(size, seed=0):
        lengths, vectors = original(size, seed)
        read.append(len(vectors))
        return lengths, vectors

    monkeypatch.setattr(store, "sample", counting)  # the store's own door: what health reads through
    report = check_health(store)
    assert read == [50] and report.chunks == 300
    assert abs(report.mean_pairwise_cosine) < 0.1  # random directions: spread out


def test_empty_store_says_so():
    report = check_health(open_store())
    assert report.chunks == 0 and report.mean_pairwise_cosine is None
    assert report.advice == ["The knowledge base is empty: upload PDFs, text or Markdown files."]
