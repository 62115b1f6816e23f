"""What the faces (the UI, the CLI, the HTTP and chat doors) are given: the service of whoever asks.

``RagService`` is both when nobody logs in; with people, ``rag_app.sharing.people.People`` provides a
``Person`` (a ``RagService`` with that person's limits) for each login.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rag_app.settings import Settings

if TYPE_CHECKING:
    from rag_app.answer.pipeline import Answer, AnswerEvent
    from rag_app.conversation.kept import KeptChats
    from rag_app.ingest.pipeline import IngestReport, InputFile, ProgressFn
    from rag_app.pages.view import PageView
    from rag_app.retrieval.results import RetrievalResult
    from rag_app.store.health import HealthReport


class LimitExceeded(ValueError):
    """A person asked for more than the server allows them; the message says what and how much."""


class NotAllowed(ValueError):
    """Something this person may not do on this server at all (a visitor uploading, deleting)."""


History = Sequence[Any] | None
"""The conversation so far: ``{"role": "user"|"assistant", "content": str}`` turns (or LangChain messages)."""


class ServiceProvider(Protocol):
    """What a face is given: the service of whoever is asking (``RagService`` itself when nobody logs
    in; ``rag_app.sharing.people.People`` when people do), and the models all of them share."""

    settings: Settings

    def for_user(self, user: str | None) -> Service: ...
    def model_info(self) -> dict[str, Any]: ...
    def answer_backend(self) -> str: ...
    def warm_up(self) -> None: ...


class Service(Protocol):
    """What a face may ask of one person's knowledge base."""

    settings: Settings
    chats: KeptChats | None
    """Saved chats (None where nothing is kept: a visitor)."""

    def model_info(self) -> dict[str, Any]: ...
    def answer_backend(self) -> str: ...
    def ingest(self, paths: Sequence[str | Path], *, progress: ProgressFn | None = None) -> IngestReport: ...
    def ingest_uploads(
        self, files: Sequence[InputFile], *, password: str | None = None, progress: ProgressFn | None = None
    ) -> IngestReport: ...
    def query(self, question: str, k: int | None = None, history: History = None) -> RetrievalResult: ...
    def stream_answer(
        self, question: str, k: int | None = None, history: History = None
    ) -> Iterator[AnswerEvent]: ...
    def answer(self, question: str, k: int | None = None, history: History = None) -> Answer: ...
    def documents(self) -> list[dict[str, Any]]: ...
    def delete(self, source: str) -> int: ...
    def stats(self) -> dict[str, Any]: ...
    def health(self) -> HealthReport: ...
    def example_questions(self, count: int = 4) -> list[str]: ...
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...
    def page_view(self, chunk_id: str, page: int | None = None, zoom: float = 1.0) -> PageView: ...
