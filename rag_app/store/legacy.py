"""Stores written by rag-app 0.1 (``CURRENT`` + ``gen-*`` folders, one JSON docstore) are converted
in place the first time they are opened, so an upgrade never loses a knowledge base.

The old files are kept in ``.format-1-backup/`` until the person removes them.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import faiss
import numpy as np

from rag_app.store.errors import DamagedStoreError, rebuild_advice

if TYPE_CHECKING:
    from rag_app.store.lock import WriterLock

log = logging.getLogger(__name__)
BACKUP = ".format-1-backup"


def migrate_if_needed(root: Path, writer: WriterLock) -> None:
    if not (root / "CURRENT").is_file() or (root / "manifest.json").is_file():
        return
    with writer.held():
        if (root / "manifest.json").is_file():  # another process converted it meanwhile
            return
        _migrate(root, writer)


def _migrate(root: Path, writer: WriterLock) -> None:
    from rag_app.store.records import NewChunk
    from rag_app.store.segment_store import SegmentStore

    name = (root / "CURRENT").read_text().strip()
    if not name.startswith("gen-") or "/" in name or "\\" in name or ".." in name:
        raise DamagedStoreError(f"{root / 'CURRENT'} names {name!r}; {rebuild_advice(root)}")
    folder = root / name
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        docstore = json.loads((folder / "docstore.json").read_text())
        index = faiss.read_index(str(folder / "index.faiss"))
    except (OSError, ValueError, RuntimeError) as exc:
        raise DamagedStoreError(f"the store at {root} is damaged ({exc}); {rebuild_advice(root)}") from exc
    log.warning("converting the store at %s to the current format (old files kept in %s)", root, BACKUP)
    backup = root / BACKUP
    backup.mkdir(exist_ok=True)
    for child in list(root.iterdir()):
        if child.name != BACKUP and child.name != "LOCK":
            shutil.move(str(child), backup / child.name)
    store = SegmentStore(
        root,
        model_name=manifest["model"],
        dimensions=int(manifest["dimensions"]),
        chunking=manifest.get("chunking") or {},
    )
    store._writer = writer  # the lock this thread already holds (it is re-entrant)
    files = docstore["files"]
    by_chunk = {}
    for fid, record in docstore["records"].items():
        for source, chunk_id in record["refs"]:
            by_chunk[chunk_id] = (int(fid), source, record)
    for source, info in files.items():
        chunks, rows = [], []
        for chunk_id in info["chunk_ids"]:
            fid, _, record = by_chunk[chunk_id]
            meta = {**record["metadata"], "source": source, "chunk_id": chunk_id}
            chunks.append(NewChunk(record["text"], chunk_id, source, meta))
            rows.append(index.reconstruct(fid))
        vectors = np.stack(rows) if rows else np.zeros((0, index.d), np.float32)
        with store._writing() as db:
            store._add(
                db, chunks, vectors, ledger=(source, info["sha256"], len(chunks), info.get("pages"), {})
            )
