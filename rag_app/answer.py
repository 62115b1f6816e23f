"""Turn retrieved passages into a cited answer: an LCEL chain for users, a streaming pipeline for the app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough

from prompts.answer import ANSWER_PROMPT, NO_ANSWER_TEXT
from rag_app.citations import Citation, format_passages, resolve_citations
from rag_app.extractive import extractive_answer
from rag_app.llm import Backend
from rag_app.retrieval import Passage, RetrievalResult


def documents_to_passages(documents: list[Document]) -> list[Passage]:
    return [
        Passage(
            rank=d.metadata.get("rank", i),
            score=d.metadata.get("score", 0.0),
            text=d.page_content,
            source=d.metadata.get("source"),
            page=d.metadata.get("page"),
            chunk_id=d.metadata.get("chunk_id", d.id or ""),
        )
        for i, d in enumerate(documents, start=1)
    ]


def build_answer_chain(retriever: BaseRetriever, chat_model: BaseChatModel) -> Runnable:
    """``question -> {"question", "documents", "answer"}`` as an LCEL chain.

    ``retriever`` may be ours or any LangChain retriever; ``answer`` streams with ``.stream()``.
    """
    to_prompt = RunnableLambda(
        lambda x: {
            "context": format_passages(documents_to_passages(x["documents"])),
            "question": x["question"],
        }
    )
    return RunnableParallel(question=RunnablePassthrough(), documents=retriever).assign(
        answer=to_prompt | ANSWER_PROMPT | chat_model | StrOutputParser()
    )


@dataclass
class Answer:
    text: str
    citations: list[Citation]
    backend: str
    retrieval: RetrievalResult
    notices: list[str] = field(default_factory=list)
    grounded: bool = True
    """False when the best passage scored under the model's relevance threshold."""

    def to_json(self, model: dict[str, Any]) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "backend": self.backend,
            "grounded": self.grounded,
            "notices": self.notices,
            **self.retrieval.to_json(model),
        }


AnswerEvent = tuple[str, Any]
"""("retrieval", RetrievalResult), ("token", str) or ("done", Answer)."""


def stream_answer(retrieval: RetrievalResult, backend: Backend) -> Iterator[AnswerEvent]:
    """Yields ("token", text) while the answer is generated, then ("done", Answer)."""
    passages = retrieval.passages
    notices = list(backend.notices)
    best = retrieval.best_score
    if best is None:
        yield (
            "done",
            Answer(
                "The knowledge base is empty: add documents first.",
                [],
                backend.name,
                retrieval,
                notices,
                False,
            ),
        )
        return
    if best < retrieval.thresholds.relevant:
        text = f"{NO_ANSWER_TEXT} (best match scored {best:.2f}, under {retrieval.thresholds.relevant}.)"
        yield "token", text
        yield "done", Answer(text, [], backend.name, retrieval, notices, grounded=False)
        return
    name = backend.name
    if backend.model is not None:
        pieces: list[str] = []
        try:
            context = format_passages(_context_passages(retrieval, backend.context_passages))
            prompt = backend.prompt.invoke({"context": context, "question": retrieval.query})
            for chunk in backend.model.stream(prompt):
                piece = str(chunk.content)
                pieces.append(piece)
                yield "token", piece
            raw = "".join(pieces)
        except Exception as exc:  # any failure of a backend (a server, a local model) falls back, said so
            notices.append(f"{backend.name} failed ({exc}); answered extractively instead")
            name = "extractive (no LLM)"
            raw = extractive_answer(retrieval.query, passages)
    else:
        raw = extractive_answer(retrieval.query, passages)
        yield "token", raw
    text, citations = resolve_citations(raw, passages, retrieval.query)
    yield "done", Answer(text, citations, name, retrieval, notices)


def _context_passages(retrieval: RetrievalResult, limit: int) -> list[Passage]:
    """Only passages that clear the relevance bar go to the LLM: small models copy from whatever
    they are shown, so off-topic passages turn into confident wrong answers. Numbers stay as displayed."""
    relevant = [p for p in retrieval.passages if p.score >= retrieval.thresholds.relevant]
    return sorted(relevant, key=lambda p: -p.score)[:limit] or retrieval.passages[:1]


__all__ = ["Answer", "AnswerEvent", "build_answer_chain", "stream_answer"]
