"""``FaissStore``: the segment store behind LangChain's ``VectorStore`` interface.

The LangChain doors (``add_texts``, ``from_texts``, ``similarity_search_by_vector``) normalise
vectors themselves, since any ``Embeddings`` may come in through them; the app's own pipeline
hands the store unit vectors and they are stored as given.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from rag_app.ids import chunk_id as make_chunk_id
from rag_app.store.segment_store import NewChunk, SegmentStore


def unit_rows(vectors: Any) -> np.ndarray:
    """L2-normalise rows, so inner product is cosine whatever an ``Embeddings`` returns."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class FaissStore(SegmentStore, VectorStore):
    """Exact inner-product search up to ``exact_limit`` vectors, HNSW above it; persisted as it changes."""

    def __init__(self, embedding: Embeddings | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._embedding = embedding

    @classmethod
    def load(cls, path: str | Path, embedding: Embeddings | None = None, **kwargs: Any) -> FaissStore:
        """Open the store at ``path`` (empty if there is none yet), refusing one built with another
        model when ``model_name`` and ``dimensions`` are given."""
        return cls(embedding, path=path, **kwargs)

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
    ) -> FaissStore:
        vectors = unit_rows(embedding.embed_documents(texts))
        kwargs.setdefault("dimensions", vectors.shape[1])
        kwargs.setdefault("model_name", type(embedding).__name__)
        store = cls(embedding, **kwargs)
        store.add_vectors(texts, vectors, metadatas, ids)
        return store

    def _require_embedding(self) -> Embeddings:
        if self._embedding is None:
            raise ValueError("this store was opened without an Embeddings object; pass one to FaissStore()")
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

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        with self._lock:
            self._refresh()
            if self._db is None:
                return []
            fids = [f for f in (self._db.fid_for_chunk(i) for i in ids) if f is not None]
            return [hit.to_document() for hit in self._hits([(f, 1.0) for f in fids])]

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

    def delete_source(self, source: str) -> int:
        return self.delete_file(source)

    def list_sources(self) -> list[dict[str, Any]]:
        return self.list_files()

    def to_langchain_faiss(self):
        """A ``langchain_community.vectorstores.FAISS`` over a copy of these vectors, with honest scores.

        It uses MAX_INNER_PRODUCT, so ``similarity_search_with_score`` returns the cosine; its
        relevance function is overridden to return the cosine too (the community default flips it).
        Do not ``save_local`` it if you want to avoid pickle: keep this store as the source of truth.
        """
        import faiss
        from langchain_community.docstore.in_memory import InMemoryDocstore
        from langchain_community.vectorstores import FAISS
        from langchain_community.vectorstores.utils import DistanceStrategy

        fids, vectors = self.all_vectors()
        records = dict(self.all_records())
        flat = faiss.IndexFlatIP(self.dimensions or 1)
        if len(fids):
            flat.add(vectors)
        documents, mapping = {}, {}
        for position, fid in enumerate(fids.tolist()):
            record = records[fid]
            documents[record["chunk_id"]] = Document(
                page_content=record["text"], metadata=dict(record["metadata"]), id=record["chunk_id"]
            )
            mapping[position] = record["chunk_id"]
        with warnings.catch_warnings():
            # It warns that normalize_L2 "is not applicable" to inner product; it still applies it to
            # queries, which is exactly what turns inner product into cosine here.
            warnings.simplefilter("ignore", UserWarning)
            return FAISS(
                self._require_embedding(),
                flat,
                InMemoryDocstore(documents),
                mapping,
                relevance_score_fn=lambda score: score,
                normalize_L2=True,
                distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
            )
