"""Helpers for store tests: a named fake embedding (deterministic hashing) and chunk builders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_app.store import FaissStore

DIM = 16


def fake_embedding() -> DeterministicFakeEmbedding:
    """Test double: LangChain's deterministic fake, so store tests need no model."""
    return DeterministicFakeEmbedding(size=DIM)


def unit_vectors(texts: list[str]) -> np.ndarray:
    vectors = np.asarray(fake_embedding().embed_documents(texts), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def chunks_for(source: str, texts: list[str], sha: str = "sha") -> list[Document]:
    return [
        Document(
            page_content=t,
            metadata={"source": source, "page": i + 1, "sha256": sha, "chunk_id": f"{source}:{sha}:{i}"},
        )
        for i, t in enumerate(texts)
    ]


def open_store(path: Path | None = None, **kwargs) -> FaissStore:
    return FaissStore(fake_embedding(), path=path, model_name="fake-model", dimensions=DIM, **kwargs)


def add(store: FaissStore, source: str, texts: list[str], sha: str = "sha") -> int:
    return store.add_file(source, sha, chunks_for(source, texts, sha), unit_vectors(texts))
