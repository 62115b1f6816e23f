"""The indexed files themselves, kept by content hash for the page viewer: a duplicate is kept once,
and a copy goes when no file of the store has that content any more."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")


class Originals:
    """A folder of ``<sha256>`` files; names come from hashes only, never from a person or a browser."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, sha256: str, path: Path) -> None:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        target = self.folder / sha256
        if target.is_file():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{sha256}.{os.getpid()}.tmp")
        shutil.copyfile(path, tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    def path(self, sha256: str) -> Path | None:
        if not _SHA256.fullmatch(sha256):
            return None
        path = self.folder / sha256
        return path if path.is_file() else None

    def forget(self, sha256: str) -> None:
        if _SHA256.fullmatch(sha256):
            (self.folder / sha256).unlink(missing_ok=True)
