"""A FAISS cosine index behind LangChain's ``VectorStore``, persisted without pickle.

Vectors are unit length, so the inner product FAISS computes *is* the cosine; every score
this store returns is that raw cosine in [-1, 1]. Identical chunk texts are stored once and
remember every (source, chunk id) that contains them, so deleting one file never removes a
passage another file still holds.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from rag_app import persistence
from rag_app.persistence import DamagedStoreError, StoreMismatchError

EXACT_LIMIT = 200_000


@dataclass(frozen=True)
class Hit:
    """One search result: the stored record and its cosine to the query."""

    fid: int
    score: float
    record: dict[str, Any]

    def to_document(self) -> Document:
        return Document(
            page_content=self.record["text"],
            metadata={**self.record["metadata"], "score": self.score},
            id=self.record["chunk_id"],
        )


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise rows, so inner product is cosine whatever an ``Embeddings`` returns."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class FaissStore(VectorStore):
    """Exact inner-product search up to ``exact_limit`` vectors, HNSW above it."""

    def __init__(
        self,
        embedding: Embeddings,
        *,
        dimensions: int,
        model_name: str,
        path: str | Path | None = None,
        chunking: dict[str, Any] | None = None,
        exact_limit: int = EXACT_LIMIT,
        hnsw_m: int = 32,
        hnsw_ef_search: int = 128,
    ) -> None:
        self._embedding = embedding
        self.dimensions = dimensions
        self.model_name = model_name
        self.path = Path(path) if path is not None else None
        self.chunking = chunking or {}
        self.exact_limit = exact_limit
        self.hnsw_m = hnsw_m
        self.hnsw_ef_search = hnsw_ef_search
        self._lock = threading.RLock()
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimensions))
        self._records: dict[int, dict[str, Any]] = {}
        self._by_chunk_id: dict[str, int] = {}
        self._by_text: dict[str, int] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._next_id = 0
        self.version = 0  # bumped on every change, so derived indexes (HNSW, BM25) know to rebuild
        self._approx: tuple[int, Any, np.ndarray] | None = None
        # (version, vector count, serialised bytes): the UI asks for stats on every page load,
        # and serialising the whole index each time costs as much as a copy of it.
        self._size_cache: tuple[int, int, int] | None = None

    # ---- LangChain VectorStore --------------------------------------------------------

    @property
    def embeddings(self) -> Embeddings:
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
        vectors = np.asarray(embedding.embed_documents(texts), dtype=np.float32)
        kwargs.setdefault("dimensions", vectors.shape[1])
        kwargs.setdefault("model_name", type(embedding).__name__)
        store = cls(embedding, **kwargs)
        store.add_vectors(texts, vectors, metadatas, ids)
        return store

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        texts = list(texts)
        vectors = np.asarray(self._embedding.embed_documents(texts), dtype=np.float32)
        return self.add_vectors(texts, vectors, metadatas, ids)

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        ids = kwargs.pop("ids", None) or [d.id for d in documents]
        ids = ids if all(ids) else None
        return self.add_texts(
            [d.page_content for d in documents], [dict(d.metadata) for d in documents], ids=ids
        )

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        if ids is None:
            return False
        with self._lock:
            found = False
            for chunk_id in ids:
                fid = self._by_chunk_id.get(chunk_id)
                if fid is not None:
                    self._drop_ref(fid, chunk_id)
                    found = True
            return found

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        with self._lock:
            out = []
            for chunk_id in ids:
                fid = self._by_chunk_id.get(chunk_id)
                if fid is not None:
                    out.append(Hit(fid, 1.0, self._records[fid]).to_document())
            return out

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        vector = np.asarray(self._embedding.embed_query(query), dtype=np.float32)
        return self.similarity_search_with_score_by_vector(vector, k)

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score_by_vector(embedding, k)]

    def similarity_search_with_score_by_vector(
        self, embedding: Sequence[float] | np.ndarray, k: int = 4
    ) -> list[tuple[Document, float]]:
        return [(hit.to_document(), hit.score) for hit in self.search(np.asarray(embedding), k)]

    def _select_relevance_score_fn(self):
        # LangChain wants relevance in [0, 1]; map cosine linearly. Raw cosine stays in metadata["score"].
        return lambda cosine: (cosine + 1.0) / 2.0

    # ---- adding and removing ----------------------------------------------------------

    def add_vectors(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Add pre-computed unit vectors; an identical text already stored gains a reference instead."""
        vectors = unit_rows(np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1))
        if vectors.shape[1] != self.dimensions:
            raise ValueError(
                f"vectors have {vectors.shape[1]} dimensions; this store holds {self.dimensions}"
            )
        metadatas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        chunk_ids = (
            list(ids)
            if ids is not None
            else [text_key(f"{m}|{t}")[:24] for t, m in zip(texts, metadatas, strict=True)]
        )
        with self._lock:
            new_fids, new_rows = [], []
            for row, (text, meta, chunk_id) in enumerate(zip(texts, metadatas, chunk_ids, strict=True)):
                source = meta.get("source")
                if chunk_id in self._by_chunk_id:
                    continue
                existing = self._by_text.get(text_key(text))
                if existing is not None:
                    self._records[existing]["refs"].append([source, chunk_id])
                    self._by_chunk_id[chunk_id] = existing
                    continue
                fid = self._next_id
                self._next_id += 1
                self._records[fid] = {
                    "chunk_id": chunk_id,
                    "text": text,
                    "metadata": {**meta, "chunk_id": chunk_id},
                    "refs": [[source, chunk_id]],
                }
                self._by_chunk_id[chunk_id] = fid
                self._by_text[text_key(text)] = fid
                new_fids.append(fid)
                new_rows.append(row)
            if new_rows:
                self._index.add_with_ids(vectors[new_rows], np.asarray(new_fids, dtype=np.int64))
            self._touch()
            return chunk_ids

    def _drop_ref(self, fid: int, chunk_id: str) -> None:
        record = self._records[fid]
        record["refs"] = [ref for ref in record["refs"] if ref[1] != chunk_id]
        del self._by_chunk_id[chunk_id]
        if not record["refs"]:
            self._index.remove_ids(np.asarray([fid], dtype=np.int64))
            del self._records[fid]
            self._by_text.pop(text_key(record["text"]), None)
        elif record["chunk_id"] == chunk_id:  # the record now shows its next remaining holder
            source, next_id = record["refs"][0]
            record["chunk_id"] = next_id
            record["metadata"] = {**record["metadata"], "source": source, "chunk_id": next_id}
        self._touch()

    def _touch(self) -> None:
        self.version += 1

    # ---- files --------------------------------------------------------------------------

    def file_state(self, source: str, sha256: str) -> str:
        """'new', 'same' (already indexed, unchanged) or 'changed' (same name, new content)."""
        with self._lock:
            known = self._files.get(source)
            if known is None:
                return "new"
            return "same" if known["sha256"] == sha256 else "changed"

    def source_with_content(self, sha256: str) -> str | None:
        with self._lock:
            return next((s for s, f in self._files.items() if f["sha256"] == sha256), None)

    def add_file(self, source: str, sha256: str, chunks: Sequence[Document], vectors: np.ndarray) -> int:
        """Index one file's chunks, replacing whatever an older version of it left. Returns new vectors."""
        with self._lock:
            self.delete_source(source)
            before = self._index.ntotal
            chunk_ids = [c.metadata["chunk_id"] for c in chunks]
            self.add_vectors(
                [c.page_content for c in chunks], vectors, [c.metadata for c in chunks], chunk_ids
            )
            pages = {c.metadata.get("page") for c in chunks}
            self._files[source] = {
                "sha256": sha256,
                "chunk_ids": chunk_ids,
                "pages": len(pages - {None}) or None,
            }
            self._touch()
            return self._index.ntotal - before

    def delete_source(self, source: str) -> int:
        """Remove a file's chunks; returns how many chunk references were removed."""
        with self._lock:
            known = self._files.pop(source, None)
            if known is None:
                return 0
            for chunk_id in known["chunk_ids"]:
                fid = self._by_chunk_id.get(chunk_id)
                if fid is not None:
                    self._drop_ref(fid, chunk_id)
            self._touch()
            return len(known["chunk_ids"])

    def list_sources(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"source": s, "chunks": len(f["chunk_ids"]), "pages": f["pages"], "sha256": f["sha256"]}
                for s, f in sorted(self._files.items())
            ]

    # ---- search -------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query_vector: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` stored chunks with the highest cosine to a unit ``query_vector``."""
        query = unit_rows(np.asarray(query_vector, dtype=np.float32).reshape(1, -1))
        if query.shape[1] != self.dimensions:
            raise ValueError(f"query has {query.shape[1]} dimensions; this store holds {self.dimensions}")
        with self._lock:
            if len(self) == 0 or k <= 0:
                return []
            k = min(k, len(self))
            if _gpu_count() > 0 or len(self) > self.exact_limit:
                scores, fids = self._derived_search(query, k)
            else:
                scores, fids = self._index.search(query, k)
            return [
                Hit(int(fid), float(score), self._records[int(fid)])
                for score, fid in zip(scores[0], fids[0], strict=True)
                if fid >= 0
            ]

    def cosine_to(self, query_vector: np.ndarray, fids: Sequence[int]) -> list[float]:
        """Exact cosines of the query to chosen stored vectors (for hits found by other means)."""
        if not len(fids):
            return []
        return [float(x) for x in self.vectors_for(fids) @ unit_rows(np.asarray(query_vector))]

    def vectors_for(self, fids: Sequence[int]) -> np.ndarray:
        """The stored vectors of these ids, one row each, without copying the whole index."""
        with self._lock:
            if not len(fids):
                return np.zeros((0, self.dimensions), dtype=np.float32)
            return np.stack([self._index.reconstruct(int(fid)) for fid in fids]).astype(np.float32)

    def record(self, fid: int) -> dict[str, Any]:
        return self._records[fid]

    def all_records(self) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            return sorted(self._records.items())

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(fids, vectors) of everything stored."""
        with self._lock:
            fids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            vectors = (
                self._index.index.reconstruct_n(0, self._index.ntotal) if len(fids) else np.zeros((0, 0))
            )
            return fids, np.asarray(vectors, dtype=np.float32)

    def _derived_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Search a copy built for speed: exact on the GPU when faiss sees one, else HNSW on the CPU."""
        if self._approx is None or self._approx[0] != self.version:
            fids, vectors = self.all_vectors()
            if _gpu_count() > 0:
                index = faiss.index_cpu_to_gpu(
                    faiss.StandardGpuResources(), 0, faiss.IndexFlatIP(self.dimensions)
                )
            else:
                index = faiss.IndexHNSWFlat(self.dimensions, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = 80
            index.add(vectors)
            self._approx = (self.version, index, fids)
        _, index, fids = self._approx
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = max(self.hnsw_ef_search, k)
        scores, positions = index.search(query, k)
        return scores, np.where(positions >= 0, fids[positions.clip(min=0)], -1)

    # ---- persistence --------------------------------------------------------------------

    def save(self, path: str | Path | None = None) -> Path:
        """Write atomically: a crash leaves either the previous state or this one, never a mix."""
        root = Path(path) if path is not None else self.path
        if root is None:
            raise ValueError("no path: pass one to save() or construct the store with path=")
        with self._lock:
            index_bytes = faiss.serialize_index(self._index).tobytes()
            docstore = {
                "records": {str(fid): rec for fid, rec in self._records.items()},
                "files": self._files,
                "next_id": self._next_id,
            }
            manifest = {
                "model": self.model_name,
                "dimensions": self.dimensions,
                "normalizer": "l2",
                "metric": "inner_product",
                "chunking": self.chunking,
                "counts": {
                    "vectors": int(self._index.ntotal),
                    "records": len(self._records),
                    "files": len(self._files),
                },
            }
            return persistence.write_generation(root, index_bytes, docstore, manifest)

    @classmethod
    def load(
        cls,
        path: str | Path,
        embedding: Embeddings,
        *,
        dimensions: int,
        model_name: str,
        chunking: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> FaissStore:
        """Open the store at ``path`` (empty if there is none yet), refusing a store from another model."""
        root = Path(path)
        store = cls(
            embedding, dimensions=dimensions, model_name=model_name, path=root, chunking=chunking, **kwargs
        )
        loaded = persistence.read_generation(root)
        if loaded is None:
            return store
        index_bytes, docstore, manifest = loaded
        if manifest["model"] != model_name or manifest["dimensions"] != dimensions:
            raise StoreMismatchError(
                f"the store at {root} was built with {manifest['model']} ({manifest['dimensions']} dims); "
                f"this run uses {model_name} ({dimensions} dims). Rebuild it with "
                f"`rag-app ingest --rebuild --store {root} PATH...`, or run with "
                f"--embedding-model {manifest['model']}"
            )
        index = faiss.deserialize_index(np.frombuffer(index_bytes, dtype=np.uint8))
        records = {int(fid): rec for fid, rec in docstore["records"].items()}
        if index.ntotal != len(records) or index.d != dimensions:
            raise DamagedStoreError(
                f"the store at {root} is damaged: {index.ntotal} vectors but {len(records)} texts; "
                f"rebuild it with `rag-app ingest --rebuild`"
            )
        store._index = faiss.IndexIDMap2(index) if not isinstance(index, faiss.IndexIDMap2) else index
        store._records = records
        store._files = docstore["files"]
        store._next_id = int(docstore["next_id"])
        store.chunking = manifest.get("chunking", chunking or {})
        for fid, rec in records.items():
            store._by_text[text_key(rec["text"])] = fid
            for _, chunk_id in rec["refs"]:
                store._by_chunk_id[chunk_id] = fid
        return store

    # ---- reporting ----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts and memory: bytes the index really holds beside the N × d × 4 estimate."""
        with self._lock:
            n = len(self)
            index_bytes = self._serialised_size(n)
            return {
                "vectors": n,
                "files": len(self._files),
                "dimensions": self.dimensions,
                "index_bytes": index_bytes,
                "estimate_bytes": n * self.dimensions * 4,
                "bytes_per_vector": index_bytes / n if n else 0.0,
                "search": "exact (IndexFlatIP)"
                if n <= self.exact_limit
                else f"approximate (HNSW, M={self.hnsw_m})",
                "model": self.model_name,
            }

    def _serialised_size(self, n: int) -> int:
        if not n:
            return 0
        if self._size_cache is None or self._size_cache[:2] != (self.version, n):
            self._size_cache = (self.version, n, len(faiss.serialize_index(self._index)))
        return self._size_cache[2]

    def search_kind(self) -> str:
        if _gpu_count() > 0:
            return "exact (IndexFlatIP on GPU)"
        if len(self) > self.exact_limit:
            return f"approximate (HNSW, M={self.hnsw_m}, efSearch={self.hnsw_ef_search})"
        return "exact (IndexFlatIP)"

    def to_langchain_faiss(self):
        """A ``langchain_community.vectorstores.FAISS`` over a copy of these vectors, with honest scores.

        It uses MAX_INNER_PRODUCT, so ``similarity_search_with_score`` returns the cosine; its
        relevance function is overridden to return the cosine too (the community default flips it).
        Do not ``save_local`` it if you want to avoid pickle: keep this store as the source of truth.
        """
        from langchain_community.docstore.in_memory import InMemoryDocstore
        from langchain_community.vectorstores import FAISS
        from langchain_community.vectorstores.utils import DistanceStrategy

        fids, vectors = self.all_vectors()
        flat = faiss.IndexFlatIP(self.dimensions)
        if len(fids):
            flat.add(vectors)
        documents, mapping = {}, {}
        for position, fid in enumerate(fids):
            record = self._records[int(fid)]
            documents[record["chunk_id"]] = Document(
                page_content=record["text"], metadata=dict(record["metadata"]), id=record["chunk_id"]
            )
            mapping[position] = record["chunk_id"]
        with warnings.catch_warnings():
            # It warns that normalize_L2 "is not applicable" to inner product; it still applies it to
            # queries, which is exactly what turns inner product into cosine here.
            warnings.simplefilter("ignore", UserWarning)
            return FAISS(
                self._embedding,
                flat,
                InMemoryDocstore(documents),
                mapping,
                relevance_score_fn=lambda score: score,
                normalize_L2=True,
                distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
            )


def _gpu_count() -> int:
    """GPUs faiss can use (the `gpu` extra installs faiss-gpu); 0 with faiss-cpu."""
    return faiss.get_num_gpus() if hasattr(faiss, "StandardGpuResources") else 0
