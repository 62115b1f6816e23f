"""``MilvusStore``: the store protocol on Milvus, for a store that outgrows one process.

The same client speaks to Milvus Lite (``uri`` a local ``.db`` file, embedded in this process) and
to Milvus standalone or distributed (``uri`` ``http://host:19530``, a token for auth). Behaviour
matches ``FaissStore``: scores are raw cosines (unit vectors, inner product), identical texts are
stored once and remember every (source, chunk id) holding them, a changed file replaces its old
chunks, deleting a file never removes a passage another file still holds, and the manifest
(model, dimensions, chunking) refuses another model's vectors.

Four collections per store, named ``<collection>_<part>``:

    chunks  one row per distinct text: id (from the text's hash), vector, text, context, the
            tokens BM25 reads (Milvus computes the sparse vector server-side)
    refs    one row per (source, chunk id): which text it holds, its metadata, the order it came in
    files   the file ledger: source, content hash, chunk and page counts, what the loader said
    meta    the manifest

Every filter this module sends compares integers only (ids and 63-bit hashes of names), so no
file name, chunk id or query ever becomes part of a filter expression.

Writes are ordered so that a reader sees the old version of a file, the new one or both for a
moment, never neither: new texts go in first, then the new references, then the old references
go, and texts left without any reference go last. A crash in between leaves texts without a
holder, which searches skip and ``verify`` reports.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from rag_app.store.langchain_doors import LangChainDoors
from rag_app.store.milvus.base import _BATCH
from rag_app.store.milvus.keys import (
    NAME_BYTES,
    TEXT_BYTES,
    clip,
    json_safe,
    key63,
    lexical_tokens,
    text_fid,
)
from rag_app.store.milvus.reads import MilvusReads
from rag_app.store.originals import Originals
from rag_app.store.records import NewChunk, new_chunks, page_count


class MilvusCollections(MilvusReads):
    """The store protocol on Milvus, without LangChain: writes here, reads in ``reads.py``."""

    # ---- writing ---------------------------------------------------------------------------

    def add_chunks(self, chunks: Sequence[NewChunk], vectors: np.ndarray) -> int:
        with self._lock:
            added = self._add(chunks, vectors)
            self._bump_generation()
            return added

    def add_file(
        self,
        source: str,
        sha256: str,
        chunks: Sequence[Document],
        vectors: np.ndarray,
        info: dict[str, Any] | None = None,
    ) -> int:
        """Index one file's chunks, replacing whatever an older version of it left."""
        new, pages = new_chunks(source, chunks), page_count(chunks)
        with self._lock:
            if not self._created:
                self._create()
            before = self.file(source)
            old_refs = self._refs_of_source(source)
            added = self._add(new, vectors)
            kept = {key63(f"{source}\0{c.chunk_id}") for c in new}
            self._drop_refs([r for r in old_refs if r["key"] not in kept])
            record = {"source": source, "sha256": sha256, "chunks": len(chunks), "pages": pages}
            self._client.upsert(
                self._name("files"),
                [
                    {
                        "key": key63(source),
                        "sha_key": key63(sha256),
                        "source": source,
                        "info": json_safe({**(info or {}), **record}),
                        "unused": [0.0, 0.0],
                    }
                ],
            )
            if before is not None and before["sha256"] != sha256:
                self._forget_original(before["sha256"])
            self._seal()
            self._bump_generation()
            return added

    def _seal(self) -> None:
        """Milvus Lite searches unsealed (growing) rows by brute force at many times the cost of a
        sealed, indexed segment (0.45 s against 0.02 s a query at 10k chunks, benchmarks/scale_out.py):
        seal after each file. A server indexes growing rows itself; flushing there only makes small
        segments, so it is left to the server."""
        if self._lite:
            self._client.flush(self._name("chunks"))

    def _add(self, chunks: Sequence[NewChunk], vectors: np.ndarray) -> int:
        if not self._created:
            self._create()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(chunks), -1)
        if len(chunks) and vectors.shape[1] != self.dimensions:
            raise ValueError(
                f"vectors have {vectors.shape[1]} dimensions; this store holds {self.dimensions}"
            )
        for c in chunks:
            if len(c.text.encode()) > TEXT_BYTES or len(c.source.encode()) > NAME_BYTES:
                raise ValueError(
                    f"a chunk of {c.source[:80]!r} is over Milvus's {TEXT_BYTES}-byte text limit "
                    f"(or its name over {NAME_BYTES} bytes): use a smaller --chunk-tokens"
                )
        fids = [text_fid(c.text) for c in chunks]
        stored = {int(r["key"]) for r in self._query_in("chunks", "key", fids, ["key"])}
        fresh: dict[int, int] = {}
        for row, fid in enumerate(fids):
            if fid not in stored and fid not in fresh:
                fresh[fid] = row
        rows = [
            {
                "key": fid,
                "vector": vectors[row].tolist(),
                "text": chunks[row].text,
                "context": clip(chunks[row].context, TEXT_BYTES),
                "length": len(chunks[row].text.encode()),  # UTF-8 bytes, as the FAISS docstore counts
                "tokens": clip(lexical_tokens(self._tokens(chunks[row].indexed)), TEXT_BYTES),
            }
            for fid, row in fresh.items()
        ]
        for start in range(0, len(rows), _BATCH):
            self._client.upsert(self._name("chunks"), rows[start : start + _BATCH])
        # References re-added under the same (source, chunk id) replace the old ones (same key);
        # what the old ones pointed to may be left without a holder, so it is checked after.
        keys = [key63(f"{c.source}\0{c.chunk_id}") for c in chunks]
        replaced = {int(r["fid"]) for r in self._query_in("refs", "key", keys, ["fid"])} - set(fids)
        seq = time.time_ns()
        refs = [
            {
                "key": key,
                "fid": fid,
                "source_key": key63(c.source),
                "chunk_key": key63(c.chunk_id),
                "seq": seq + n,
                "source": c.source,
                "chunk_id": c.chunk_id,
                "metadata": json_safe(c.metadata),
                "unused": [0.0, 0.0],
            }
            for n, (key, fid, c) in enumerate(zip(keys, fids, chunks, strict=True))
        ]
        for start in range(0, len(refs), _BATCH):
            self._client.upsert(self._name("refs"), refs[start : start + _BATCH])
        self._bury(replaced)
        return len(fresh)

    def _drop_refs(self, refs: Sequence[dict[str, Any]]) -> int:
        if not refs:
            return 0
        keys = [int(r["key"]) for r in refs]
        for start in range(0, len(keys), _BATCH):
            self._client.delete(self._name("refs"), ids=keys[start : start + _BATCH])
        self._bury({int(r["fid"]) for r in refs})
        return len(refs)

    def _bury(self, fids: set[int]) -> None:
        """Delete the texts among ``fids`` that no reference holds any more."""
        if not fids:
            return
        held = set(self._refs_of_fids(list(fids)))
        orphans = sorted(fids - held)
        for start in range(0, len(orphans), _BATCH):
            self._client.delete(self._name("chunks"), ids=orphans[start : start + _BATCH])

    def delete_file(self, source: str) -> int:
        """Remove a file's chunks; returns how many chunk references went."""
        with self._lock:
            if not self._ready():
                return 0
            known = self.file(source)
            removed = self._drop_refs(self._refs_of_source(source))
            if known is not None:
                self._client.delete(self._name("files"), ids=[key63(source)])
                self._forget_original(known["sha256"])
            self._bump_generation()
            return removed

    def delete_chunks(self, chunk_ids: Sequence[str]) -> int:
        with self._lock:
            if not self._ready():
                return 0
            wanted = set(chunk_ids)
            rows = self._query_in("refs", "chunk_key", [key63(c) for c in wanted], ["key", "fid", "chunk_id"])
            removed = self._drop_refs([r for r in rows if r["chunk_id"] in wanted])
            self._bump_generation()
            return removed

    # ---- the original files, kept for the page viewer -------------------------------------

    def _originals(self) -> Originals | None:
        return Originals(self.root / "blobs") if self.root is not None else None

    def keep_original(self, sha256: str, path: Path) -> None:
        if (originals := self._originals()) is not None:
            originals.keep(sha256, path)

    def original(self, sha256: str) -> Path | None:
        originals = self._originals()
        return originals.path(sha256) if originals is not None else None

    def _forget_original(self, sha256: str) -> None:
        if (originals := self._originals()) is not None and self.source_with_content(sha256) is None:
            originals.forget(sha256)


class MilvusStore(MilvusCollections, LangChainDoors):
    """The Milvus backend behind LangChain's ``VectorStore`` interface.

    >>> store = MilvusStore(emb, uri="./kb.db", collection="docs")  # Milvus Lite, a local file
    >>> store = MilvusStore(emb, uri="http://milvus:19530", token="root:Milvus")  # a server
    """

    def __init__(self, embedding: Embeddings | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._embedding = embedding
