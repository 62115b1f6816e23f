"""The answer pipeline as an LCEL runnable, for users' own LangChain chains."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from rag_app.answer.llm import AnswerBackend
from rag_app.answer.pipeline import MAX_QUESTION_CHARS, AnswerPipeline, checked_question
from rag_app.retrieval.results import Passage, RetrievalResult, ambiguity_verdict
from rag_app.retrieval.retriever import RagRetriever
from rag_app.retrieval.thresholds import UNKNOWN


def documents_to_passages(documents: list[Document]) -> list[Passage]:
    return [
        Passage(
            rank=d.metadata.get("rank", i),
            score=d.metadata.get("score", 0.0),
            text=d.page_content,
            source=d.metadata.get("source"),
            page=d.metadata.get("page"),
            chunk_id=d.metadata.get("chunk_id", d.id or ""),
            extractor=d.metadata.get("extractor"),
            location=d.metadata.get("location"),
        )
        for i, d in enumerate(documents, start=1)
    ]


def build_answer_chain(
    retriever: BaseRetriever, backend: AnswerBackend, *, max_question_chars: int = MAX_QUESTION_CHARS
) -> Runnable:
    """``question -> {"question", "documents", "answer", "citations", "grounded", "unsupported", "refused"}``.

    The same pipeline as the app and `rag-app ask`: with our ``RagRetriever`` the same relevance gate and
    thresholds; with another retriever, its documents' ``score`` metadata (cosines) if they carry one.
    """
    pipeline = AnswerPipeline(backend)

    def run(question: str) -> dict[str, Any]:
        question = checked_question(question, max_question_chars)
        if isinstance(retriever, RagRetriever):
            retrieval = retriever.retrieve(question)
        else:
            passages = documents_to_passages(retriever.invoke(question))
            verdict = ambiguity_verdict([p.score for p in passages], UNKNOWN.ambiguity_gap)
            retrieval = RetrievalResult(question, passages, verdict, UNKNOWN, None)
        answer = pipeline.answer(retrieval)
        return {
            "question": question,
            "documents": RagRetriever.to_documents(retrieval),
            "answer": answer.text,
            "citations": [c.to_json() for c in answer.citations],
            "grounded": answer.grounded,
            "unsupported": answer.unsupported,
            "refused": answer.refused,
        }

    return RunnableLambda(run, name="rag_app_answer")
