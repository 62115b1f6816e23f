"""A faster copy of the vectors for big stores: HNSW on the CPU, an exact index on a GPU.

It is built in a background thread from a snapshot and swapped in when ready, so queries never
wait for it: until then, and for anything added after the snapshot, search stays exact.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import faiss
import numpy as np

log = logging.getLogger(__name__)


def gpu_count() -> int:
    """GPUs FAISS can use (the ``gpu`` extra installs faiss-gpu); 0 with faiss-cpu."""
    return faiss.get_num_gpus() if hasattr(faiss, "StandardGpuResources") else 0


@dataclass
class Snapshot:
    index: faiss.Index
    segments: frozenset[str]
    """File names of the segments whose vectors the copy holds (names, unlike ids, are never reused)."""
    rows: int
    hnsw: bool


class DerivedIndex:
    """HNSW (or an exact GPU copy) over a snapshot of the store's live vectors."""

    def __init__(self, dimensions: int, *, m: int = 32, ef_search: int = 128) -> None:
        self.dimensions = dimensions
        self.m = m
        self.ef_search = ef_search
        self._current: Snapshot | None = None
        self._building = False
        self._lock = threading.Lock()
        self.ready = threading.Event()
        """Set whenever a build finishes (tests and benchmarks wait on it instead of sleeping)."""
        self.builds = 0

    @property
    def kind(self) -> str:
        if gpu_count() > 0:
            return "exact (IndexFlatIP on GPU)"
        return f"approximate (HNSW, M={self.m}, efSearch={self.ef_search})"

    def current(self) -> Snapshot | None:
        return self._current

    def refresh(
        self, snapshot: Callable[[], tuple[frozenset[str], np.ndarray, np.ndarray]], live_rows: int
    ) -> None:
        """Start a background build when there is no copy yet or it covers under 90% of the live rows."""
        current = self._current
        if current is not None and current.rows >= 0.9 * live_rows:
            return
        with self._lock:
            if self._building:
                return
            self._building = True
        threading.Thread(target=self._build, args=(snapshot,), name="derived-index", daemon=True).start()

    def build_now(self, snapshot: Callable[[], tuple[frozenset[str], np.ndarray, np.ndarray]]) -> None:
        with self._lock:
            self._building = True
        self._build(snapshot)

    def _build(self, snapshot: Callable[[], tuple[frozenset[str], np.ndarray, np.ndarray]]) -> None:
        try:
            segments, fids, vectors = snapshot()
            if gpu_count() > 0:
                inner = faiss.index_cpu_to_gpu(
                    faiss.StandardGpuResources(), 0, faiss.IndexFlatIP(self.dimensions)
                )
            else:
                inner = faiss.IndexHNSWFlat(self.dimensions, self.m, faiss.METRIC_INNER_PRODUCT)
                inner.hnsw.efConstruction = 80
            index = faiss.IndexIDMap2(inner)
            if len(fids):
                index.add_with_ids(vectors, fids)
            self._current = Snapshot(index, segments, len(fids), hnsw=gpu_count() == 0)
            self.builds += 1
            self.ready.set()
        except Exception:  # a failed build leaves exact search in charge; say why in the log
            log.exception("building the approximate index failed; search stays exact")
        finally:
            with self._lock:
                self._building = False

    def search(self, queries: np.ndarray, k: int, dead: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Search the copy, skipping ids that died after it was built."""
        snap = self._current
        assert snap is not None
        params: faiss.SearchParameters | None = None
        if snap.hnsw:
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        if len(dead):
            selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(dead))
            if params is None:
                params = faiss.SearchParameters(sel=selector)
            else:
                params.sel = selector
            return snap.index.search(queries, k, params=params)
        return (
            snap.index.search(queries, k, params=params)
            if params is not None
            else snap.index.search(queries, k)
        )
