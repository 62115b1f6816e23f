"""The vectors: append-only FAISS files, memory-mapped, searched exactly with deleted ids masked.

Each upload writes one small segment (an ``IndexIDMap2`` over an ``IndexFlatIP``) and never
touches the others, so its cost does not grow with the store. Opening maps the files instead of
reading them (``IO_FLAG_MMAP_IFC``). Deleting only records an id as dead; compaction rewrites a
segment once enough of it is dead, and merges small segments so there are never many.
"""

from __future__ import annotations

import hashlib
import math
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from rag_app.store.errors import DamagedStoreError, rebuild_advice
from rag_app.store.faiss.docstore import SegmentRow
from rag_app.store.manifest import fsync_dir

SEGMENTS = "segments"
SUFFIX = ".faiss"


@dataclass(frozen=True)
class CompactionPolicy:
    dead_share: float = 0.3
    """A segment is rewritten without its dead rows once this share of it is dead."""
    fan_in: int = 8
    """Segments of one size class (a power of ``fan_in`` rows) are merged once there are this many:
    each vector is rewritten about log(N)/log(fan_in) times in its life, and a store of N vectors
    has at most ``fan_in`` segments per size class."""


@dataclass(frozen=True, eq=False)  # compared by identity: it holds arrays
class Segment:
    """One open segment and the ids in it that are dead.

    Never changed once made: readers may be searching it while a writer moves on, so a new set of
    dead ids makes a new ``Segment`` over the same open (memory-mapped) index (``with_dead``).
    """

    row: SegmentRow
    index: faiss.Index
    dead: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    params: faiss.SearchParameters | None = None
    """Masks the dead ids; the selector must outlive every search, since FAISS keeps only a pointer."""

    @property
    def live(self) -> int:
        return self.row.rows - len(self.dead)

    def with_dead(self, dead: np.ndarray) -> Segment:
        dead = np.asarray(dead, dtype=np.int64)
        params = (
            faiss.SearchParameters(sel=faiss.IDSelectorNot(faiss.IDSelectorBatch(dead)))
            if len(dead)
            else None
        )
        return Segment(self.row, self.index, dead, params)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.live)
        if k <= 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        if self.params is None:
            return self.index.search(queries, k)
        return self.index.search(queries, k, params=self.params)

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of every live row."""
        ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        vectors = (
            self.index.index.reconstruct_n(0, self.index.ntotal)
            if len(ids)
            else np.zeros((0, self.index.d), np.float32)
        )
        keep = ~np.isin(ids, self.dead)
        return ids[keep], np.ascontiguousarray(vectors[keep], dtype=np.float32)


class SegmentFiles:
    """The ``segments/`` folder of a store."""

    def __init__(self, root: Path, dimensions: int) -> None:
        self.folder = root / SEGMENTS
        self.dimensions = dimensions

    def write(self, fids: np.ndarray, vectors: np.ndarray) -> tuple[str, int, int, str]:
        """Write one new segment durably; returns (name, rows, bytes, sha256) for the docstore."""
        self.folder.mkdir(parents=True, exist_ok=True)
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimensions))
        if len(fids):
            index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(fids, dtype=np.int64)
            )
        name = f"seg-{uuid.uuid4().hex}{SUFFIX}"
        tmp = self.folder / f".{name}.tmp"
        faiss.write_index(index, str(tmp))
        digest = hashlib.sha256()
        with tmp.open("rb") as fh:  # fresh in the page cache: hashing it costs a memory read
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
            os.fsync(fh.fileno())
        os.replace(tmp, self.folder / name)
        fsync_dir(self.folder)
        return name, len(fids), (self.folder / name).stat().st_size, digest.hexdigest()

    def open(self, row: SegmentRow) -> Segment:
        path = self.folder / row.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise DamagedStoreError(
                f"segment {row.name} is missing ({exc}); {rebuild_advice(self.folder.parent)}"
            ) from exc
        if size != row.bytes:
            raise DamagedStoreError(
                f"segment {row.name} is damaged ({size} bytes, {row.bytes} expected); "
                f"{rebuild_advice(self.folder.parent)}"
            )
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        if index.ntotal != row.rows or index.d != self.dimensions:
            raise DamagedStoreError(
                f"segment {row.name} does not hold what the docstore says; {rebuild_advice(self.folder.parent)}"
            )
        return Segment(row, index)

    def verify(self, row: SegmentRow) -> bool | None:
        """Whether the segment's file matches its checksum; None when there is no such file."""
        digest = hashlib.sha256()
        try:
            with (self.folder / row.name).open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 22), b""):
                    digest.update(block)
        except FileNotFoundError:
            return None
        return digest.hexdigest() == row.sha256

    def remove(self, names: list[str]) -> None:
        for name in names:
            (self.folder / name).unlink(missing_ok=True)

    def orphans(self, known: set[str]) -> list[str]:
        """Files no committed segment names: left by a writer killed before its commit."""
        if not self.folder.is_dir():
            return []
        return [p.name for p in self.folder.iterdir() if p.name not in known]


def size_class(rows: int, fan_in: int) -> int:
    return int(math.log(max(rows, 1), fan_in))


def plan_compaction(segments: list[Segment], policy: CompactionPolicy) -> list[list[Segment]]:
    """Groups of segments to rewrite as one each: mostly-dead ones alone, full size classes together."""
    groups: list[list[Segment]] = [
        [s] for s in segments if s.row.rows and len(s.dead) >= policy.dead_share * s.row.rows
    ]
    chosen = {id(s) for g in groups for s in g}
    by_class: dict[int, list[Segment]] = {}
    for s in segments:
        if id(s) not in chosen:
            by_class.setdefault(size_class(s.row.rows, policy.fan_in), []).append(s)
    groups += [members for members in by_class.values() if len(members) >= policy.fan_in]
    return groups
