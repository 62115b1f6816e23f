"""A store folder as one process holds it: its manifest, the writer's connection, the readers' snapshots.

A folder may have no store in it yet; one appears when this process writes its first file (the
model it was told of goes into the manifest) or when another process does (its manifest is then
adopted, or refused when it names another model).
"""

from __future__ import annotations

import threading
from pathlib import Path

from rag_app.store.errors import StoreError
from rag_app.store.faiss.approx import DerivedIndex
from rag_app.store.faiss.docstore import DOCSTORE, Docstore
from rag_app.store.faiss.snapshot import Snapshots
from rag_app.store.lock import WriterLock
from rag_app.store.manifest import Manifest, ManifestFacts, read_manifest, write_manifest


class StoreFolder(ManifestFacts):
    """Opening the store in ``root``, once, by whichever comes first: a reader, a writer or ``__init__``."""

    def __init__(
        self, root: Path, manifest: Manifest | None, derived: DerivedIndex, lock_timeout_s: float
    ) -> None:
        self.root = root
        self.manifest = manifest
        """This store's; until there is a store in the folder, the one a first write will create it with."""
        self.derived = derived
        self._writer = WriterLock(root, timeout_s=lock_timeout_s)
        self._write_db: Docstore | None = None
        """The writer's own connection, used only under the writer lock."""
        self._snapshots: Snapshots | None = None
        self._open_lock = threading.Lock()  # held only while the store is being opened, once

    @property
    def path(self) -> Path:
        return self.root

    def _opened(self) -> Snapshots | None:
        """The store's snapshots, opening a store another process created since; None while there is none."""
        if self._snapshots is not None:
            return self._snapshots
        with self._open_lock:
            if self._snapshots is None:
                manifest = read_manifest(self.root)
                if manifest is None:
                    return None
                if self.manifest is not None:
                    manifest.check(self.manifest.model, self.manifest.dimensions, self.root)
                self.manifest = manifest
                self._open()
        return self._snapshots

    def _create(self) -> None:
        """Write the manifest of a new store (the writer lock is held) and open it."""
        with self._open_lock:
            if self.manifest is None:
                raise StoreError(f"the store at {self.root} is new: say which model it is for before writing")
            self.root.mkdir(parents=True, exist_ok=True)
            write_manifest(self.root, self.manifest)
            self._open()

    def _open(self) -> None:
        assert self.manifest is not None
        self.derived.dimensions = self.manifest.dimensions
        self._write_db = Docstore(self.root / DOCSTORE)  # creates the tables of a new store
        snapshots = Snapshots(self.root, self.manifest.dimensions)
        with snapshots.reading():  # maps the segments now: a damaged store is refused when opened
            pass
        self._snapshots = snapshots  # last: readers take it as open
