"""What a store hands back and takes in, whatever the backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document


@dataclass(frozen=True)
class Hit:
    """One search result: the stored record and its cosine to the query."""

    fid: int
    score: float
    record: dict[str, Any]

    def to_document(self) -> Document:
        return Document(
            page_content=self.record["text"],
            metadata={**self.record["metadata"], "score": self.score},
            id=self.record["chunk_id"],
        )


@dataclass(frozen=True)
class NewChunk:
    """A chunk to store: its text, what is embedded and indexed besides it, and who holds it."""

    text: str
    chunk_id: str
    source: str
    metadata: dict[str, Any]
    context: str = ""


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
