"""Reading a Milvus store: searches, BM25, records by id, the file ledger, checks and counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document

from rag_app.store.milvus.base import _MARGIN, MilvusBase
from rag_app.store.milvus.keys import (
    key63,
    lexical_tokens,
    text_fid,
)
from rag_app.store.records import Hit, StoredChunk


def _pk(hit: Any) -> int:
    """A hit's key: Milvus Lite names the primary field, a 2.3 server's hits call it ``id``."""
    return int(hit["key"] if "key" in hit else hit["id"])


class MilvusReads(MilvusBase):
    """The reading half of the store protocol."""

    def _count(self, part: str) -> int:
        if not self._ready():
            return 0
        return int(self._client.query(self._name(part), filter="", output_fields=["count(*)"])[0]["count(*)"])

    def __len__(self) -> int:
        return self._count("chunks")

    def file(self, source: str) -> dict[str, Any] | None:
        if not self._ready():
            return None
        rows = self._client.query(self._name("files"), ids=[key63(source)], output_fields=["source", "info"])
        return dict(rows[0]["info"]) if rows and rows[0]["source"] == source else None

    def file_state(self, source: str, sha256: str) -> str:
        known = self.file(source)
        if known is None:
            return "new"
        return "same" if known["sha256"] == sha256 else "changed"

    def source_with_content(self, sha256: str) -> str | None:
        if not self._ready():
            return None
        rows = self._query_in("files", "sha_key", [key63(sha256)], ["source", "info"])
        found = sorted(r["source"] for r in rows if r["info"].get("sha256") == sha256)
        return found[0] if found else None

    def list_files(self) -> list[dict[str, Any]]:
        return sorted((dict(r["info"]) for r in self._all("files", ["info"])), key=lambda f: f["source"])

    def search(self, query_vector: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` stored chunks with the highest cosine to a unit ``query_vector``."""
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if self.dimensions is not None and query.shape[0] != self.dimensions:
            raise ValueError(f"query has {query.shape[0]} dimensions; this store holds {self.dimensions}")
        if k <= 0 or not self._ready():
            return []
        found = self._client.search(
            self._name("chunks"),
            data=[query.tolist()],
            anns_field="vector",
            limit=min(k + _MARGIN, 16_384),
            search_params={"metric_type": "IP"},
            output_fields=["text"],
        )[0]
        texts = {_pk(h): h["entity"]["text"] for h in found}
        return self._hits([(_pk(h), float(h["distance"])) for h in found], texts)[:k]

    def hits_for(self, query_vector: np.ndarray, fids: Sequence[int]) -> list[Hit]:
        """Hits for chosen ids (found by other means, such as BM25) with their exact cosines."""
        if not fids or not self._ready():
            return []
        rows = {int(r["key"]): r for r in self._query_in("chunks", "key", fids, ["key", "vector", "text"])}
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        scored = [(f, float(np.asarray(rows[f]["vector"], np.float32) @ query)) for f in fids if f in rows]
        return self._hits(scored, {f: rows[f]["text"] for f, _ in scored})

    def hits_for_texts(self, query_vector: np.ndarray, texts: Sequence[str]) -> dict[str, Hit]:
        """Hits, with exact cosines, for stored texts named by their content (how a companion store of
        a second model's vectors is joined to the main one); texts not stored are left out."""
        by_fid = {text_fid(t): t for t in texts}
        hits = self.hits_for(query_vector, list(by_fid))
        return {by_fid[h.fid]: h for h in hits if h.chunk.text == by_fid[h.fid]}

    def lexical(self, query: str, k: int) -> list[tuple[int, float]]:
        """(id, BM25 score) of the best ``k`` texts, scored by Milvus's own BM25 over our tokens, or
        here over the same tokens where the server has no BM25 function (``lexical_mode`` says which)."""
        spelled = lexical_tokens(self._tokens(query))
        if not spelled or k <= 0 or not self._ready():
            return []
        if self._lexicon is not None:
            rows = lambda: ((int(r["key"]), r["tokens"]) for r in self._all("chunks", ["key", "tokens"]))  # noqa: E731
            return self._lexicon.top(spelled.split(), k, self._generation(), rows)
        found = self._client.search(
            self._name("chunks"),
            data=[spelled],
            anns_field="sparse",
            limit=min(k, 16_384),
            search_params={"metric_type": "BM25"},
        )[0]
        # Milvus Lite reports BM25 negated (best first, most negative); servers report it positive.
        return [(_pk(h), abs(float(h["distance"]))) for h in found]

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        if not self._ready():
            return []
        wanted = list(dict.fromkeys(ids))
        rows = [
            r
            for r in self._query_in("refs", "chunk_key", [key63(i) for i in wanted], ["fid", "chunk_id"])
            if r["chunk_id"] in wanted
        ]
        fid_of = {r["chunk_id"]: int(r["fid"]) for r in rows}
        fids = [fid_of[i] for i in wanted if i in fid_of]
        return [hit.to_document() for hit in self._hits([(f, 1.0) for f in dict.fromkeys(fids)])]

    def sample(self, size: int, seed: int = 0) -> tuple[list[int], np.ndarray]:
        """(text length of every record, vectors of up to ``size`` random records)."""
        rows = [(int(r["key"]), int(r["length"])) for r in self._all("chunks", ["key", "length"])]
        if not rows:
            return [], np.zeros((0, self.dimensions or 1), np.float32)
        rng = np.random.default_rng(seed)
        picked = [
            rows[i][0]
            for i in sorted(rng.choice(len(rows), size=min(size, len(rows)), replace=False).tolist())
        ]
        vectors = [r["vector"] for r in self._query_in("chunks", "key", picked, ["key", "vector"])]
        return [n for _, n in rows], np.asarray(vectors, dtype=np.float32).reshape(-1, self.dimensions or 1)

    def all_records(self) -> list[StoredChunk]:
        """Every stored text, in id order."""
        texts = {int(r["key"]): r["text"] for r in self._all("chunks", ["key", "text"])}
        records = self._records(list(texts), texts)
        return [records[fid] for fid in sorted(records)]

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        rows = sorted((int(r["key"]), r["vector"]) for r in self._all("chunks", ["key", "vector"]))
        fids = np.asarray([f for f, _ in rows], dtype=np.int64)
        vectors = np.asarray([v for _, v in rows], dtype=np.float32).reshape(len(rows), self.dimensions or 1)
        return fids, vectors

    def verify_checksums(self) -> list[str]:
        """Texts no reference holds, and references to texts that are gone (none: [])."""
        if not self._ready():
            return []
        texts = {int(r["key"]) for r in self._all("chunks", ["key"])}
        held = {int(r["fid"]) for r in self._all("refs", ["fid"])}
        problems = []
        if orphans := texts - held:
            problems.append(f"{len(orphans)} stored texts have no holder (a write was interrupted)")
        if missing := held - texts:
            problems.append(f"{len(missing)} references point to texts that are gone")
        return problems

    def stats(self) -> dict[str, Any]:
        live, dims = len(self), self.dimensions or 0
        return {
            "vectors": live,
            "files": self._count("files"),
            "dimensions": dims,
            "index_bytes": None,  # Milvus keeps its own files; the estimate below is N x d x 4
            "estimate_bytes": live * dims * 4,
            "bytes_per_vector": float(dims * 4),
            "segments": None,
            "dead_vectors": 0,
            "search": f"Milvus {self.index_type} (inner product) at {self.where}",
            "lexical": self.lexical_mode,
            "model": self.model_name,
            "backend": "milvus",
        }
