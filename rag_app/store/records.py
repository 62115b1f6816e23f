"""What a store hands back and takes in, whatever the backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document


@dataclass(frozen=True)
class StoredChunk:
    """A stored text as its earliest remaining holder shows it (that holder's source, page, chunk id)."""

    fid: int
    text: str
    chunk_id: str
    metadata: dict[str, Any]
    """The holder's metadata, ``chunk_id`` included."""

    def to_document(self, **extra: Any) -> Document:
        return Document(page_content=self.text, metadata={**self.metadata, **extra}, id=self.chunk_id)


@dataclass(frozen=True)
class Hit:
    """One search result: the stored chunk and its cosine to the query."""

    fid: int
    score: float
    chunk: StoredChunk

    def to_document(self) -> Document:
        return self.chunk.to_document(score=self.score)


@dataclass(frozen=True)
class NewChunk:
    """A chunk to store: its text, what is embedded and indexed besides it, and who holds it."""

    text: str
    chunk_id: str
    source: str
    metadata: dict[str, Any]
    context: str = ""

    @property
    def indexed(self) -> str:
        return indexed_text(self.text, self.context)


def indexed_text(text: str, context: str = "") -> str:
    """What is embedded and indexed for a chunk, but only ``text`` is shown: its context (the
    document's title and section heading, where the loader found them) and its text."""
    return f"{context}\n{text}" if context else text


def new_chunks(source: str, chunks: Sequence[Document]) -> list[NewChunk]:
    """A file's chunked documents as chunks to store under ``source``."""
    return [
        NewChunk(
            c.page_content, c.metadata["chunk_id"], source, dict(c.metadata), c.metadata.get("context", "")
        )
        for c in chunks
    ]


def page_count(chunks: Sequence[Document]) -> int | None:
    """How many pages a file's chunks come from (None for a file without pages)."""
    return len({c.metadata.get("page") for c in chunks} - {None}) or None
