"""load -> chunk -> embed -> store, file by file, with a progress callback and a per-file report.

While one file's chunks are embedded, the next file is already hashed, parsed (in its sandboxed
worker) and chunked in a second thread: parsing waits on a child process and chunking on a
tokenizer, so the two overlap with the embedding instead of adding to it.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.documents import Document

from loaders import LoaderError, LoadLimits, file_sha256, load
from rag_app.embeddings.served import EmbeddingServerError
from rag_app.embeddings.tokens import TokenCounter
from rag_app.ingest.chunking import ChunkingConfig, chunk_documents
from rag_app.pages.locate import locate_on_pages
from rag_app.store import Companion, KnowledgeStore, StoreUnavailableError
from rag_app.store.records import indexed_text

ProgressFn = Callable[[float, str], None]
"""Called as ``progress(fraction_done, description)``."""

Status = Literal["indexed", "skipped", "rejected", "removed"]
STAGES = ("hash", "load", "chunk", "embed", "store")

if TYPE_CHECKING:
    from rag_app.embeddings.local import AppEmbeddings


@dataclass
class FileOutcome:
    """What happened to one file: exactly one of indexed, skipped or rejected (or, in a folder sync,
    removed: the folder no longer has it)."""

    source: str
    status: Status
    chunks: int = 0
    pages: int | None = None
    reason: str = ""
    extractors: dict[str, int] = field(default_factory=dict)
    """Pages read by each engine (pdfium, pypdf, pdfminer, ocr)."""
    unreadable_pages: list[list[Any]] = field(default_factory=list)
    """[page, reason] of each page that could not be read (the rest of the file is indexed)."""
    page_unit: str = "page"
    """What the file's pages are: "page", or "slide" for a presentation."""

    def line(self) -> str:
        if self.status == "indexed":
            where = f" from {_count(self.pages, self.page_unit)}" if self.pages else ""
            engines = ", ".join(
                f"{name} {n}" if len(self.extractors) > 1 else name for name, n in self.extractors.items()
            )
            read_by = f" (read by {engines})" if engines else ""
            extra = f"; {self.reason}" if self.reason else ""
            return f"indexed {_count(self.chunks, 'chunk')}{where}{read_by}{extra}"
        return f"{self.status}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    """Time spent in each stage, summed over files (hashing, parsing and chunking overlap embedding)."""

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
    origin: str | None = None
    """The synced folder the file belongs to (its key in the store's sync record); None otherwise."""


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


@dataclass
class _Prepared:
    """A file read and chunked, ready to embed (or already decided)."""

    item: InputFile
    sha256: str = ""
    outcome: FileOutcome | None = None
    documents: list[Document] = field(default_factory=list)
    chunks: list[Document] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class IngestPipeline:
    """The ingest pipeline for one store and model; one instance per batch of files."""

    def __init__(
        self,
        store: KnowledgeStore,
        embeddings: AppEmbeddings,
        counter: TokenCounter,
        config: ChunkingConfig,
        *,
        password: str | None = None,
        limits: LoadLimits | None = None,
        ocr: bool = True,
        progress: ProgressFn | None = None,
        on_outcome: Callable[[FileOutcome], None] | None = None,
        companion: Companion | None = None,
    ) -> None:
        """``on_outcome`` hears of each file as soon as it ends (committed, skipped or rejected);
        ``companion``: a second model whose vectors of the same chunks are stored beside (see
        ``rag_app.store.companion``)."""
        self.companion = companion
        self.store = store
        self.embeddings = embeddings
        self.counter = counter
        self.config = config
        self.password = password
        self.limits = limits or LoadLimits()
        self.ocr = ocr
        self.progress = progress
        self.on_outcome = on_outcome
        self._server_down: str | None = None
        self._store_down: str | None = None

    def run(self, files: Sequence[InputFile]) -> IngestReport:
        """Index each file; a bad file is reported with its reason and never stops the batch."""
        report = IngestReport()
        total = max(len(files), 1)
        with ThreadPoolExecutor(1, thread_name_prefix="ingest-prepare") as ahead:

            def prepare(item: InputFile) -> Future[_Prepared]:
                # The caller's context goes along: a web framework's progress reporting lives there.
                return ahead.submit(contextvars.copy_context().run, self._prepare, item)

            upcoming = prepare(files[0]) if files else None
            for number, item in enumerate(files):
                self._tell(number / total, f"reading {item.source}")
                assert upcoming is not None
                current, upcoming = upcoming, prepare(files[number + 1]) if number + 1 < len(files) else None
                prepared, outcome = self._stored(current, item, number, total)
                for stage, seconds in prepared.seconds.items():
                    report.seconds[stage] += seconds
                report.outcomes.append(outcome)
                if self.on_outcome is not None:
                    self.on_outcome(outcome)
                self._tell((number + 1) / total, f"{item.source}: {outcome.line()}")
        return report

    def _stored(
        self, future: Future[_Prepared], item: InputFile, number: int, total: int
    ) -> tuple[_Prepared, FileOutcome]:
        """A store that stopped answering (a Milvus server gone) rejects the file in flight and every
        one after it at once, each said so: a file is committed whole or not at all, so a re-run
        indexes exactly the files rejected here."""
        try:
            prepared = future.result()
            if prepared.outcome is not None:
                return prepared, prepared.outcome
            if self._store_down is None:
                return prepared, self._store(prepared, number, total)
        except StoreUnavailableError as exc:
            self._store_down = self._store_down or str(exc)
            prepared = _Prepared(item)
        return prepared, FileOutcome(item.source, "rejected", reason=f"not stored: {self._store_down}")

    _fraction = 0.0

    def _tell(self, fraction: float, text: str) -> None:
        self._fraction = fraction
        if self.progress is not None:
            self.progress(min(fraction, 1.0), text)

    def _prepare(self, item: InputFile) -> _Prepared:
        """Hash first (an unchanged file is skipped without being parsed), then parse and chunk."""
        out = _Prepared(item)
        started = time.perf_counter()
        try:
            out.sha256 = file_sha256(item.path)
        except OSError as exc:
            out.outcome = FileOutcome(
                item.source, "rejected", reason=f"cannot read the file: {exc.strerror or exc}"
            )
            return out
        out.seconds["hash"] = time.perf_counter() - started
        if (skip := self._skip_reason(item.source, out.sha256)) is not None:
            out.outcome = FileOutcome(item.source, "skipped", reason=skip)
            return out
        started = time.perf_counter()

        def on_page(page: int, pages: int, what: str) -> None:
            # Only OCR is slow enough to be worth a word per page (seconds each on a CPU).
            if what == "ocr":
                self._tell(self._fraction, f"reading {item.source}: OCR page {page} of {pages}")

        try:
            out.documents = load(
                item.path,
                self.password,
                source=item.source,
                limits=self.limits,
                sha256=out.sha256,
                ocr=self.ocr,
                progress=on_page,
            )
        except LoaderError as err:
            out.outcome = FileOutcome(item.source, "rejected", reason=err.reason)
            return out
        finally:
            out.seconds["load"] = time.perf_counter() - started
        started = time.perf_counter()
        out.chunks = chunk_documents(out.documents, self.counter, self.config)
        if out.documents and out.documents[0].metadata.get("file_type") == "pdf":
            locate_on_pages(item.path, self.password, out.documents, out.chunks, self.limits)
        out.seconds["chunk"] = time.perf_counter() - started
        if not out.chunks:
            out.outcome = FileOutcome(
                item.source, "rejected", reason="empty: no passage long enough to index"
            )
        return out

    def _skip_reason(self, source: str, sha256: str) -> str | None:
        if self.store.file_state(source, sha256) == "same":
            if self.companion is not None and self.companion.missing(source, sha256):
                return None  # indexed, but not yet for the second model: read it again for that
            return "already indexed"
        twin = self.store.source_with_content(sha256)
        if twin is not None and twin != source:
            return f"same content as {twin}"
        return None

    def _store(self, prepared: _Prepared, number: int, total: int) -> FileOutcome:
        item, chunks = prepared.item, prepared.chunks
        # Checked again: the file before this one may have been its twin, stored after we looked.
        if (skip := self._skip_reason(item.source, prepared.sha256)) is not None:
            return FileOutcome(item.source, "skipped", reason=skip)
        state = self.store.file_state(item.source, prepared.sha256)
        replacing = state == "changed"
        if state == "same":  # only the second model's vectors are missing (a store from before it)
            return self._add_to_companion(prepared, [], started=time.perf_counter(), outcome=None)

        def on_batch(done: int, count: int) -> None:
            self._tell(
                (number + 0.1 + 0.9 * done / count) / total, f"embedding {item.source}: {done}/{count} chunks"
            )

        if self._server_down is not None:  # retrying a server that just failed would only add waiting
            return FileOutcome(item.source, "rejected", reason=f"not embedded: {self._server_down}")
        started = time.perf_counter()
        try:
            vectors = self.embeddings.encode_documents(
                [indexed_text(c.page_content, c.metadata.get("context", "")) for c in chunks],
                progress=on_batch,
            )
        except EmbeddingServerError as exc:
            self._server_down = str(exc)
            return FileOutcome(item.source, "rejected", reason=f"embedding failed: {exc}")
        except (RuntimeError, ValueError) as exc:
            return FileOutcome(item.source, "rejected", reason=f"embedding failed: {exc}")
        prepared.seconds["embed"] = time.perf_counter() - started
        started = time.perf_counter()
        first = prepared.documents[0].metadata
        outcome = FileOutcome(
            item.source,
            "indexed",
            chunks=len(chunks),
            pages=first.get("total_pages"),
            reason="; ".join(["replaced the earlier version"] * replacing + first.get("notes", [])),
            extractors=first.get("extractors", {}),
            unreadable_pages=first.get("unreadable_pages", []),
            page_unit=first.get("page_unit", "page"),
        )
        info = {
            "file_type": first.get("file_type"),
            "extractors": outcome.extractors,
            "unreadable_pages": outcome.unreadable_pages,
        }
        if item.origin is not None:  # committed with the file's chunks: a sync knows what it owns
            info["origin"] = item.origin
        self.store.keep_original(prepared.sha256, item.path)
        self.store.add_file(item.source, prepared.sha256, chunks, vectors, info=info)
        prepared.seconds["store"] = time.perf_counter() - started
        return self._add_to_companion(prepared, info, started=time.perf_counter(), outcome=outcome)

    def _add_to_companion(
        self, prepared: _Prepared, info: dict[str, Any] | list, *, started: float, outcome: FileOutcome | None
    ) -> FileOutcome:
        """The same chunks embedded by the second model, into its store (after the first: a crash in
        between leaves the second behind, and the next ingest fills it in)."""
        item, chunks = prepared.item, prepared.chunks
        if outcome is None:
            outcome = FileOutcome(
                item.source, "indexed", chunks=len(chunks), reason="added the multilingual vectors"
            )
        if self.companion is None:
            return outcome
        try:
            vectors = self.companion.embeddings.encode_documents(
                [indexed_text(c.page_content, c.metadata.get("context", "")) for c in chunks]
            )
        except (RuntimeError, ValueError) as exc:
            outcome.reason = "; ".join(filter(None, [outcome.reason, f"no multilingual vectors ({exc})"]))
            return outcome
        self.companion.store.add_file(item.source, prepared.sha256, chunks, vectors, info=info or {})
        prepared.seconds["embed"] = prepared.seconds.get("embed", 0.0) + time.perf_counter() - started
        return outcome
