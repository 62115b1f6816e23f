"""Retrieval for your documents: Qwen3-Embedding (or the bundled offline model), FAISS, Gradio, LangChain.

Names are imported on first use, so ``import rag_app`` stays cheap and has no side effects.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Qwen3Embeddings": "rag_app.embeddings",
    "LocalEmbeddings": "rag_app.embeddings",
    "embeddings_for": "rag_app.embeddings",
    "ServedEmbeddings": "rag_app.served_embeddings",
    "FaissStore": "rag_app.store",
    "MilvusStore": "rag_app.store.milvus_store",
    "RagRetriever": "rag_app.retrieval",
    "Searcher": "rag_app.retrieval",
    "RagService": "rag_app.service",
    "Settings": "rag_app.settings",
    "build_answer_chain": "rag_app.answer",
    "ChunkingConfig": "rag_app.chunking",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rag_app' has no attribute {name!r}")
