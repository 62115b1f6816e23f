"""People: a private knowledge base each, the owner's read-only library for all, and limits per person.

Used when the app is shared: each logged-in person gets a store of their own under the store root
(``people/<id>/``, ``id`` derived from the name, so no name can point anywhere else), created on first
use; the owner's library (a store built with ``rag-app ingest``) is searched alongside it and written
by nobody. Who a person is comes from the server's login, never from what a browser sends.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag_app.service import (
    Answer,
    AnswerEvent,
    History,
    IngestReport,
    InputFile,
    ProgressFn,
    RagService,
    RetrievalResult,
)
from rag_app.settings import Settings
from rag_app.sharing.limits import NotAllowed, PersonLimits, Usage
from rag_app.store import Companion, KnowledgeStore, milvus_uri, open_read_only, read_only_companion


def person_id(user: str) -> str:
    """A folder name for a person: the same for the same name, and never a path."""
    return hashlib.sha256(user.encode()).hexdigest()[:24]


class Person(RagService):
    """One person's service: their own knowledge base (none for an anonymous visitor), the library,
    and their limits, which hold on every door (the app, the HTTP API, MCP) since all of them ask here."""

    def __init__(
        self, settings: Settings, limits: PersonLimits, usage: Usage, *, can_write: bool, **parts: Any
    ) -> None:
        super().__init__(settings, **parts)
        self.limits = limits
        self.usage = usage
        self.can_write = can_write

    def query(self, question: str, k: int | None = None, history: History = None) -> RetrievalResult:
        self.usage.admit_question(self.limits)
        return super().query(question, k, history)

    def stream_answer(
        self, question: str, k: int | None = None, history: History = None
    ) -> Iterator[AnswerEvent]:
        self.usage.admit_question(self.limits)
        return super().stream_answer(question, k, history)

    def page_view(self, chunk_id: str, page: int | None = None, zoom: float = 1.0) -> Any:
        self.usage.admit_page(self.limits)
        return super().page_view(chunk_id, page, zoom)

    def embed_queries(self, texts: Sequence[str]) -> Any:
        self.usage.admit_question(self.limits)
        return super().embed_queries(texts)

    def answer(self, question: str, k: int | None = None, history: History = None) -> Answer:
        return super().answer(question, k, history)  # through stream_answer: admitted once

    def ingest(self, paths: Sequence[str | Path], **kwargs: Any) -> IngestReport:
        raise NotAllowed("people add documents by uploading them")

    def ingest_uploads(
        self, files: Sequence[InputFile], *, password: str | None = None, progress: ProgressFn | None = None
    ) -> IngestReport:
        if not self.can_write:
            raise NotAllowed("uploads are off on this server: visitors can search the owner's library only")
        with self.usage.admit_upload(self.limits, [f.path for f in files]):
            return super().ingest_uploads(files, password=password, progress=progress)

    def documents(self) -> list[dict[str, Any]]:
        return super().documents() if self.can_write else []

    def delete(self, source: str) -> int:
        if not self.can_write:
            raise NotAllowed("nothing to delete: visitors can search the owner's library only")
        return super().delete(source)


class People:
    """The app's service provider when it is shared: ``for_user(name)`` is that person's ``Person``.

    ``name`` None (nobody logged in: a public server without accounts) gets the library, read-only.
    """

    def __init__(
        self, settings: Settings, *, library: Path | None = None, embeddings: Any = None, backend: Any = None
    ) -> None:
        self.settings = settings
        self.limits = PersonLimits.from_settings(settings)
        self._base = RagService(settings, embeddings=embeddings, backend=backend)
        self._library_dir = library
        self._library: KnowledgeStore | None = None
        self._library_companion: Companion | None = None
        self._people: dict[str | None, Person] = {}
        self._libraries: dict[str, Person] = {}
        self._usage: dict[str | None, Usage] = {}
        self._lock = threading.Lock()

    def library(self) -> KnowledgeStore | None:
        """The owner's library, opened once for everyone, read-only."""
        if self._library is None and self._library_dir is not None:
            emb = self._base.embeddings
            self._library = open_read_only(
                self.settings, self._library_dir, emb.resolved.name, emb.output_dimensions, emb
            )
        return self._library

    def library_companion(self) -> Companion | None:
        """The library's multilingual vectors, where it has them and this app uses a second model."""
        if self._library_dir is None or self._base.companion is None:
            return None
        if self._library_companion is None:
            emb = self._base.companion.embeddings
            self._library_companion = read_only_companion(self.settings, self._library_dir, emb)
        return self._library_companion

    def for_user(self, user: str | None) -> Person:
        with self._lock:
            if user not in self._people:
                self._people[user] = self._open(user)
            return self._people[user]

    def _open(self, user: str | None) -> Person:
        usage = self._usage.setdefault(user, Usage())
        parts = {"embeddings": self._base.embeddings, "backend": self._base.backend}
        library = self.library()
        if user is None:
            if library is None:
                raise NotAllowed(
                    "this server has no public library and no accounts: there is nothing to search"
                )
            settings = self.settings.model_copy(update={"store_dir": self._library_dir})
            return Person(settings, self.limits, usage, can_write=False, **parts)
        folder = Path(self.settings.store_dir) / "people" / person_id(user)
        # With Milvus, everyone's collections live behind the owner's URI (one Milvus Lite file, not
        # one per person), each named from the person's folder.
        settings = self.settings.model_copy(
            update={"store_dir": folder, "milvus_uri": milvus_uri(self.settings), "milvus_collection": None}
        )
        return Person(
            settings,
            self.limits,
            usage,
            can_write=True,
            library=library,
            library_companion=self.library_companion(),
            **parts,
        )

    def has_library(self) -> bool:
        return self._library_dir is not None

    def library_for(self, user: str | None) -> Person:
        """The library alone, read-only, for ``user`` (within their own limits): the API's
        ``rag-app:library`` model."""
        if user is None or self._library_dir is None:
            return self.for_user(None)
        with self._lock:
            key = f"library:{user}"
            if key not in self._libraries:
                usage = self._usage.setdefault(user, Usage())
                settings = self.settings.model_copy(update={"store_dir": self._library_dir})
                parts = {"embeddings": self._base.embeddings, "backend": self._base.backend}
                self._libraries[key] = Person(settings, self.limits, usage, can_write=False, **parts)
            return self._libraries[key]

    def model_info(self) -> dict[str, Any]:
        return self._base.model_info()

    def answer_backend(self) -> str:
        return self._base.answer_backend()

    def warm_up(self) -> None:
        self._base.warm_up()
