"""The app's answer, conversation included, as an LCEL runnable for users' own LangChain chains."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from rag_app.answer.llm import AnswerBackend
from rag_app.answer.pipeline import MAX_QUESTION_CHARS, AnswerPipeline, checked_question
from rag_app.conversation.resolve import checked_history
from rag_app.conversation.turn import stream_turn
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
    """``question`` or ``{"question", "chat_history"}`` -> ``{"question", "documents", "answer", "citations",
    "grounded", "unsupported", "refused", "low_confidence", "clarifying", "searched_for"}``.

    ``chat_history``: LangChain messages or ``{"role", "content"}`` dicts, oldest first. With our
    ``RagRetriever`` this is the app's own turn (``rag_app.conversation.turn``): the same follow-up
    handling, gate and thresholds; with another retriever, its documents' ``score`` metadata (cosines)
    if they carry one, and the question alone.
    """
    vectors = None
    if isinstance(retriever, RagRetriever):
        vectors = retriever.searcher.embeddings.encode_documents
    pipeline = AnswerPipeline(backend, sentence_vectors=vectors)

    def run(request: str | dict[str, Any]) -> dict[str, Any]:
        question = request if isinstance(request, str) else request.get("question", "")
        history = checked_history(None if isinstance(request, str) else request.get("chat_history"))
        if isinstance(retriever, RagRetriever):
            events = stream_turn(
                retriever.searcher, pipeline, question, history, retriever.k, max_question_chars
            )
            answer = next(value for kind, value in events if kind == "done")
        else:
            question = checked_question(question, max_question_chars)
            passages = documents_to_passages(retriever.invoke(question))
            verdict = ambiguity_verdict([p.score for p in passages], UNKNOWN.ambiguity_gap)
            answer = pipeline.answer(RetrievalResult(question, passages, verdict, UNKNOWN, None))
        retrieval = answer.retrieval
        return {
            "question": retrieval.query,
            "documents": RagRetriever.to_documents(retrieval),
            "answer": answer.text,
            "citations": [c.to_json() for c in answer.citations],
            "grounded": answer.grounded,
            "unsupported": answer.unsupported,
            "refused": answer.refused,
            "low_confidence": answer.low_confidence,
            "clarifying": answer.clarifying,
            "searched_for": retrieval.searched_for,
        }

    return RunnableLambda(run, name="rag_app_answer")
