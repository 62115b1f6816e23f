"""The store: FAISS segments for vectors, SQLite for everything else, one writer at a time.

Vectors are unit length, so the inner product FAISS computes *is* the cosine: every score this
store returns is that raw cosine in [-1, 1]. Identical texts are stored once and remember every
(source, chunk id) that holds them, so deleting one file never removes a passage another file
still holds. Every change is written when it is made, in time that does not grow with the store:
there is no separate save.

Layout of a store folder::

    manifest.json        model, dimensions, chunking (written once, when the store is created)
    docstore.sqlite      texts, references, the file ledger, the BM25 lexicon, segment list (WAL)
    segments/seg-*.faiss IndexIDMap2(IndexFlatIP) files, written once each, memory-mapped
    blobs/<sha256>       the indexed files themselves, by content, for the page viewer
    LOCK                 the writers' lock file

Any other file is ignored: nothing here unpickles anything.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from rag_app.store.errors import DamagedStoreError, StoreError
from rag_app.store.faiss import legacy
from rag_app.store.faiss.approx import DerivedIndex, gpu_count
from rag_app.store.faiss.docstore import DOCSTORE, Docstore
from rag_app.store.faiss.segments import SEGMENTS, CompactionPolicy, Segment, SegmentFiles, plan_compaction
from rag_app.store.ids import text_key
from rag_app.store.lock import WriterLock
from rag_app.store.manifest import MANIFEST, Manifest, ManifestFacts, read_manifest, write_manifest
from rag_app.store.originals import Originals
from rag_app.store.records import Hit, NewChunk, StoredChunk, new_chunks, page_count
from rag_app.text.words import tokenize

EXACT_LIMIT = 200_000
BLOBS = "blobs"
TokensFn = Callable[[str], list[str]]


class SegmentStore(ManifestFacts):
    """The store itself, without LangChain: the protocol every backend implements."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        model_name: str | None = None,
        dimensions: int | None = None,
        chunking: dict[str, Any] | None = None,
        exact_limit: int = EXACT_LIMIT,
        hnsw_m: int = 32,
        hnsw_ef_search: int = 128,
        lock_timeout_s: float = 600.0,
        compaction: CompactionPolicy = CompactionPolicy(),  # noqa: B008 - frozen, shared safely
        tokens: TokensFn = tokenize,
    ) -> None:
        if path is None:  # an in-memory store for LangChain's from_texts: a folder removed with it
            path = tempfile.mkdtemp(prefix="rag-store-")
            self._cleanup = weakref.finalize(self, shutil.rmtree, path, True)
        self.root = Path(path)
        self.exact_limit = exact_limit
        self.compaction = compaction
        self._tokens = tokens
        self._lock = threading.RLock()
        self._writer = WriterLock(self.root, timeout_s=lock_timeout_s)
        self._db: Docstore | None = None
        self._segments: dict[int, Segment] = {}
        self._seen: int | None = None
        self.on_wait: Callable[[str], None] | None = None
        """Told when a write must wait for another process's."""
        self.derived = DerivedIndex(dimensions or 1, m=hnsw_m, ef_search=hnsw_ef_search)
        self._migrate_legacy()
        self.manifest = read_manifest(self.root)
        if self.manifest is None:
            self.manifest = (
                Manifest(model_name, dimensions, chunking or {}) if model_name and dimensions else None
            )
            self._created = False
        else:
            if model_name is not None and dimensions is not None:
                self.manifest.check(model_name, dimensions, self.root)
            self._created = True
            self._open()
        self.derived.dimensions = self.dimensions or 1

    # ---- what it is ------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.root

    def check_model(self, model_name: str, dimensions: int, chunking: dict[str, Any] | None = None) -> None:
        """Refuse another model's vectors; a store not created yet adopts this model (and the
        chunking settings its manifest will record)."""
        with self._lock:
            self._refresh()
            if self._created and self.manifest is not None:
                self.manifest.check(model_name, dimensions, self.root)
                return
            old = self.manifest
            self.manifest = Manifest(model_name, dimensions, chunking or (old.chunking if old else {}))
            self.derived.dimensions = dimensions

    @classmethod
    def wipe(cls, root: str | Path, *, lock_timeout_s: float = 600.0) -> None:
        """Delete the store at ``root`` (for ``--rebuild``), under the writer lock; other files stay."""
        root = Path(root)
        with WriterLock(root, timeout_s=lock_timeout_s).held():
            for name in (MANIFEST, DOCSTORE, f"{DOCSTORE}-wal", f"{DOCSTORE}-shm"):
                (root / name).unlink(missing_ok=True)
            shutil.rmtree(root / SEGMENTS, ignore_errors=True)
            shutil.rmtree(root / BLOBS, ignore_errors=True)

    def _migrate_legacy(self) -> None:
        """Convert a rag-app 0.1 store in this folder, once, under the writer lock."""
        if not legacy.needs_migration(self.root):
            return
        with self._writer.held():
            if not legacy.needs_migration(self.root):  # another process converted it meanwhile
                return
            old = legacy.read_and_back_up(self.root)
            self.manifest, self._created = Manifest(old.model, old.dimensions, old.chunking), False
            for f in old.files:
                with self._writing() as db:
                    self._add(
                        db, f.chunks, f.vectors, ledger=(f.source, f.sha256, len(f.chunks), f.pages, {})
                    )

    # ---- opening and staying current ---------------------------------------------------

    def _open(self) -> None:
        self._db = Docstore(self.root / DOCSTORE)
        self._refresh(force=True)

    def refresh(self) -> bool:
        """Pick up what other processes wrote (a cheap check when nothing changed). True if it changed."""
        with self._lock:
            return self._refresh()

    def _refresh(self, force: bool = False) -> bool:
        if self._db is None:
            manifest = read_manifest(self.root)
            if manifest is None:
                return False
            if self.manifest is not None and (self.manifest.model, self.manifest.dimensions) != (
                manifest.model,
                manifest.dimensions,
            ):
                manifest.check(self.manifest.model, self.manifest.dimensions, self.root)
            self.manifest, self._created = manifest, True
            self.derived.dimensions = manifest.dimensions
            self._db = Docstore(self.root / DOCSTORE)
        seen = self._db.data_version()
        if not force and seen == self._seen:
            return False
        files = SegmentFiles(self.root, self.dimensions or 1)
        for attempt in range(3):
            try:
                rows = self._db.segments()
                dead = self._db.dead()
                segments = {
                    r.id: self._segments[r.id] if r.id in self._segments else files.open(r) for r in rows
                }
                break
            except DamagedStoreError:
                # A compaction in another process may have replaced a segment between our two
                # reads: read the list again before calling the store damaged.
                if attempt == 2:
                    raise
        for sid, segment in segments.items():
            wanted = dead.get(sid, [])
            if len(wanted) != len(segment.dead):
                segment.set_dead(np.asarray(wanted, dtype=np.int64))
        self._segments = segments
        self._seen = seen
        return True

    # ---- writing ---------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Docstore]:
        """The writer lock, the store's current state, and a docstore to change."""
        with self._writer.held(self.on_wait), self._lock:
            if not self._created:
                self._create()
            self._refresh()
            assert self._db is not None
            yield self._db
            self._refresh(force=True)
            self._compact()

    def _create(self) -> None:
        manifest = read_manifest(self.root)
        if manifest is None:
            if self.manifest is None:
                raise StoreError(f"the store at {self.root} is new: say which model it is for before writing")
            self.root.mkdir(parents=True, exist_ok=True)
            write_manifest(self.root, self.manifest)
        self._created = True
        self._open()

    def add_chunks(self, chunks: Sequence[NewChunk], vectors: np.ndarray) -> int:
        """Store chunks with their unit vectors; an identical text already stored gains a holder.
        Returns how many new vectors were stored."""
        with self._writing() as db:
            return self._add(db, chunks, vectors)

    def add_file(
        self,
        source: str,
        sha256: str,
        chunks: Sequence[Document],
        vectors: np.ndarray,
        info: dict[str, Any] | None = None,
    ) -> int:
        """Index one file's chunks, replacing whatever an older version of it left, in one
        transaction: a reader sees the old version or the new one, never neither. Returns new vectors."""
        new, pages = new_chunks(source, chunks), page_count(chunks)
        ledger = (source, sha256, len(chunks), pages, info or {})
        with self._writing() as db:
            before = db.file(source)
            added = self._add(db, new, vectors, ledger=ledger)
            if before is not None and before["sha256"] != sha256:
                self._forget_original(
                    db, before["sha256"]
                )  # the replaced version's copy, unless another file has it
            return added

    def _add(
        self,
        db: Docstore,
        chunks: Sequence[NewChunk],
        vectors: np.ndarray,
        ledger: tuple[str, str, int, int | None, dict[str, Any]] | None = None,
    ) -> int:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(chunks), -1)
        if len(chunks) and vectors.shape[1] != self.dimensions:
            raise ValueError(
                f"vectors have {vectors.shape[1]} dimensions; this store holds {self.dimensions}"
            )
        keys = [text_key(c.text) for c in chunks]
        stored = db.fids_for_texts(keys)
        fresh: dict[str, int] = {}  # text key -> its first row in ``vectors``
        for row, key in enumerate(keys):
            if key not in stored and key not in fresh:
                fresh[key] = row
        first = int(db.meta("next_fid", "0"))
        fids = {key: first + n for n, key in enumerate(fresh)}
        stored.update(fids)
        segment_file = None
        if fresh:
            # Written before the transaction that names it: a crash in between leaves a file no
            # segment row names (removed by the next writer), never a row without its file.
            segment_file = SegmentFiles(self.root, self.dimensions or 1).write(
                np.fromiter(fids.values(), np.int64, len(fids)), vectors[list(fresh.values())]
            )
        with db.transaction():
            before = db.last_ref()
            # References re-added under the same (source, chunk id) replace the old ones; what
            # those pointed to may be left without a holder, so it is checked below.
            replaced = db.ref_fids([(c.source, c.chunk_id) for c in chunks])
            if segment_file is not None:
                db.set_meta("next_fid", str(first + len(fresh)))
                segment = db.add_segment(*segment_file)
                fresh_chunks = [(fids[key], chunks[row]) for key, row in fresh.items()]
                db.add_records(
                    [(fid, segment, text_key(c.text), c.text, c.context) for fid, c in fresh_chunks],
                    [(fid, " ".join(self._tokens(c.indexed))) for fid, c in fresh_chunks],
                )
            db.add_refs(
                [(c.chunk_id, stored[key], c.source, c.metadata) for c, key in zip(chunks, keys, strict=True)]
            )
            if ledger is not None:
                db.drop_refs("source = ? AND rowid <= ?", (ledger[0], before))
                db.put_file(*ledger)
            db.bury(replaced)
            db.bump_generation()
        return len(fresh)

    def delete_file(self, source: str) -> int:
        """Remove a file's chunks in one transaction; returns how many chunk references went."""
        with self._writing() as db:
            known = db.file(source)
            with db.transaction():
                removed, _ = db.drop_refs("source = ?", (source,))
                db.delete_file(source)
                if removed or known:
                    db.bump_generation()
            if known is not None:
                self._forget_original(db, known["sha256"])
            return removed

    # ---- the original files, kept for the page viewer -------------------------------------

    def keep_original(self, sha256: str, path: Path) -> None:
        """Keep a copy of an indexed file, named by its content (a file indexed twice is kept once)."""
        with self._writer.held(self.on_wait):
            Originals(self.root / BLOBS).keep(sha256, path)

    def original(self, sha256: str) -> Path | None:
        """The kept copy of a file, found by its content hash alone (never by a name or a path)."""
        return Originals(self.root / BLOBS).path(sha256)

    def _forget_original(self, db: Docstore, sha256: str) -> None:
        if db.source_with_sha(sha256) is None:
            Originals(self.root / BLOBS).forget(sha256)

    def delete_chunks(self, chunk_ids: Sequence[str]) -> int:
        with self._writing() as db, db.transaction():
            removed = 0
            for start in range(0, len(chunk_ids), 500):
                part = list(chunk_ids[start : start + 500])
                removed += db.drop_refs(f"chunk_id IN ({','.join('?' * len(part))})", tuple(part))[0]
            db.bump_generation()
            return removed

    # ---- compaction --------------------------------------------------------------------

    def compact(self, *, everything: bool = False) -> int:
        """Rewrite segments now (all of them into one with ``everything``); returns segments rewritten."""
        with self._writing():
            return self._compact(everything=everything)

    def _compact(self, *, everything: bool = False) -> int:
        assert self._db is not None
        files = SegmentFiles(self.root, self.dimensions or 1)
        if orphans := files.orphans({s.row.name for s in self._segments.values()}):
            files.remove(orphans)
        segments = list(self._segments.values())
        if everything:
            groups = [segments] if len(segments) > 1 or any(len(s.dead) for s in segments) else []
        else:
            groups = plan_compaction(segments, self.compaction)
        for group in groups:
            parts = [s.vectors() for s in group]
            fids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
            order = np.argsort(fids, kind="stable")
            vectors = (
                np.concatenate([p[1] for p in parts])[order]
                if len(fids)
                else np.zeros((0, self.dimensions or 1), np.float32)
            )
            fids = fids[order]
            new_id = None
            written = None
            if len(fids):
                written = files.write(fids, vectors)
            with self._db.transaction():
                if written is not None:
                    new_id = self._db.add_segment(*written)
                self._db.replace_segments([s.row.id for s in group], new_id)
                self._db.bump_generation()
            files.remove([s.row.name for s in group])
            self._refresh(force=True)
        return sum(len(g) for g in groups)

    # ---- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            self._refresh()
            return sum(s.live for s in self._segments.values())

    def file_state(self, source: str, sha256: str) -> str:
        """'new', 'same' (already indexed, unchanged) or 'changed' (same name, new content)."""
        known = self.file(source)
        if known is None:
            return "new"
        return "same" if known["sha256"] == sha256 else "changed"

    def file(self, source: str) -> dict[str, Any] | None:
        with self._lock:
            self._refresh()
            return self._db.file(source) if self._db else None

    def source_with_content(self, sha256: str) -> str | None:
        with self._lock:
            self._refresh()
            return self._db.source_with_sha(sha256) if self._db else None

    def list_files(self) -> list[dict[str, Any]]:
        with self._lock:
            self._refresh()
            return self._db.files() if self._db else []

    def search(self, query_vector: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` stored chunks with the highest cosine to a unit ``query_vector``."""
        return self.search_many(np.asarray(query_vector, dtype=np.float32).reshape(1, -1), k)[0]

    def search_many(self, queries: np.ndarray, k: int) -> list[list[Hit]]:
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(len(queries), -1)
        if queries.shape[1] != (self.dimensions or queries.shape[1]):
            raise ValueError(f"query has {queries.shape[1]} dimensions; this store holds {self.dimensions}")
        with self._lock:
            self._refresh()
            if k <= 0 or not self._segments:
                return [[] for _ in queries]
            scores, fids = self._top(queries, k)
            return [
                self._hits(list(zip(f.tolist(), s.tolist(), strict=True)))[:k]
                for s, f in zip(scores, fids, strict=True)
            ]

    def _top(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` (score, id) per query over every live segment; ties go to the older id."""
        live = sum(s.live for s in self._segments.values())
        segments = list(self._segments.values())
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        if live > self.exact_limit or gpu_count() > 0:
            self.derived.refresh(self._snapshot, live)
            snap = self.derived.current()
            if snap is not None:
                dead = np.concatenate(
                    [self._segments[i].dead for i in snap.segments if i in self._segments]
                    or [np.zeros(0, np.int64)]
                )
                parts.append(
                    self.derived.search(queries, k + 16, dead)
                )  # margin: stale ids are dropped below
                segments = [s for s in segments if s.row.id not in snap.segments]
        parts += [s.search(queries, k) for s in segments]
        scores = np.concatenate([p[0] for p in parts], axis=1)
        fids = np.concatenate([p[1] for p in parts], axis=1)
        scores = np.where(fids >= 0, scores, -np.inf)
        order = np.lexsort((fids, -scores), axis=1)[:, : k + 16]
        return np.take_along_axis(scores, order, 1), np.take_along_axis(fids, order, 1)

    def _snapshot(self) -> tuple[frozenset[int], np.ndarray, np.ndarray]:
        with self._lock:
            segments = dict(self._segments)
        parts = [s.vectors() for s in segments.values()]  # memory-mapped reads, off the lock
        fids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        vectors = (
            np.concatenate([p[1] for p in parts])
            if parts
            else np.zeros((0, self.dimensions or 1), np.float32)
        )
        return frozenset(segments), fids, vectors

    def _hits(self, scored: list[tuple[int, float]]) -> list[Hit]:
        """Records for ids in score order; ids without a record (deleted meanwhile) drop out."""
        assert self._db is not None
        wanted: dict[int, float] = {}  # the derived index and a segment may both hold an id
        for fid, score in scored:
            if fid >= 0 and score > -np.inf and fid not in wanted:
                wanted[fid] = score
        chunks = self._db.chunks(list(wanted))
        hits = []
        for fid, score in wanted.items():
            chunk = chunks.get(fid)
            if chunk is not None:
                hits.append(Hit(fid, float(score), chunk))
        return hits

    def hits_for(self, query_vector: np.ndarray, fids: Sequence[int]) -> list[Hit]:
        """Hits for chosen ids (found by other means, such as BM25) with their exact cosines.

        Records and vectors are read under one lock; ids deleted meanwhile are left out.
        """
        with self._lock:
            self._refresh()
            if not fids:
                return []
            vectors, found = self._vectors(fids)
            scores = vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
            by_id = dict(zip(found, scores.tolist(), strict=True))
            return self._hits([(f, by_id[f]) for f in fids if f in by_id])

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Stored chunks by chunk id, as documents (ids not stored are left out)."""
        with self._lock:
            self._refresh()
            if self._db is None:
                return []
            fids = [f for f in (self._db.fid_for_chunk(i) for i in ids) if f is not None]
            return [hit.to_document() for hit in self._hits([(f, 1.0) for f in fids])]

    def lexical(self, query: str, k: int) -> list[tuple[int, float]]:
        """(id, BM25 score) of the best ``k`` texts for ``query``, from the store's own index."""
        with self._lock:
            self._refresh()
            return self._db.lexical_top(self._tokens(query), k) if self._db else []

    def vectors_for(self, fids: Sequence[int]) -> np.ndarray:
        """The stored vectors of these ids, one row each, without reading the rest."""
        with self._lock:
            self._refresh()
            vectors, found = self._vectors(fids)
            if len(found) != len(fids):
                raise KeyError(f"{len(fids) - len(found)} of the ids are not in the store")
            return vectors

    def _vectors(self, fids: Sequence[int]) -> tuple[np.ndarray, list[int]]:
        if self._db is None or not len(fids):
            return np.zeros((0, self.dimensions or 1), np.float32), []
        where = self._db.segment_of([int(f) for f in fids])
        found = [int(f) for f in fids if int(f) in where]
        rows = [self._segments[where[f]].index.reconstruct(f) for f in found]
        return (
            np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.dimensions or 1), np.float32)
        ), found

    def sample(self, size: int, seed: int = 0) -> tuple[list[int], np.ndarray]:
        """(text length of every record, vectors of up to ``size`` random records), read together."""
        with self._lock:
            self._refresh()
            if self._db is None:
                return [], np.zeros((0, self.dimensions or 1), np.float32)
            lengths = self._db.text_lengths()
            rng = np.random.default_rng(seed)
            picked = sorted(rng.choice(len(lengths), size=min(size, len(lengths)), replace=False).tolist())
            vectors, _ = self._vectors([lengths[i][0] for i in picked])
            return [n for _, n in lengths], vectors

    def all_records(self) -> list[StoredChunk]:
        """Every stored text, in id order."""
        with self._lock:
            self._refresh()
            if self._db is None:
                return []
            ids = [fid for fid, _, _ in self._db.texts()]
            return [h.chunk for h in self._hits([(f, 0.0) for f in ids])]

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything stored, in id order."""
        _, fids, vectors = self._snapshot()
        order = np.argsort(fids)
        return fids[order], vectors[order]

    def verify_checksums(self) -> list[str]:
        """Problems found by reading every segment in full against its checksum (none: [])."""
        with self._lock:
            self._refresh()
            files = SegmentFiles(self.root, self.dimensions or 1)
            return [
                f"segment {s.row.name}: checksum mismatch"
                for s in self._segments.values()
                if not files.verify(s.row)
            ]

    def search_kind(self) -> str:
        live = len(self)
        if gpu_count() > 0 or live > self.exact_limit:
            return self.derived.kind
        return "exact (IndexFlatIP)"

    def stats(self) -> dict[str, Any]:
        """Counts and memory: bytes the index files hold beside the N x d x 4 estimate."""
        with self._lock:
            self._refresh()
            live = sum(s.live for s in self._segments.values())
            _, files = self._db.counts() if self._db else (0, 0)
            index_bytes = sum(s.row.bytes for s in self._segments.values())
            dims = self.dimensions or 0
            return {
                "vectors": live,
                "files": files,
                "dimensions": dims,
                "index_bytes": index_bytes,
                "estimate_bytes": live * dims * 4,
                "bytes_per_vector": index_bytes / live if live else 0.0,
                "segments": len(self._segments),
                "dead_vectors": sum(len(s.dead) for s in self._segments.values()),
                "search": self.search_kind(),
                "model": self.model_name,
            }
