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

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from rag_app.store.errors import StoreError
from rag_app.store.ids import text_key
from rag_app.store.langchain_doors import LangChainDoors
from rag_app.store.manifest import Manifest, ManifestFacts
from rag_app.store.originals import Originals
from rag_app.store.records import Hit, NewChunk, StoredChunk, new_chunks, page_count
from rag_app.text.urls import redact
from rag_app.text.words import tokenize

TokensFn = Callable[[str], list[str]]
TEXT_BYTES = 65_535  # Milvus's VARCHAR limit
NAME_BYTES = 4_096
_BATCH = 1_000  # rows per insert or id list per filter, well under Milvus's message limits
_QUERY_LIMIT = 16_384  # the most rows one Milvus query returns
_MARGIN = 16  # extra hits fetched, since a text caught mid-write may have no holder yet
_PLAIN_TOKEN = re.compile(r"[a-z0-9]+")
_COLLECTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")
_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def key63(value: str) -> int:
    """A stable non-negative 63-bit integer for a string (ids, names, hashes); collisions are
    checked against the stored string wherever one would matter."""
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:8], "big") >> 1


def text_fid(text: str) -> int:
    """A text's id: identical texts get the same id on every machine, so a repeated insert is a no-op."""
    return int(text_key(text)[:16], 16) >> 1


def lexical_tokens(tokens: Sequence[str]) -> str:
    """Our BM25 tokens spelled so Milvus's ``standard`` analyzer (the one Milvus Lite has) keeps each
    as one token: plain lower-case ASCII words as they are, anything else (CJK unigrams and bigrams,
    accented words) as a short hash. Lexical matching is then exactly the FAISS store's."""
    return " ".join(
        t if _PLAIN_TOKEN.fullmatch(t) else "x" + hashlib.blake2b(t.encode(), digest_size=5).hexdigest()
        for t in tokens
    )


def _clip(text: str, limit: int) -> str:
    """``text`` cut at a space so its UTF-8 form fits ``limit`` bytes."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore").rsplit(" ", 1)[0]


def milvus_client(uri: str, token: str = "") -> Any:
    """One client per (uri, token) in a process: Milvus Lite serves a ``.db`` file to one process,
    and opening it twice from the same process would start it twice."""
    from pymilvus import MilvusClient

    if not uri.startswith(("http://", "https://", "tcp://", "unix:")):
        uri = str(Path(uri).expanduser().resolve())
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    with _clients_lock:
        if (uri, token) not in _clients:
            try:
                _clients[(uri, token)] = MilvusClient(uri=uri, token=token)
            except Exception as exc:
                raise StoreError(f"cannot reach Milvus at {redact(uri)}: {exc}") from exc
        return _clients[(uri, token)]


class MilvusCollections(ManifestFacts):
    """The store protocol on Milvus, without LangChain."""

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
    ) -> None:
        """``path``: a local folder for the original files the page viewer draws (Milvus holds
        vectors and texts, not PDFs); ``index_type``: FLAT (exact) on Milvus Lite, AUTOINDEX on a
        server unless given."""
        if not _COLLECTION.fullmatch(collection):
            raise ValueError(f"collection {collection!r}: use letters, digits and underscores")
        self.uri = uri
        self.collection = collection
        self.root = Path(path) if path is not None else None
        self._tokens = tokens
        self._lock = threading.RLock()
        self._client = milvus_client(uri, token)
        self._lite = not uri.startswith(("http://", "https://", "tcp://", "unix:"))
        self.index_type = index_type or ("FLAT" if self._lite else "AUTOINDEX")
        self.on_wait: Callable[[str], None] | None = None  # one process writes: nothing to wait for
        self.manifest = self._read_manifest()
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
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        def plain(part: str, fields: list[tuple[str, Any, dict[str, Any]]]) -> None:
            # Milvus wants a vector field in every collection; ledgers carry a constant 2-d one.
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("key", DataType.INT64, is_primary=True)
            for name, kind, params in fields:
                schema.add_field(name, kind, **params)
            schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
            index = self._client.prepare_index_params()
            index.add_index("unused", index_type="FLAT", metric_type="L2")
            self._client.create_collection(
                self._name(part), schema=schema, index_params=index, consistency_level="Strong"
            )

        if not self._client.has_collection(self._name("chunks")):
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("key", DataType.INT64, is_primary=True)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.manifest.dimensions)
            schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
            schema.add_field("context", DataType.VARCHAR, max_length=TEXT_BYTES)
            schema.add_field("length", DataType.INT64)
            schema.add_field(
                "tokens",
                DataType.VARCHAR,
                max_length=TEXT_BYTES,
                enable_analyzer=True,
                analyzer_params={"tokenizer": "standard"},
            )
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name="bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["tokens"],
                    output_field_names=["sparse"],
                )
            )
            index = self._client.prepare_index_params()
            index.add_index("vector", index_type=self.index_type, metric_type="IP")
            index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
            self._client.create_collection(
                self._name("chunks"), schema=schema, index_params=index, consistency_level="Strong"
            )
        if not self._client.has_collection(self._name("refs")):
            plain(
                "refs",
                [
                    ("fid", DataType.INT64, {}),
                    ("source_key", DataType.INT64, {}),
                    ("chunk_key", DataType.INT64, {}),
                    ("seq", DataType.INT64, {}),
                    ("source", DataType.VARCHAR, {"max_length": NAME_BYTES}),
                    ("chunk_id", DataType.VARCHAR, {"max_length": NAME_BYTES}),
                    ("metadata", DataType.JSON, {}),
                ],
            )
        if not self._client.has_collection(self._name("files")):
            plain(
                "files",
                [
                    ("sha_key", DataType.INT64, {}),
                    ("source", DataType.VARCHAR, {"max_length": NAME_BYTES}),
                    ("info", DataType.JSON, {}),
                ],
            )
        if not self._client.has_collection(self._name("meta")):
            plain("meta", [("value", DataType.JSON, {})])
        # The manifest goes last: a store whose manifest exists has all its collections.
        self._client.upsert(
            self._name("meta"),
            [{"key": key63("manifest"), "value": {**self.manifest.__dict__}, "unused": [0.0, 0.0]}],
        )
        self._created = True

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

    # ---- writing ---------------------------------------------------------------------------

    def add_chunks(self, chunks: Sequence[NewChunk], vectors: np.ndarray) -> int:
        with self._lock:
            return self._add(chunks, vectors)

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
                "context": _clip(chunks[row].context, TEXT_BYTES),
                "length": len(chunks[row].text),
                "tokens": _clip(lexical_tokens(self._tokens(chunks[row].indexed)), TEXT_BYTES),
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
            if not self._created:
                return 0
            known = self.file(source)
            removed = self._drop_refs(self._refs_of_source(source))
            if known is not None:
                self._client.delete(self._name("files"), ids=[key63(source)])
                self._forget_original(known["sha256"])
            return removed

    def delete_chunks(self, chunk_ids: Sequence[str]) -> int:
        with self._lock:
            if not self._created:
                return 0
            wanted = set(chunk_ids)
            rows = self._query_in("refs", "chunk_key", [key63(c) for c in wanted], ["key", "fid", "chunk_id"])
            return self._drop_refs([r for r in rows if r["chunk_id"] in wanted])

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

    # ---- reading ---------------------------------------------------------------------------

    def _count(self, part: str) -> int:
        if not self._created:
            return 0
        return int(self._client.query(self._name(part), filter="", output_fields=["count(*)"])[0]["count(*)"])

    def __len__(self) -> int:
        return self._count("chunks")

    def file(self, source: str) -> dict[str, Any] | None:
        if not self._created:
            return None
        rows = self._client.query(self._name("files"), ids=[key63(source)], output_fields=["source", "info"])
        return dict(rows[0]["info"]) if rows and rows[0]["source"] == source else None

    def file_state(self, source: str, sha256: str) -> str:
        known = self.file(source)
        if known is None:
            return "new"
        return "same" if known["sha256"] == sha256 else "changed"

    def source_with_content(self, sha256: str) -> str | None:
        if not self._created:
            return None
        rows = self._query_in("files", "sha_key", [key63(sha256)], ["source", "info"])
        found = sorted(r["source"] for r in rows if r["info"].get("sha256") == sha256)
        return found[0] if found else None

    def _all(self, part: str, fields: list[str], where: str = "") -> Iterator[dict[str, Any]]:
        if not self._created:
            return
        iterator = self._client.query_iterator(
            self._name(part), batch_size=_BATCH, filter=where, output_fields=fields
        )
        try:
            while batch := iterator.next():
                yield from batch
        finally:
            iterator.close()

    def list_files(self) -> list[dict[str, Any]]:
        return sorted((dict(r["info"]) for r in self._all("files", ["info"])), key=lambda f: f["source"])

    def search(self, query_vector: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` stored chunks with the highest cosine to a unit ``query_vector``."""
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if self.dimensions is not None and query.shape[0] != self.dimensions:
            raise ValueError(f"query has {query.shape[0]} dimensions; this store holds {self.dimensions}")
        if k <= 0 or not self._created:
            return []
        found = self._client.search(
            self._name("chunks"),
            data=[query.tolist()],
            anns_field="vector",
            limit=min(k + _MARGIN, 16_384),
            search_params={"metric_type": "IP"},
            output_fields=["text"],
        )[0]
        texts = {int(h["key"]): h["entity"]["text"] for h in found}
        return self._hits([(int(h["key"]), float(h["distance"])) for h in found], texts)[:k]

    def hits_for(self, query_vector: np.ndarray, fids: Sequence[int]) -> list[Hit]:
        """Hits for chosen ids (found by other means, such as BM25) with their exact cosines."""
        if not fids or not self._created:
            return []
        rows = {int(r["key"]): r for r in self._query_in("chunks", "key", fids, ["key", "vector", "text"])}
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        scored = [(f, float(np.asarray(rows[f]["vector"], np.float32) @ query)) for f in fids if f in rows]
        return self._hits(scored, {f: rows[f]["text"] for f, _ in scored})

    def lexical(self, query: str, k: int) -> list[tuple[int, float]]:
        """(id, BM25 score) of the best ``k`` texts, scored by Milvus's own BM25 over our tokens."""
        spelled = lexical_tokens(self._tokens(query))
        if not spelled or k <= 0 or not self._created:
            return []
        found = self._client.search(
            self._name("chunks"),
            data=[spelled],
            anns_field="sparse",
            limit=min(k, 16_384),
            search_params={"metric_type": "BM25"},
        )[0]
        # Milvus Lite reports BM25 negated (best first, most negative); servers report it positive.
        return [(int(h["key"]), abs(float(h["distance"]))) for h in found]

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        if not self._created:
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
        if not self._created:
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
            "model": self.model_name,
            "backend": "milvus",
        }


class MilvusStore(MilvusCollections, LangChainDoors):
    """The Milvus backend behind LangChain's ``VectorStore`` interface.

    >>> store = MilvusStore(emb, uri="./kb.db", collection="docs")  # Milvus Lite, a local file
    >>> store = MilvusStore(emb, uri="http://milvus:19530", token="root:Milvus")  # a server
    """

    def __init__(self, embedding: Embeddings | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._embedding = embedding


def collection_for(store_dir: Path, explicit: str | None = None) -> str:
    """The collection of a store folder: the one named, else one derived from the folder, so each
    person's store (``people/<id>/``) and the library get collections of their own."""
    if explicit:
        return explicit
    digest = hashlib.sha256(str(Path(store_dir).expanduser().resolve()).encode()).hexdigest()[:16]
    return f"rag_{digest}"


def json_safe(value: Any) -> Any:
    """Metadata as Milvus's JSON field stores it (tuples become lists, as they would through JSON)."""
    return json.loads(json.dumps(value, ensure_ascii=False))
