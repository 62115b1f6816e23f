"""Retrieval for your documents: Qwen3-Embedding (or the bundled offline model), FAISS, Gradio, LangChain.

Names are imported on first use, so ``import rag_app`` stays cheap and has no side effects.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Qwen3Embeddings": "rag_app.embeddings.local",
    "LocalEmbeddings": "rag_app.embeddings.local",
    "embeddings_for": "rag_app.embeddings.local",
    "ServedEmbeddings": "rag_app.embeddings.served",
    "FaissStore": "rag_app.store.faiss.store",
    "MilvusStore": "rag_app.store.milvus.store",
    "RagRetriever": "rag_app.retrieval.retriever",
    "Searcher": "rag_app.retrieval.searcher",
    "RagService": "rag_app.service",
    "Settings": "rag_app.settings",
    "build_answer_chain": "rag_app.conversation.chain",
    "ChunkingConfig": "rag_app.ingest.chunking",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rag_app' has no attribute {name!r}")
