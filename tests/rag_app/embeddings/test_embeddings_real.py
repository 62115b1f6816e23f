"""Real models: the bundled all-MiniLM-L6-v2 always; Qwen3-Embedding only where its weights exist."""

from __future__ import annotations

import numpy as np
import pytest

from rag_app.embeddings.local import embeddings_for
from rag_app.embeddings.models import find_in_hf_cache

pytestmark = pytest.mark.slow

QUERIES = ["What is the capital of China?", "Explain gravity"]
DOCUMENTS = [
    "The capital of China is Beijing.",
    "Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects "
    "and is responsible for the movement of planets around the sun.",
]
# Model-card reference matrices (queries x documents), from ../shared/docs/FACTS.md.
REFERENCE = {
    "Qwen/Qwen3-Embedding-0.6B": [[0.7646, 0.1414], [0.1355, 0.6000]],
    "Qwen/Qwen3-Embedding-4B": [[0.7534, 0.1147], [0.0320, 0.6258]],
    "Qwen/Qwen3-Embedding-8B": [[0.7493, 0.0751], [0.0880, 0.6318]],
}


def test_bundled_model_ranks_the_right_document(bundled_embeddings):
    q = np.array([bundled_embeddings.embed_query(t) for t in QUERIES])
    d = np.array(bundled_embeddings.embed_documents(DOCUMENTS))
    scores = q @ d.T
    assert scores[0, 0] > scores[0, 1]
    assert scores[1, 1] > scores[1, 0]
    assert np.allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_qwen3_reference_matrix(name):
    folder = find_in_hf_cache(name)
    if folder is None:
        pytest.skip(
            f"{name} weights are not in the local Hugging Face cache (they cannot be downloaded here)"
        )
    emb = embeddings_for(str(folder), dimensions=None, dtype="float32")
    scores = np.array([emb.embed_query(t) for t in QUERIES]) @ np.array(emb.embed_documents(DOCUMENTS)).T
    np.testing.assert_allclose(scores, REFERENCE[name], atol=0.01)


def test_bf16_vectors_agree_with_fp32():
    """What ``dtype="auto"`` picks on CPUs with native bf16 must stay faithful (cosine >= 0.999)."""
    texts = [
        *DOCUMENTS,
        "Eine Metrik ordnet je zwei Punkten einer Menge einen Abstand zu.",
        "FAISS stores the vectors; the cosine of unit vectors is their inner product. " * 12,
    ]
    bf16 = embeddings_for("bundled", dtype="bf16")
    fp32 = embeddings_for("bundled", dtype="float32")
    assert bf16.model_info()["dtype"] == "bfloat16" and fp32.model_info()["dtype"] == "float32"
    cosine = (bf16.encode(texts) * fp32.encode(texts)).sum(axis=1)
    assert cosine.min() >= 0.999, cosine
    assert cosine.min() < 1.0 - 1e-7, "bf16 gave bit-identical vectors: the dtype was not applied"
