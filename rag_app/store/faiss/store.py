"""``FaissStore``: the segment store behind LangChain's ``VectorStore`` interface (the default backend)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from rag_app.store.faiss.segment_store import SegmentStore
from rag_app.store.langchain_doors import LangChainDoors


class FaissStore(SegmentStore, LangChainDoors):
    """Exact inner-product search up to ``exact_limit`` vectors, HNSW above it; persisted as it changes."""

    def __init__(self, embedding: Embeddings | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._embedding = embedding

    @classmethod
    def load(cls, path: str | Path, embedding: Embeddings | None = None, **kwargs: Any) -> FaissStore:
        """Open the store at ``path`` (empty if there is none yet), refusing one built with another
        model when ``model_name`` and ``dimensions`` are given."""
        return cls(embedding, path=path, **kwargs)

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
        records = {chunk.fid: chunk for chunk in self.all_records()}
        flat = faiss.IndexFlatIP(self.dimensions or 1)
        if len(fids):
            flat.add(vectors)
        documents, mapping = {}, {}
        for position, fid in enumerate(fids.tolist()):
            record = records[fid]
            documents[record.chunk_id] = record.to_document()
            mapping[position] = record.chunk_id
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
