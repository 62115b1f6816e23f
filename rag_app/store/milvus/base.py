"""The Milvus store's connection, manifest and collections, and the helpers that read rows back."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rag_app.store.errors import StoreError
from rag_app.store.manifest import Manifest, ManifestFacts
from rag_app.store.milvus.client import RECONNECT_S, is_remote, milvus_client
from rag_app.store.milvus.features import ServerFeatures, detect, has_field
from rag_app.store.milvus.keys import (
    key63,
)
from rag_app.store.milvus.lexicon import LocalLexicon
from rag_app.store.milvus.schema import create_collections
from rag_app.store.records import Hit, StoredChunk
from rag_app.text.urls import redact
from rag_app.text.words import tokenize

TokensFn = Callable[[str], list[str]]
_BATCH = 1_000  # rows per insert or id list per filter, well under Milvus's message limits
_QUERY_LIMIT = 16_384  # the most rows one Milvus query returns
_MARGIN = 16  # extra hits fetched, since a text caught mid-write may have no holder yet
_COLLECTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")


class MilvusBase(ManifestFacts):
    """A store's collections on one Milvus: what it is, its manifest, reading rows by integer key."""

    def __init__(
        self,
        *,
        uri: str,
        collection: str = "rag_app",
        token: str = "",
        path: str | Path | None = None,
        model_name: str | None = None,
        dimensions: int | None = None,
        chunking: dict[str, Any] | None = None,
        index_type: str | None = None,
        tokens: TokensFn = tokenize,
        reconnect_s: float = RECONNECT_S,
    ) -> None:
        """``path``: a local folder for the original files the page viewer draws (Milvus holds
        vectors and texts, not PDFs); ``index_type``: FLAT (exact) on Milvus Lite, AUTOINDEX on a
        server unless given; ``reconnect_s``: how long a call waits for a server that went down."""
        if not _COLLECTION.fullmatch(collection):
            raise ValueError(f"collection {collection!r}: use letters, digits and underscores")
        self.uri = uri
        self.collection = collection
        self.root = Path(path) if path is not None else None
        self._tokens = tokens
        self._lock = threading.RLock()
        self._client = milvus_client(uri, token, reconnect_s)
        self._lite = not is_remote(uri)
        self.features: ServerFeatures = detect(self._client, self._lite)
        self.index_type = index_type or ("FLAT" if self._lite else "AUTOINDEX")
        self.on_wait: Callable[[str], None] | None = None  # one process writes: nothing to wait for
        self.manifest = self._read_manifest()
        # A store made before the server had BM25 keeps its shape: its words stay scored here.
        chunks = self._name("chunks")
        self._bm25 = self.features.bm25 and (
            not self._client.has_collection(chunks) or has_field(self._client, chunks, "sparse")
        )
        self._lexicon = None if self._bm25 else LocalLexicon()
        self._created = self.manifest is not None
        if self.manifest is None:
            self.manifest = (
                Manifest(model_name, dimensions, chunking or {}) if model_name and dimensions else None
            )
        elif model_name is not None and dimensions is not None:
            self.manifest.check(model_name, dimensions, self.where)  # type: ignore[arg-type]

    # ---- what it is ------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"{redact(self.uri)} (collection {self.collection})"

    @property
    def lexical_mode(self) -> str:
        """How this store matches words (``rag-app info``, the JSON, the app's banner)."""
        if self._bm25 or not self.features.bm25:
            return self.features.lexical
        return f"local BM25 over the stored tokens (collection {self.collection} made without BM25)"

    @property
    def lexical_fallback(self) -> bool:
        return not self._bm25

    def _name(self, part: str) -> str:
        return f"{self.collection}_{part}"

    def check_model(self, model_name: str, dimensions: int, chunking: dict[str, Any] | None = None) -> None:
        """Refuse another model's vectors; a store not created yet adopts this model."""
        with self._lock:
            if not self._created:
                found = self._read_manifest()  # another process may have created it since
                self.manifest = found or self.manifest
                self._created = found is not None
            if self._created and self.manifest is not None:
                self.manifest.check(model_name, dimensions, self.where)  # type: ignore[arg-type]
                return
            old = self.manifest
            self.manifest = Manifest(model_name, dimensions, chunking or (old.chunking if old else {}))

    @classmethod
    def wipe(cls, uri: str, collection: str, token: str = "", path: str | Path | None = None) -> None:
        """Drop the store's collections (for ``--rebuild``) and its kept originals."""
        client = milvus_client(uri, token)
        for part in ("chunks", "refs", "files", "meta"):
            if client.has_collection(f"{collection}_{part}"):
                client.drop_collection(f"{collection}_{part}")
        if path is not None:
            import shutil

            shutil.rmtree(Path(path) / "blobs", ignore_errors=True)

    # ---- the collections -------------------------------------------------------------------

    def _read_manifest(self) -> Manifest | None:
        if not self._client.has_collection(self._name("meta")):
            return None
        # A Milvus that restarted holds collections released: load them before the first read.
        for part in ("meta", "chunks", "refs", "files"):
            if self._client.has_collection(self._name(part)):
                self._client.load_collection(self._name(part))
        if self._lite and self._client.has_collection(self._name("chunks")):
            self._client.flush(self._name("chunks"))  # rows replayed from the log come back unsealed
        rows = self._client.query(self._name("meta"), ids=[key63("manifest")], output_fields=["value"])
        if not rows:
            return None
        data = rows[0]["value"]
        return Manifest(
            model=str(data["model"]),
            dimensions=int(data["dimensions"]),
            chunking=dict(data.get("chunking") or {}),
        )

    def _create(self) -> None:
        if self.manifest is None:
            raise StoreError(f"the store at {self.where} is new: say which model it is for before writing")
        create_collections(
            self._client, self._name, self.manifest.dimensions, self.index_type, bm25=self._bm25
        )
        # The manifest goes last: a store whose manifest exists has all its collections.
        self._client.upsert(
            self._name("meta"),
            [{"key": key63("manifest"), "value": {**self.manifest.__dict__}, "unused": [0.0, 0.0]}],
        )
        self._created = True

    def _ready(self) -> bool:
        """Whether the store exists; while it does not, asked again each time, since another process
        (an ingest beside a running app) may create it at any moment."""
        if not self._created:
            with self._lock:
                found = self._read_manifest()
                if found is not None and not self._created:
                    self.manifest, self._created = found, True
        return self._created

    def _bump_generation(self) -> None:
        """Tell every process's local BM25 index that the texts changed (see ``lexicon.py``)."""
        if self._lexicon is not None:
            mark = {"mark": uuid.uuid4().hex}
            self._client.upsert(
                self._name("meta"), [{"key": key63("generation"), "value": mark, "unused": [0.0, 0.0]}]
            )

    def _generation(self) -> object:
        rows = self._client.query(self._name("meta"), ids=[key63("generation")], output_fields=["value"])
        return rows[0]["value"].get("mark") if rows else "none"

    # ---- reading helpers -------------------------------------------------------------------

    def _query_in(
        self, part: str, field: str, values: Sequence[int], fields: list[str]
    ) -> Iterator[dict[str, Any]]:
        """Rows whose integer ``field`` is one of ``values``, in batches (ints only reach the filter)."""
        values = sorted({int(v) for v in values})
        for start in range(0, len(values), _BATCH):
            where = f"{field} in {values[start : start + _BATCH]}"
            rows = self._client.query(
                self._name(part), filter=where, output_fields=fields, limit=_QUERY_LIMIT
            )
            if len(rows) < _QUERY_LIMIT:
                yield from rows
            else:  # more rows than one query returns (a text held by thousands of files): page through
                yield from self._all(part, fields, where)

    def _refs_of_fids(self, fids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {}
        for row in self._query_in("refs", "fid", fids, ["fid", "seq", "source", "chunk_id", "metadata"]):
            out.setdefault(int(row["fid"]), []).append(row)
        return out

    def _refs_of_source(self, source: str) -> list[dict[str, Any]]:
        rows = self._query_in("refs", "source_key", [key63(source)], ["key", "fid", "source"])
        return [r for r in rows if r["source"] == source]

    def _records(self, fids: Sequence[int], texts: dict[int, str] | None = None) -> dict[int, StoredChunk]:
        """Records by id, each shown as its earliest remaining holder; ids without a holder drop out."""
        if not fids:
            return {}
        if texts is None:
            texts = {int(r["key"]): r["text"] for r in self._query_in("chunks", "key", fids, ["key", "text"])}
        out = {}
        for fid, refs in self._refs_of_fids(list(texts)).items():
            first = min(refs, key=lambda r: r["seq"])
            metadata = {**first["metadata"], "chunk_id": first["chunk_id"]}
            out[fid] = StoredChunk(fid, texts[fid], first["chunk_id"], metadata)
        return out

    def _hits(self, scored: list[tuple[int, float]], texts: dict[int, str] | None = None) -> list[Hit]:
        records = self._records([f for f, _ in scored], texts)
        return [Hit(fid, float(score), records[fid]) for fid, score in scored if fid in records]

    def _all(self, part: str, fields: list[str], where: str = "") -> Iterator[dict[str, Any]]:
        if not self._ready():
            return
        iterator = self._client.query_iterator(
            self._name(part), batch_size=_BATCH, filter=where, output_fields=fields
        )
        try:
            while batch := iterator.next():
                yield from batch
        finally:
            iterator.close()
