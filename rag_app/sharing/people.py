"""People: a private knowledge base each, the owner's read-only library for all, and limits per person.

Used when the app is shared: each logged-in person gets a store of their own under the store root
(``people/<id>/``, ``id`` derived from the name, so no name can point anywhere else), created on first
use; the owner's library (a store built with ``rag-app ingest``) is searched alongside it and written
by nobody. Who a person is comes from the server's login, never from what a browser sends.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag_app.answer.pipeline import Answer, AnswerEvent
from rag_app.ingest.pipeline import IngestReport, InputFile, ProgressFn
from rag_app.retrieval.results import RetrievalResult
from rag_app.service import PageView, RagService
from rag_app.settings import Settings
from rag_app.store import KnowledgeStore, open_store
from rag_app.store.factory import milvus_uri
from rag_app.store.health import HealthReport


class LimitExceeded(ValueError):
    """A person asked for more than the server allows them; the message says what and how much."""


@dataclass(frozen=True)
class PersonLimits:
    files_per_upload: int = 20
    bytes_per_upload: int = 100 * 1024 * 1024
    uploads_in_flight: int = 1
    questions_per_minute: int = 20
    question_chars: int = 2000

    @classmethod
    def from_settings(cls, s: Settings) -> PersonLimits:
        return cls(
            s.limit_files_per_upload,
            s.limit_upload_mb * 1024 * 1024,
            s.limit_uploads_in_flight,
            s.limit_questions_per_minute,
            s.limit_question_chars,
        )


def person_id(user: str) -> str:
    """A folder name for a person: the same for the same name, and never a path."""
    return hashlib.sha256(user.encode()).hexdigest()[:24]


class _Usage:
    """One person's questions in the last minute and uploads running now."""

    def __init__(self) -> None:
        self.questions: deque[float] = deque()
        self.uploads = 0
        self.lock = threading.Lock()


class Person:
    """One person's view: their own knowledge base (or none, for an anonymous visitor), the library,
    and their limits. Implements ``rag_app.service.Service``."""

    def __init__(self, service: RagService, limits: PersonLimits, usage: _Usage, *, can_write: bool) -> None:
        self.service = service
        self.settings = service.settings
        self.limits = limits
        self.usage = usage
        self.can_write = can_write

    def for_user(self, user: str | None) -> Person:
        return self

    def model_info(self) -> dict[str, Any]:
        return self.service.model_info()

    def answer_backend(self) -> str:
        return self.service.answer_backend()

    # ---- limits ----------------------------------------------------------------------------

    def _question(self, question: str) -> None:
        if len(question) > self.limits.question_chars:
            raise LimitExceeded(
                f"questions are limited to {self.limits.question_chars:,} characters; "
                f"this one has {len(question):,}"
            )
        now = time.monotonic()
        with self.usage.lock:
            while self.usage.questions and now - self.usage.questions[0] > 60:
                self.usage.questions.popleft()
            if len(self.usage.questions) >= self.limits.questions_per_minute:
                wait = 60 - (now - self.usage.questions[0])
                raise LimitExceeded(
                    f"at most {self.limits.questions_per_minute} questions a minute: "
                    f"ask again in {wait:.0f} s"
                )
            self.usage.questions.append(now)

    @contextmanager
    def _upload(self, files: Sequence[InputFile]) -> Iterator[None]:
        if not self.can_write:
            raise LimitExceeded(
                "uploads are off on this server: visitors can search the owner's library only"
            )
        if len(files) > self.limits.files_per_upload:
            raise LimitExceeded(
                f"at most {self.limits.files_per_upload} files per upload; you sent {len(files)}"
            )
        size = sum(f.path.stat().st_size for f in files if f.path.is_file())
        if size > self.limits.bytes_per_upload:
            raise LimitExceeded(
                f"at most {self.limits.bytes_per_upload / 2**20:.0f} MB per upload; "
                f"you sent {size / 2**20:.1f} MB"
            )
        with self.usage.lock:
            if self.usage.uploads >= self.limits.uploads_in_flight:
                raise LimitExceeded("your previous upload is still being indexed: wait for it to finish")
            self.usage.uploads += 1
        try:
            yield
        finally:
            with self.usage.lock:
                self.usage.uploads -= 1

    # ---- what a person may do ------------------------------------------------------------

    def ingest(self, paths: Sequence[str | Path], *, progress: ProgressFn | None = None) -> IngestReport:
        raise LimitExceeded("people add documents by uploading them")

    def ingest_uploads(
        self, files: Sequence[InputFile], *, password: str | None = None, progress: ProgressFn | None = None
    ) -> IngestReport:
        with self._upload(files):
            return self.service.ingest_uploads(files, password=password, progress=progress)

    def query(self, question: str, k: int | None = None) -> RetrievalResult:
        self._question(question)
        return self.service.query(question, k)

    def stream_answer(self, question: str, k: int | None = None) -> Iterator[AnswerEvent]:
        self._question(question)
        yield from self.service.stream_answer(question, k)

    def answer(self, question: str, k: int | None = None) -> Answer:
        self._question(question)
        return self.service.answer(question, k)

    def documents(self) -> list[dict[str, Any]]:
        return self.service.documents() if self.can_write else []

    def delete(self, source: str) -> int:
        if not self.can_write:
            raise LimitExceeded("nothing to delete: visitors can search the owner's library only")
        return self.service.delete(source)

    def stats(self) -> dict[str, Any]:
        return self.service.stats()

    def health(self) -> HealthReport:
        return self.service.health()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.service.embed_queries(texts)

    def page_view(self, chunk_id: str, page: int | None = None, zoom: float = 1.0) -> PageView:
        return self.service.page_view(chunk_id, page, zoom)


class People:
    """The app's service when it is shared: ``for_user(name)`` is that person's ``Person``.

    ``name`` None (nobody logged in: a public server without accounts) gets the library, read-only.
    """

    def __init__(
        self, settings: Settings, *, library: Path | None = None, embeddings: Any = None, backend: Any = None
    ) -> None:
        self.settings = settings
        self.limits = PersonLimits.from_settings(settings)
        self._base = RagService(settings, embeddings=embeddings, backend=backend)
        self._library_dir = library
        self._people: dict[str, Person] = {}
        self._usage: dict[str | None, _Usage] = {}
        self._lock = threading.Lock()

    def library(self) -> KnowledgeStore | None:
        """The owner's library, opened read-only (the app never writes to it), refused if another model built it."""
        if self._library_dir is None:
            return None
        store = open_store(self.settings, self._base.embeddings, store_dir=self._library_dir)
        if store.manifest is None:
            raise ValueError(
                f"--library {self._library_dir}: no knowledge base there (build one with `rag-app ingest`)"
            )
        store.check_model(self._base.embeddings.resolved.name, self._base.embeddings.output_dimensions)
        return store

    def for_user(self, user: str | None) -> Person:
        with self._lock:
            if user not in self._people:
                self._people[user] = self._open(user)
            return self._people[user]

    def _open(self, user: str | None) -> Person:
        usage = self._usage.setdefault(user, _Usage())
        library = self.library()
        if user is None:
            if library is None:
                raise LimitExceeded(
                    "this server has no public library and no accounts: there is nothing to search"
                )
            settings = self.settings.model_copy(update={"store_dir": self._library_dir})
            service = RagService(settings, embeddings=self._base.embeddings, backend=self._base.backend)
            return Person(service, self.limits, usage, can_write=False)
        folder = Path(self.settings.store_dir) / "people" / person_id(user)
        # With Milvus, everyone's collections live behind the owner's URI (one Milvus Lite file, not
        # one per person), each named from the person's folder.
        settings = self.settings.model_copy(
            update={"store_dir": folder, "milvus_uri": milvus_uri(self.settings), "milvus_collection": None}
        )
        service = RagService(
            settings, embeddings=self._base.embeddings, backend=self._base.backend, library=library
        )
        return Person(service, self.limits, usage, can_write=True)

    def model_info(self) -> dict[str, Any]:
        return self._base.model_info()

    def answer_backend(self) -> str:
        return self._base.answer_backend()

    def warm_up(self) -> None:
        self._base.warm_up()
