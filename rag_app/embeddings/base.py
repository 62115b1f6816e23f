"""LangChain's ``Embeddings`` methods, written once over our two array methods, so the in-process
and the served wrappers answer LangChain identically."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings


class ArrayEmbeddings(Embeddings):
    """Implement ``encode`` (unit-length float32 rows) and ``query_text``; the document and query
    methods, ours and LangChain's, follow."""

    progress: Callable[[int, int], None] | None

    def encode(
        self, texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        raise NotImplementedError

    def query_text(self, text: str) -> str:
        raise NotImplementedError

    def encode_documents(
        self, texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """Document vectors; ``progress`` defaults to the object's ``progress`` field."""
        return self.encode(texts, progress=progress or self.progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors, each query with its instruction where the model wants one."""
        return self.encode([self.query_text(t) for t in texts])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_queries([text])[0].tolist()

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        return await asyncio.to_thread(self.embed_query, text)
