"""Stores written by rag-app 0.1 (``CURRENT`` + ``gen-*`` folders, one JSON docstore), read so the
segment store can convert them in place the first time it opens one: an upgrade never loses a
knowledge base. The old files are kept in ``.format-1-backup/`` until the person removes them.

This module only reads the old format; ``SegmentStore`` writes the new one.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag_app.store.errors import DamagedStoreError, rebuild_advice
from rag_app.store.records import NewChunk

log = logging.getLogger(__name__)
BACKUP = ".format-1-backup"


@dataclass
class LegacyFile:
    source: str
    sha256: str
    pages: int | None
    chunks: list[NewChunk]
    vectors: np.ndarray


@dataclass
class LegacyStore:
    model: str
    dimensions: int
    chunking: dict[str, Any]
    files: Iterator[LegacyFile]


def needs_migration(root: Path) -> bool:
    return (root / "CURRENT").is_file() and not (root / "manifest.json").is_file()


def read_and_back_up(root: Path) -> LegacyStore:
    """The old store's contents; its files are moved into the backup folder first (the vectors and
    texts are read before anything moves, so a damaged old store is refused untouched)."""
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
    return LegacyStore(
        manifest["model"],
        int(manifest["dimensions"]),
        manifest.get("chunking") or {},
        _files(docstore, index),
    )


def _files(docstore: dict[str, Any], index: Any) -> Iterator[LegacyFile]:
    by_chunk = {}
    for fid, record in docstore["records"].items():
        for source, chunk_id in record["refs"]:
            by_chunk[chunk_id] = (int(fid), source, record)
    for source, info in docstore["files"].items():
        chunks, rows = [], []
        for chunk_id in info["chunk_ids"]:
            fid, _, record = by_chunk[chunk_id]
            meta = {**record["metadata"], "source": source, "chunk_id": chunk_id}
            chunks.append(NewChunk(record["text"], chunk_id, source, meta))
            rows.append(index.reconstruct(fid))
        vectors = np.stack(rows) if rows else np.zeros((0, index.d), np.float32)
        yield LegacyFile(source, info["sha256"], info.get("pages"), chunks, vectors)
