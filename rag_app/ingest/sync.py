"""Folders kept in step with a store: what to add, replace and remove so the store holds exactly each
synced folder's current files, and never a file of another folder.

A synced file's source is its path under the folder, after the folder's key ("notes/2024/plan.docx");
the key and the folder's root live in the store folder's sync record (``sync.json``, replaced
atomically), and the key is written into each file's ledger entry (``origin``) in the same
transaction as its chunks. So what a sync owns is known from the store alone: a sync that was killed
half-way has committed whole files only, and the next one compares the folder with the store again
and finishes the job. Two folders of the same name get different keys ("notes", "notes-2").
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag_app.ingest.pipeline import InputFile

SYNC_RECORD = "sync.json"
# Editors' and browsers' files of the moment (vim's swap files and backups, partial downloads): never
# a document, often gone a second later.
TEMPORARY = (".swp", ".swx", ".swo", "~", ".tmp", ".part", ".crdownload")


@dataclass(frozen=True)
class SyncedFolder:
    key: str
    """The prefix of the folder's sources and its ``origin`` in the store's ledger."""
    root: Path


@dataclass
class SyncPlan:
    files: list[InputFile]
    """Every current file of the folder (unchanged ones are skipped by their hash when ingested)."""
    gone: list[str]
    """Sources the folder gave the store that it no longer has."""


def register(store_dir: Path, folder: Path) -> SyncedFolder:
    """The folder's entry in the store's sync record, added the first time the folder is synced."""
    root = folder.resolve()
    if not root.is_dir():
        raise ValueError(f"{folder}: no such folder")
    record = read_record(store_dir)
    for key, known in record.items():
        if Path(known) == root:
            return SyncedFolder(key, root)
    base = root.name or "folder"
    key, number = base, 2
    while key in record:
        key, number = f"{base}-{number}", number + 1
    record[key] = str(root)
    _write_record(store_dir, record)
    return SyncedFolder(key, root)


def read_record(store_dir: Path) -> dict[str, str]:
    """Key -> folder root of every folder synced into the store (empty when none was)."""
    path = Path(store_dir) / SYNC_RECORD
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("folders", {}))


def _write_record(store_dir: Path, record: dict[str, str]) -> None:
    store_dir = Path(store_dir)
    store_dir.mkdir(parents=True, exist_ok=True)
    temporary = store_dir / f".{SYNC_RECORD}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump({"folders": record}, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, store_dir / SYNC_RECORD)  # a reader sees the old record or the new, never half


def folder_files(folder: SyncedFolder) -> list[InputFile]:
    """The folder's files, recursively and sorted; hidden entries, symlinks and temporary files left out."""
    files = []
    for child in sorted(folder.root.rglob("*")):
        relative = child.relative_to(folder.root)
        if any(part.startswith(".") for part in relative.parts) or child.is_symlink():
            continue
        if child.name.endswith(TEMPORARY) or not child.is_file():
            continue
        files.append(InputFile(child, f"{folder.key}/{relative.as_posix()}", origin=folder.key))
    return files


def plan(folder: SyncedFolder, ledger: list[dict[str, Any]]) -> SyncPlan:
    """What to do for ``folder``, given the store's ledger (``list_files()``)."""
    files = folder_files(folder)
    present = {f.source for f in files}
    owned = [entry["source"] for entry in ledger if entry.get("origin") == folder.key]
    return SyncPlan(files, sorted(source for source in owned if source not in present))
