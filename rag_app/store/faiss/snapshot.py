"""What a reader sees: one commit of the docstore and the segments of that same commit.

Readers never wait for a writer, in this process or another. Each read borrows a SQLite connection
of its own and reads inside one read transaction (WAL: it sees the last commit before it began,
never a writer's uncommitted rows, and takes no lock a writer needs). The segments it searches come
from a ``StoreState``, which is never changed once published: after each commit the writer builds a
new one (reusing the open, memory-mapped segments; a new ``Segment`` wherever the dead ids changed)
and publishes it with one assignment under a lock held for nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from rag_app.store.errors import DamagedStoreError
from rag_app.store.faiss.docstore import DOCSTORE, Docstore
from rag_app.store.faiss.segments import Segment, SegmentFiles

ATTEMPTS = 3
IDLE_READERS = 8


@dataclass(frozen=True)
class StoreState:
    """The segments of one commit, by segment id."""

    generation: int
    """The docstore's generation they were read at (-1: nothing read yet)."""
    segments: Mapping[int, Segment]

    @property
    def live(self) -> int:
        return sum(s.live for s in self.segments.values())


NOTHING_READ = StoreState(-1, MappingProxyType({}))


@dataclass(frozen=True)
class View:
    """One consistent read: a docstore connection inside a read transaction, and its commit's segments."""

    db: Docstore
    state: StoreState


class ReaderPool:
    """Read-only connections, one per read in progress, kept for the next read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._idle: list[Docstore] = []
        self._lock = threading.Lock()  # guards the idle list only, never a query

    @contextmanager
    def borrow(self) -> Iterator[Docstore]:
        with self._lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = Docstore(self.path, read_only=True)
        try:
            yield db
        finally:
            with self._lock:
                kept = len(self._idle) < IDLE_READERS
                if kept:
                    self._idle.append(db)
            if not kept:
                db.close()


class Snapshots:
    """The published state of one store folder, and reads that pair it with their commit."""

    def __init__(self, root: Path, dimensions: int) -> None:
        self.files = SegmentFiles(root, dimensions)
        self._pool = ReaderPool(root / DOCSTORE)
        self._state = NOTHING_READ
        self._lock = threading.Lock()  # held to compare and swap the published state, nothing longer

    @property
    def current(self) -> StoreState:
        """The newest state published (it may trail a commit another process made since)."""
        return self._state

    @contextmanager
    def reading(self) -> Iterator[View]:
        """A read of the last commit, with that commit's segments."""
        for attempt in range(ATTEMPTS):
            with self._pool.borrow() as db, db.reading():
                # Taken before the transaction's first query, so that query sees this commit or a later one.
                base = self._state
                generation = db.generation()
                if generation == base.generation:
                    state = base
                else:  # another process wrote, or this one's writer committed a moment ago
                    try:
                        state = self._load(db, generation, base)
                    except DamagedStoreError:
                        # A compaction (here or in another process) may have removed a segment this
                        # commit names after it committed: read the newer commit before calling the
                        # store damaged.
                        if attempt == ATTEMPTS - 1:
                            raise
                        continue
                    self._publish(state)
                yield View(db, state)
                return

    def catch_up(self, db: Docstore) -> StoreState:
        """Publish the state of what ``db`` sees now: the writer calls this, under the writer lock,
        after each commit (and before writing, for what other processes wrote)."""
        with db.reading():
            generation = db.generation()
            base = self._state
            state = base if generation == base.generation else self._load(db, generation, base)
        self._publish(state)
        return state

    def _load(self, db: Docstore, generation: int, base: StoreState) -> StoreState:
        dead = db.dead()
        segments: dict[int, Segment] = {}
        for row in db.segments():
            segment = base.segments.get(row.id)
            # SQLite may give a new segment the id of one removed meanwhile: reuse only the same file.
            if segment is None or segment.row != row:
                segment = self.files.open(row)
            wanted = dead.get(row.id, [])
            if len(wanted) != len(segment.dead):  # a segment's dead ids only ever grow
                segment = segment.with_dead(np.asarray(wanted, dtype=np.int64))
            segments[row.id] = segment
        return StoreState(generation, MappingProxyType(segments))

    def _publish(self, state: StoreState) -> None:
        with self._lock:
            if state.generation > self._state.generation:  # never step back to an older commit
                self._state = state
