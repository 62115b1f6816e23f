"""A second model's vectors of the same chunks: a store of its own beside the knowledge base's.

The offline default pairs the English-only bundled model with a multilingual one; each keeps its own
index (a FAISS store in ``<store>/multilingual/``, or its own Milvus collections), both hold the same
chunk texts, and the two are joined by text (``hits_for_texts``). Writing the second store after the
first means a crash between them leaves the second behind, never ahead: the next ingest, or
``rag-app upgrade``, fills it in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rag_app.store.protocol import KnowledgeStore

COMPANION_FOLDER = "multilingual"


@dataclass(frozen=True)
class Companion:
    store: KnowledgeStore
    embeddings: Any
    """The second model (an ``ArrayEmbeddings``: ``encode_documents``, ``encode_queries``, ``resolved``)."""

    @property
    def model_name(self) -> str:
        return self.embeddings.resolved.name

    def missing(self, source: str, sha256: str) -> bool:
        """Whether this file's vectors of the second model are still to be written."""
        return self.store.file_state(source, sha256) != "same"
