"""load -> chunk -> embed -> store, file by file, with a progress callback and a per-file report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from loaders import LoaderError, LoadLimits, load
from rag_app.chunking import ChunkingConfig, TokenCounter, chunk_documents
from rag_app.embeddings import LocalEmbeddings
from rag_app.store import FaissStore

ProgressFn = Callable[[float, str], None]
"""Called as ``progress(fraction_done, description)``."""

Status = Literal["indexed", "skipped", "rejected"]


@dataclass
class FileOutcome:
    """What happened to one file: exactly one of indexed, skipped or rejected."""

    source: str
    status: Status
    chunks: int = 0
    pages: int | None = None
    reason: str = ""

    def line(self) -> str:
        if self.status == "indexed":
            where = f" from {_count(self.pages, 'page')}" if self.pages else ""
            extra = f" ({self.reason})" if self.reason else ""
            return f"indexed {_count(self.chunks, 'chunk')}{where}{extra}"
        return f"{self.status}: {self.reason}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def rejected(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    @property
    def indexed_chunks(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status == "indexed")

    @property
    def exit_code(self) -> int:
        """0 when every file was indexed or skipped, 2 when any was rejected (the CLI contract)."""
        return 2 if self.rejected else 0


@dataclass(frozen=True)
class InputFile:
    path: Path
    source: str  # the name shown to people and used to recognise re-uploads


def collect_files(paths: Iterable[str | Path]) -> tuple[list[InputFile], list[FileOutcome]]:
    """Expand folders (recursively, sorted, skipping hidden entries and symlinks)."""
    files: list[InputFile] = []
    missing: list[FileOutcome] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts) or child.is_symlink():
                    continue
                if child.is_file():
                    files.append(InputFile(child, relative.as_posix()))
        elif path.is_file():
            files.append(InputFile(path, path.name))
        else:
            missing.append(FileOutcome(path.name or str(path), "rejected", reason="no such file or folder"))
    return files, missing


def ingest_files(
    files: Sequence[InputFile],
    store: FaissStore,
    embeddings: LocalEmbeddings,
    counter: TokenCounter,
    config: ChunkingConfig,
    *,
    password: str | None = None,
    limits: LoadLimits | None = None,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Index each file; a bad file is reported with its reason and never stops the batch."""
    report = IngestReport()
    total = max(len(files), 1)

    def tell(done: float, text: str) -> None:
        if progress is not None:
            progress(min(done / total, 1.0), text)

    for number, item in enumerate(files):
        tell(number, f"reading {item.source}")
        outcome = _ingest_one(item, store, embeddings, counter, config, password, limits, number, tell)
        report.outcomes.append(outcome)
        tell(number + 1, f"{item.source}: {outcome.line()}")
    return report


def _ingest_one(
    item: InputFile,
    store: FaissStore,
    embeddings: LocalEmbeddings,
    counter: TokenCounter,
    config: ChunkingConfig,
    password: str | None,
    limits: LoadLimits | None,
    number: int,
    tell: Callable[[float, str], None],
) -> FileOutcome:
    try:
        documents = load(item.path, password, source=item.source, limits=limits or LoadLimits())
    except LoaderError as err:
        return FileOutcome(item.source, "rejected", reason=err.reason)
    sha256 = documents[0].metadata["sha256"]
    state = store.file_state(item.source, sha256)
    if state == "same":
        return FileOutcome(item.source, "skipped", reason="already indexed")
    twin = store.source_with_content(sha256)
    if twin is not None and twin != item.source:
        return FileOutcome(item.source, "skipped", reason=f"same content as {twin}")
    chunks = chunk_documents(documents, counter, config)
    if not chunks:
        return FileOutcome(item.source, "rejected", reason="empty: no passage long enough to index")

    def on_batch(done: int, total: int) -> None:
        tell(number + 0.1 + 0.9 * done / total, f"embedding {item.source}: {done}/{total} chunks")

    try:
        vectors = embeddings.encode_documents([c.page_content for c in chunks], progress=on_batch)
    except (RuntimeError, ValueError) as exc:
        return FileOutcome(item.source, "rejected", reason=f"embedding failed: {exc}")
    store.add_file(item.source, sha256, chunks, vectors)
    pages = documents[-1].metadata.get("page")
    notes = "; ".join(
        ["replaced the earlier version"] * (state == "changed") + documents[0].metadata.get("notes", [])
    )
    return FileOutcome(item.source, "indexed", chunks=len(chunks), pages=pages, reason=notes)
