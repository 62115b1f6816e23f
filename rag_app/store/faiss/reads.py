"""The store's read path: every question, listing and count, each one consistent read (``View``).

Nothing here takes a lock a writer holds: a question asked during an upload or a compaction is
answered from the last commit (see ``snapshot``). Scores are raw cosines: the vectors are unit
length and the indexes compute inner products.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from langchain_core.documents import Document

from rag_app.store.faiss.approx import gpu_count
from rag_app.store.faiss.docstore import Docstore
from rag_app.store.faiss.folder import StoreFolder
from rag_app.store.faiss.snapshot import ATTEMPTS, StoreState, View
from rag_app.store.ids import text_key
from rag_app.store.records import Hit, StoredChunk

TokensFn = Callable[[str], list[str]]


class StoreReads(StoreFolder):
    """The read half of ``SegmentStore``: each read over one ``View``."""

    exact_limit: int
    _tokens: TokensFn

    @contextmanager
    def _reading(self) -> Iterator[View | None]:
        snapshots = self._opened()
        if snapshots is None:
            yield None
            return
        with snapshots.reading() as view:
            yield view

    def _empty(self) -> np.ndarray:
        return np.zeros((0, self.dimensions or 1), np.float32)

    def refresh(self) -> bool:
        """Pick up what other processes wrote (a cheap check when nothing changed). True if it changed."""
        snapshots = self._opened()
        before = snapshots.current if snapshots else None
        with self._reading() as view:
            return view is not None and view.state is not before

    def __len__(self) -> int:
        with self._reading() as view:
            return view.state.live if view else 0

    def file_state(self, source: str, sha256: str) -> str:
        """'new', 'same' (already indexed, unchanged) or 'changed' (same name, new content)."""
        known = self.file(source)
        if known is None:
            return "new"
        return "same" if known["sha256"] == sha256 else "changed"

    def file(self, source: str) -> dict[str, Any] | None:
        with self._reading() as view:
            return view.db.file(source) if view else None

    def source_with_content(self, sha256: str) -> str | None:
        with self._reading() as view:
            return view.db.source_with_sha(sha256) if view else None

    def list_files(self) -> list[dict[str, Any]]:
        with self._reading() as view:
            return view.db.files() if view else []

    # ---- vectors ---------------------------------------------------------------------------

    def search(self, query_vector: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` stored chunks with the highest cosine to a unit ``query_vector``."""
        return self.search_many(np.asarray(query_vector, dtype=np.float32).reshape(1, -1), k)[0]

    def search_many(self, queries: np.ndarray, k: int) -> list[list[Hit]]:
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(len(queries), -1)
        if queries.shape[1] != (self.dimensions or queries.shape[1]):
            raise ValueError(f"query has {queries.shape[1]} dimensions; this store holds {self.dimensions}")
        with self._reading() as view:
            if view is None or k <= 0 or not view.state.segments:
                return [[] for _ in queries]
            scores, fids = self._top(view.state, queries, k)
            return [
                _hits(view.db, list(zip(f.tolist(), s.tolist(), strict=True)))[:k]
                for s, f in zip(scores, fids, strict=True)
            ]

    def _top(self, state: StoreState, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` (score, id) per query over every live segment; ties go to the older id."""
        live = state.live
        segments = list(state.segments.values())
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        if live > self.exact_limit or gpu_count() > 0:
            self.derived.refresh(self._snapshot, live)
            snap = self.derived.current()
            if snap is not None:
                covered = [s for s in segments if s.row.name in snap.segments]
                dead = np.concatenate([s.dead for s in covered] or [np.zeros(0, np.int64)])
                # A margin of 16: ids that died after the copy was built are dropped in ``_hits``.
                parts.append(self.derived.search(queries, k + 16, dead))
                segments = [s for s in segments if s.row.name not in snap.segments]
        parts += [s.search(queries, k) for s in segments]
        scores = np.concatenate([p[0] for p in parts], axis=1)
        fids = np.concatenate([p[1] for p in parts], axis=1)
        scores = np.where(fids >= 0, scores, -np.inf)
        order = np.lexsort((fids, -scores), axis=1)[:, : k + 16]
        return np.take_along_axis(scores, order, 1), np.take_along_axis(fids, order, 1)

    def _snapshot(self) -> tuple[frozenset[str], np.ndarray, np.ndarray]:
        """(segment names, ids, vectors) of the newest published state: what the derived index copies."""
        snapshots = self._opened()
        return self._live_vectors(snapshots.current if snapshots else None)

    def _live_vectors(self, state: StoreState | None) -> tuple[frozenset[str], np.ndarray, np.ndarray]:
        segments = list(state.segments.values()) if state else []
        parts = [s.vectors() for s in segments]  # memory-mapped reads
        fids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        vectors = np.concatenate([p[1] for p in parts]) if parts else self._empty()
        return frozenset(s.row.name for s in segments), fids, vectors

    def hits_for(self, query_vector: np.ndarray, fids: Sequence[int]) -> list[Hit]:
        """Hits for chosen ids (found by other means, such as BM25) with their exact cosines.

        Records and vectors come from one commit; ids deleted before it are left out.
        """
        with self._reading() as view:
            if view is None or not fids:
                return []
            vectors, found = self._vectors(view, fids)
            scores = vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
            by_id = dict(zip(found, scores.tolist(), strict=True))
            return _hits(view.db, [(f, by_id[f]) for f in fids if f in by_id])

    def hits_for_texts(self, query_vector: np.ndarray, texts: Sequence[str]) -> dict[str, Hit]:
        """Hits, with exact cosines, for stored texts named by their content (how a store holding a
        second model's vectors of the same chunks is joined to the first); texts not stored are left out."""
        keys = {text_key(t): t for t in texts}
        with self._reading() as view:
            if view is None or not keys:
                return {}
            fids = view.db.fids_for_texts(list(keys))
            by_fid = {fid: keys[key] for key, fid in fids.items()}
            vectors, found = self._vectors(view, list(by_fid))
            scores = vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
            hits = _hits(view.db, list(zip(found, scores.tolist(), strict=True)))
            return {by_fid[h.fid]: h for h in hits}

    def vectors_for(self, fids: Sequence[int]) -> np.ndarray:
        """The stored vectors of these ids, one row each, without reading the rest."""
        with self._reading() as view:
            vectors, found = self._vectors(view, fids) if view else (self._empty(), [])
            if len(found) != len(fids):
                raise KeyError(f"{len(fids) - len(found)} of the ids are not in the store")
            return vectors

    def _vectors(self, view: View, fids: Sequence[int]) -> tuple[np.ndarray, list[int]]:
        if not len(fids):
            return self._empty(), []
        where = view.db.segment_of([int(f) for f in fids])
        found = [int(f) for f in fids if int(f) in where]
        rows = [view.state.segments[where[f]].index.reconstruct(f) for f in found]
        return (np.stack(rows).astype(np.float32) if rows else self._empty()), found

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything stored, in id order."""
        with self._reading() as view:
            _, fids, vectors = self._live_vectors(view.state if view else None)
        order = np.argsort(fids)
        return fids[order], vectors[order]

    # ---- texts -----------------------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Stored chunks by chunk id, as documents (ids not stored are left out)."""
        with self._reading() as view:
            if view is None:
                return []
            fids = [f for f in (view.db.fid_for_chunk(i) for i in ids) if f is not None]
            return [hit.to_document() for hit in _hits(view.db, [(f, 1.0) for f in fids])]

    lexical_mode = "local BM25 (SQLite FTS5 beside the index)"
    lexical_fallback = False

    def lexical(self, query: str, k: int) -> list[tuple[int, float]]:
        """(id, BM25 score) of the best ``k`` texts for ``query``, from the store's own index."""
        with self._reading() as view:
            return view.db.lexical_top(self._tokens(query), k) if view else []

    def sample(self, size: int, seed: int = 0) -> tuple[list[int], np.ndarray]:
        """(text length of every record, vectors of up to ``size`` random records), from one commit."""
        with self._reading() as view:
            if view is None:
                return [], self._empty()
            lengths = view.db.text_lengths()
            rng = np.random.default_rng(seed)
            picked = sorted(rng.choice(len(lengths), size=min(size, len(lengths)), replace=False).tolist())
            vectors, _ = self._vectors(view, [lengths[i][0] for i in picked])
            return [n for _, n in lengths], vectors

    def all_records(self) -> list[StoredChunk]:
        """Every stored text, in id order."""
        with self._reading() as view:
            if view is None:
                return []
            ids = [fid for fid, _, _ in view.db.texts()]
            return [h.chunk for h in _hits(view.db, [(f, 0.0) for f in ids])]

    # ---- the store as a whole --------------------------------------------------------------

    def verify_checksums(self) -> list[str]:
        """Problems found by reading every segment in full against its checksum (none: [])."""
        snapshots = self._opened()
        if snapshots is None:
            return []
        verdicts: dict[str, bool | None] = {}  # by file name, so a file is read once; None: it is gone
        for _ in range(ATTEMPTS):
            with snapshots.reading() as view:
                rows = [s.row for s in view.state.segments.values()]
            for row in rows:
                if verdicts.get(row.name) is None:
                    verdicts[row.name] = snapshots.files.verify(row)
            if all(verdicts[row.name] is not None for row in rows):
                break
            # A file gone may have been compacted away after that commit: a newer one names its successor.
        return [
            f"segment {row.name}: {'file missing' if verdicts[row.name] is None else 'checksum mismatch'}"
            for row in rows
            if not verdicts[row.name]
        ]

    def search_kind(self) -> str:
        return self._kind(len(self))

    def _kind(self, live: int) -> str:
        if gpu_count() > 0 or live > self.exact_limit:
            return self.derived.kind
        return "exact (IndexFlatIP)"

    def stats(self) -> dict[str, Any]:
        """Counts and memory: bytes the index files hold beside the N x d x 4 estimate."""
        with self._reading() as view:
            segments = list(view.state.segments.values()) if view else []
            _, files = view.db.counts() if view else (0, 0)
        live = sum(s.live for s in segments)
        index_bytes = sum(s.row.bytes for s in segments)
        dims = self.dimensions or 0
        return {
            "vectors": live,
            "files": files,
            "dimensions": dims,
            "index_bytes": index_bytes,
            "estimate_bytes": live * dims * 4,
            "bytes_per_vector": index_bytes / live if live else 0.0,
            "segments": len(segments),
            "dead_vectors": sum(len(s.dead) for s in segments),
            "search": self._kind(live),
            "lexical": self.lexical_mode,
            "model": self.model_name,
        }


def _hits(db: Docstore, scored: list[tuple[int, float]]) -> list[Hit]:
    """Records for ids in score order; ids without a record (deleted meanwhile) drop out."""
    wanted: dict[int, float] = {}  # the derived index and a segment may both hold an id
    for fid, score in scored:
        if fid >= 0 and score > -np.inf and fid not in wanted:
            wanted[fid] = score
    chunks = db.chunks(list(wanted))
    return [Hit(fid, float(score), chunks[fid]) for fid, score in wanted.items() if fid in chunks]
