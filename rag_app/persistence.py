"""Crash-safe store folders: each save is a new generation folder, switched to atomically.

Layout of a store directory::

    CURRENT                 name of the live generation (replaced atomically with os.replace)
    gen-<n>/manifest.json   model, dimensions, chunking, counts, sha256 of the other files
    gen-<n>/index.faiss     faiss.write_index output (vectors and their int64 ids)
    gen-<n>/docstore.json   texts and metadata (JSON, never pickle)

Any other file in the directory is ignored: nothing here unpickles anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
INDEX = "index.faiss"
DOCSTORE = "docstore.json"
FORMAT_VERSION = 1


class StoreError(RuntimeError):
    """A store cannot be used; the message says why and what to do."""


class DamagedStoreError(StoreError):
    pass


class StoreMismatchError(StoreError):
    pass


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_generation(root: Path) -> Path | None:
    pointer = root / CURRENT
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    # The pointer names a folder inside root, nothing else: refuse anything path-like.
    if not name.startswith("gen-") or "/" in name or "\\" in name or ".." in name:
        raise DamagedStoreError(f"{pointer} is damaged (it names {name!r}); rebuild the store")
    return root / name


def write_generation(
    root: Path, index_bytes: bytes, docstore: dict[str, Any], manifest: dict[str, Any]
) -> Path:
    """Write a complete new generation, then switch CURRENT to it in one atomic step."""
    root.mkdir(parents=True, exist_ok=True)
    live = current_generation(root)
    number = int(live.name.split("-")[1]) + 1 if live else 1
    target = root / f"gen-{number:06d}"
    staging = root / f".staging-{number:06d}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    docstore_bytes = json.dumps(docstore, ensure_ascii=False).encode()
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "checksums": {INDEX: sha256_bytes(index_bytes), DOCSTORE: sha256_bytes(docstore_bytes)},
    }
    _write_synced(staging / INDEX, index_bytes)
    _write_synced(staging / DOCSTORE, docstore_bytes)
    _write_synced(staging / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
    _fsync_dir(staging)
    if target.exists():  # left by a save killed after its rename but before the switch
        shutil.rmtree(target)
    os.replace(staging, target)
    pointer_tmp = root / f".{CURRENT}.{os.getpid()}.tmp"
    _write_synced(pointer_tmp, target.name.encode())
    os.replace(pointer_tmp, root / CURRENT)
    _fsync_dir(root)
    _remove_stale(root, keep=target.name)
    return target


def _remove_stale(root: Path, keep: str) -> None:
    for child in root.iterdir():
        if child.name == keep or child.name == CURRENT:
            continue
        if child.is_dir() and (child.name.startswith("gen-") or child.name.startswith(".staging-")):
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(f".{CURRENT}."):
            child.unlink(missing_ok=True)


def read_generation(root: Path) -> tuple[bytes, dict[str, Any], dict[str, Any]] | None:
    """(index bytes, docstore, manifest) of the live generation, verified; None for no store."""
    folder = current_generation(root)
    if folder is None:
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        index_bytes = (folder / INDEX).read_bytes()
        docstore_bytes = (folder / DOCSTORE).read_bytes()
    except (OSError, ValueError) as exc:
        raise DamagedStoreError(f"the store at {root} is damaged ({exc}); rebuild it with --rebuild") from exc
    checksums = manifest.get("checksums", {})
    if checksums.get(INDEX) != sha256_bytes(index_bytes) or checksums.get(DOCSTORE) != sha256_bytes(
        docstore_bytes
    ):
        raise DamagedStoreError(
            f"the store at {root} is damaged (checksum mismatch); rebuild it with `rag-app ingest --rebuild`"
        )
    if manifest.get("format_version") != FORMAT_VERSION:
        raise StoreMismatchError(
            f"the store at {root} has format {manifest.get('format_version')}; rebuild it"
        )
    return index_bytes, json.loads(docstore_bytes), manifest
