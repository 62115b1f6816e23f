"""The store's manifest: which model built it, written once when the store is created.

It is read before anything else, so a store built with another model is refused before any
model weights (or even a tokenizer) are loaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag_app.store.errors import DamagedStoreError, StoreMismatchError, rebuild_advice

MANIFEST = "manifest.json"
FORMAT_VERSION = 2


@dataclass(frozen=True)
class Manifest:
    model: str
    dimensions: int
    chunking: dict[str, Any] = field(default_factory=dict)
    normalizer: str = "l2"
    metric: str = "inner_product"
    format_version: int = FORMAT_VERSION

    def check(self, model: str, dimensions: int, root: Path) -> None:
        """Refuse to mix vectors of two models: their cosines mean nothing to each other."""
        if self.model != model or self.dimensions != dimensions:
            raise StoreMismatchError(
                f"the store at {root} was built with {self.model} ({self.dimensions} dims); "
                f"this run uses {model} ({dimensions} dims). {rebuild_advice(root).capitalize()}, "
                f"or run with --embedding-model {self.model}"
            )


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_synced(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file, fsync, rename, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def read_manifest(root: Path) -> Manifest | None:
    """The manifest of the store at ``root``, or None when there is no store there yet."""
    path = root / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise StoreMismatchError(
                f"the store at {root} has format {version}, this version reads {FORMAT_VERSION}; "
                f"{rebuild_advice(root)}"
            )
        return Manifest(
            model=str(data["model"]),
            dimensions=int(data["dimensions"]),
            chunking=dict(data.get("chunking") or {}),
            normalizer=str(data.get("normalizer", "l2")),
            metric=str(data.get("metric", "inner_product")),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DamagedStoreError(f"the store at {root} is damaged ({exc}); {rebuild_advice(root)}") from exc


def write_manifest(root: Path, manifest: Manifest) -> None:
    write_synced(root / MANIFEST, json.dumps(asdict(manifest), indent=2, ensure_ascii=False).encode())


class ManifestFacts:
    """What a store says of itself, read from its manifest (nothing until the first file is added)."""

    manifest: Manifest | None

    @property
    def model_name(self) -> str | None:
        return self.manifest.model if self.manifest else None

    @property
    def dimensions(self) -> int | None:
        return self.manifest.dimensions if self.manifest else None

    @property
    def chunking(self) -> dict[str, Any]:
        return self.manifest.chunking if self.manifest else {}
