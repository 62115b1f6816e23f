"""The store's write path: one writer at a time (across threads and processes), never in a reader's way.

A write holds the writer lock, works on the writer's own SQLite connection, commits, and then
publishes the new segment list for readers (``Snapshots.catch_up``). Every change is written when
it is made, in time that does not grow with the store: there is no separate save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document

from rag_app.store.faiss.compaction import compact
from rag_app.store.faiss.docstore import Docstore
from rag_app.store.faiss.folder import StoreFolder
from rag_app.store.faiss.segments import CompactionPolicy
from rag_app.store.ids import text_key
from rag_app.store.originals import Originals
from rag_app.store.records import NewChunk, new_chunks, page_count

BLOBS = "blobs"
Ledger = tuple[str, str, int, int | None, dict[str, Any]]  # source, sha256, chunks, pages, info


class StoreWrites(StoreFolder):
    """The write half of ``SegmentStore``: adding, replacing, deleting, compacting, keeping originals."""

    compaction: CompactionPolicy
    on_wait: Callable[[str], None] | None
    _tokens: Callable[[str], list[str]]

    @contextmanager
    def _writing(self) -> Iterator[Docstore]:
        """The writer lock, the writer's docstore, and the state other processes left, caught up."""
        with self._writer.held(self.on_wait):
            if self._opened() is None:
                self._create()
            db, snapshots = self._write_db, self._snapshots
            assert db is not None and snapshots is not None
            snapshots.catch_up(db)
            yield db
            state = snapshots.catch_up(db)
            compact(db, snapshots, state, self.compaction, everything=False)

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
        with self._writing() as db:
            before = db.file(source)
            added = self._add(db, new, vectors, ledger=(source, sha256, len(chunks), pages, info or {}))
            if before is not None and before["sha256"] != sha256:
                self._forget_original(db, before["sha256"])  # the replaced version's copy, unless shared
            return added

    def _add(
        self, db: Docstore, chunks: Sequence[NewChunk], vectors: np.ndarray, ledger: Ledger | None = None
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
            assert self._snapshots is not None
            # Written before the transaction that names it: a crash in between leaves a file no
            # segment row names (removed by the next writer), never a row without its file.
            segment_file = self._snapshots.files.write(
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

    def delete_chunks(self, chunk_ids: Sequence[str]) -> int:
        with self._writing() as db, db.transaction():
            removed = 0
            for start in range(0, len(chunk_ids), 500):
                part = list(chunk_ids[start : start + 500])
                removed += db.drop_refs(f"chunk_id IN ({','.join('?' * len(part))})", tuple(part))[0]
            db.bump_generation()
            return removed

    def compact(self, *, everything: bool = False) -> int:
        """Rewrite segments now (all of them into one with ``everything``); returns segments rewritten."""
        with self._writing() as db:
            assert self._snapshots is not None
            state = self._snapshots.catch_up(db)
            return compact(db, self._snapshots, state, self.compaction, everything=everything)

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
