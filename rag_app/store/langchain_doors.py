"""LangChain's ``VectorStore`` doors, shared by every backend of the store protocol.

The doors (``add_texts``, ``from_texts``, ``similarity_search_by_vector``) normalise vectors
themselves, since any ``Embeddings`` may come in through them; the app's own pipeline hands the
store unit vectors and they are stored as given. Scores are raw cosines in [-1, 1].
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from rag_app.store.ids import chunk_id as make_chunk_id
from rag_app.store.records import NewChunk


def unit_rows(vectors: Any) -> np.ndarray:
    """L2-normalise rows, so inner product is cosine whatever an ``Embeddings`` returns."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class LangChainDoors(VectorStore):
    """Mixed into a backend that has ``add_chunks``, ``delete_chunks``, ``search``, ``check_model``,
    ``manifest`` and ``delete_file``/``list_files``; the backend's ``__init__`` takes the keyword
    arguments given to ``from_texts``."""

    _embedding: Embeddings | None = None

    manifest: Any  # the backend's

    @property
    def embeddings(self) -> Embeddings | None:
        return self._embedding

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        vectors = unit_rows(embedding.embed_documents(texts))
        kwargs.setdefault("dimensions", vectors.shape[1])
        kwargs.setdefault("model_name", type(embedding).__name__)
        store = cls(embedding, **kwargs)
        store.add_vectors(texts, vectors, metadatas, ids)
        return store

    def _require_embedding(self) -> Embeddings:
        if self._embedding is None:
            raise ValueError(
                f"this store was opened without an Embeddings object; pass one to {type(self).__name__}()"
            )
        return self._embedding

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        texts = list(texts)
        vectors = unit_rows(self._require_embedding().embed_documents(texts))
        return self.add_vectors(texts, vectors, metadatas, ids)

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        ids = kwargs.pop("ids", None) or [d.id for d in documents]
        return self.add_texts(
            [d.page_content for d in documents],
            [dict(d.metadata) for d in documents],
            ids=ids if all(ids) else None,
        )

    def add_vectors(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Add texts with their unit vectors, outside any file (LangChain's way of adding)."""
        metadatas = [dict(m) for m in metadatas] if metadatas is not None else [{} for _ in texts]
        if self.manifest is None and len(texts):
            self.check_model("unnamed", int(np.asarray(vectors).reshape(len(texts), -1).shape[1]))
        chunk_ids = (
            list(ids)
            if ids is not None
            else [
                make_chunk_id(
                    m.get("sha256") or str(m.get("source", "")), m.get("page"), m.get("start_index", 0), t
                )
                for t, m in zip(texts, metadatas, strict=True)
            ]
        )
        chunks = [
            NewChunk(t, cid, str(m.get("source", "")), {**m, "chunk_id": cid})
            for t, m, cid in zip(texts, metadatas, chunk_ids, strict=True)
        ]
        self.add_chunks(chunks, vectors)
        return chunk_ids

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        if not ids:
            return False
        return self.delete_chunks(ids) > 0

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        return self.similarity_search_with_score_by_vector(self._require_embedding().embed_query(query), k)

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score_by_vector(embedding, k)]

    def similarity_search_with_score_by_vector(
        self, embedding: Sequence[float] | np.ndarray, k: int = 4
    ) -> list[tuple[Document, float]]:
        return [(hit.to_document(), hit.score) for hit in self.search(unit_rows([embedding])[0], k)]

    def _select_relevance_score_fn(self):
        # LangChain wants relevance in [0, 1]; map cosine linearly. Raw cosine stays in metadata["score"].
        return lambda cosine: (cosine + 1.0) / 2.0

    # ---- compatibility names ---------------------------------------------------------------
