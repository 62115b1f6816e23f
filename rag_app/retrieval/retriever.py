"""The knowledge base as a LangChain retriever (sync and async), for users' own chains."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag_app.retrieval.results import RetrievalResult
from rag_app.retrieval.searcher import Searcher


class RagRetriever(BaseRetriever):
    """A LangChain retriever returning passages whose metadata carry ``score`` (cosine), ``rank``,
    ``source``, ``page``, ``chunk_id`` and the query's ``ambiguity`` verdict."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Searcher
    k: int = Field(default=5, ge=1)

    def retrieve(self, query: str) -> RetrievalResult:
        return self.searcher.retrieve(query, self.k)

    @staticmethod
    def to_documents(result: RetrievalResult) -> list[Document]:
        verdict = asdict(result.ambiguity)
        return [
            Document(
                page_content=p.text,
                id=p.chunk_id,
                metadata={
                    "score": p.score,
                    "rank": p.rank,
                    "source": p.source,
                    "page": p.page,
                    "location": p.location,
                    "chunk_id": p.chunk_id,
                    "extractor": p.extractor,
                    "rank_score": p.rank_score,
                    "rank_by": result.rank_by,
                    "ambiguity": verdict,
                },
            )
            for p in result.passages
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.to_documents(self.retrieve(query))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.to_documents(await asyncio.to_thread(self.retrieve, query))
