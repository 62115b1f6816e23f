"""The store: FAISS segments for vectors, SQLite for everything else, one writer at a time.

Vectors are unit length, so the inner product FAISS computes *is* the cosine: every score this
store returns is that raw cosine in [-1, 1]. Identical texts are stored once and remember every
(source, chunk id) that holds them, so deleting one file never removes a passage another file
still holds. Every change is written when it is made, in time that does not grow with the store:
there is no separate save. Reads never wait for a write, in this process or another: they are
answered from the last commit (``snapshot``), while the write path (``writes``, ``compaction``)
works on a connection of its own.

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
import weakref
from pathlib import Path
from typing import Any

from rag_app.store.faiss import legacy
from rag_app.store.faiss.approx import DerivedIndex
from rag_app.store.faiss.docstore import DOCSTORE
from rag_app.store.faiss.folder import StoreFolder
from rag_app.store.faiss.reads import StoreReads, TokensFn
from rag_app.store.faiss.segments import SEGMENTS, CompactionPolicy
from rag_app.store.faiss.writes import BLOBS, StoreWrites
from rag_app.store.lock import WriterLock
from rag_app.store.manifest import MANIFEST, Manifest
from rag_app.text.words import tokenize

EXACT_LIMIT = 200_000


class SegmentStore(StoreReads, StoreWrites):
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
        wanted = Manifest(model_name, dimensions, chunking or {}) if model_name and dimensions else None
        derived = DerivedIndex(dimensions or 1, m=hnsw_m, ef_search=hnsw_ef_search)
        StoreFolder.__init__(self, Path(path), wanted, derived, lock_timeout_s)
        self.exact_limit = exact_limit
        self.compaction = compaction
        self._tokens = tokens
        self.on_wait = None
        """Told when a write must wait for another process's."""
        self._migrate_legacy()
        if self._opened() is not None and model_name is not None and dimensions is not None:
            self.manifest.check(model_name, dimensions, self.root)

    def check_model(self, model_name: str, dimensions: int, chunking: dict[str, Any] | None = None) -> None:
        """Refuse another model's vectors; a store not created yet adopts this model (and the
        chunking settings its manifest will record)."""
        if self._opened() is not None and self.manifest is not None:
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
            self.manifest = Manifest(old.model, old.dimensions, old.chunking)
            for f in old.files:
                with self._writing() as db:
                    self._add(
                        db, f.chunks, f.vectors, ledger=(f.source, f.sha256, len(f.chunks), f.pages, {})
                    )
