"""One answer pipeline for every door (the app, `rag-app ask`, the LCEL chain users plug in):
relevance gate, context, generation, citations, and a check of every sentence against its passage.

What a model writes is never shown as fact unless the passage it cites supports it: unsupported
sentences are left out of the answer and listed in ``Answer.unsupported``; when nothing is left,
the answer is made of the passages' own sentences, and says so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prompts.answer import NO_ANSWER_TEXT
from rag_app.answer.citations import Citation, citations_for, format_passages
from rag_app.answer.extractive import (
    ScoredUnit,
    SentenceVectors,
    choose,
    quotable_passages,
    score_units,
)
from rag_app.answer.gate import judge
from rag_app.answer.llm import AnswerBackend
from rag_app.answer.support import CITATION_MARKER, SentenceCheck, check_answer, check_sentence
from rag_app.retrieval.results import Passage, RetrievalResult
from rag_app.text.prose import non_prose_reason
from rag_app.text.urls import redact_text

AnswerEvent = tuple[str, Any]
"""("retrieval", RetrievalResult), ("token", str) while a model writes its draft, or ("done", Answer)."""

MAX_QUESTION_CHARS = 2000
"""The default limit on a question's length (``Settings.limit_question_chars``)."""


def checked_question(question: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """The question without outer spaces; an empty one or one over ``limit`` characters is refused
    (never silently cut: a cut question is answered as a different question)."""
    question = question.strip()
    if not question:
        raise ValueError("Type a question first.")
    if len(question) > limit:
        raise ValueError(f"questions are limited to {limit:,} characters; this one has {len(question):,}")
    return question


UNVERIFIED_NOTICE = (
    "The model's answer could not be checked against the passages, so the passages' own sentences are shown."
)


@dataclass
class Answer:
    text: str
    citations: list[Citation]
    backend: str
    retrieval: RetrievalResult
    notices: list[str] = field(default_factory=list)
    grounded: bool = True
    """True only when every sentence shown as fact is supported by the passage it cites."""
    unsupported: list[str] = field(default_factory=list)
    """Sentences the model wrote that no passage supports: left out of ``text``."""
    refused: bool = False
    """Nothing relevant was found (see ``rag_app.answer.gate``)."""
    low_confidence: bool = False
    """Answered, but the closest passages may not answer the question; ``confidence`` says why."""
    confidence: str = ""
    clarifying: bool = False
    """``text`` is a question back: the question refers to something nothing in the conversation ties down."""

    def to_json(self, model: dict[str, Any]) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "backend": self.backend,
            "grounded": self.grounded,
            "refused": self.refused,
            "low_confidence": self.low_confidence,
            "confidence": self.confidence,
            "clarifying": self.clarifying,
            "unsupported": self.unsupported,
            "notices": self.notices,
            **self.retrieval.to_json(model),
        }


@dataclass
class AnswerPipeline:
    backend: AnswerBackend
    sentence_vectors: SentenceVectors | None = None
    """The embedding model's document vectors, for scoring sentences by meaning (None: by words only)."""
    time_limit_s: float = 120.0
    """A model still writing after this long is stopped; what it wrote is checked like any answer."""

    def stream(self, retrieval: RetrievalResult) -> Iterator[AnswerEvent]:
        """("token", draft text) while a model writes, then ("done", Answer)."""
        backend, notices = self.backend, list(self.backend.notices)
        # The retrieval's own model scores sentences (the multilingual one for a Chinese question);
        # ``sentence_vectors`` None turns scoring by meaning off (a 4B model on a CPU).
        vectors = (retrieval.sentence_vectors or self.sentence_vectors) if self.sentence_vectors else None
        scored = score_units(retrieval.query, retrieval, vectors)
        verdict = judge(retrieval, scored[0] if scored else None)
        if verdict.state == "refused":
            text = verdict.reason if not retrieval.passages else f"{NO_ANSWER_TEXT} ({verdict.reason})"
            yield "done", Answer(text, [], backend.name, retrieval, notices, grounded=False, refused=True)
            return
        name, draft = backend.name, None
        if backend.model is not None:
            pieces: list[str] = []
            try:
                for piece in self._generate(retrieval, notices):
                    pieces.append(piece)
                    yield "token", piece
                draft = "".join(pieces)
            except Exception as exc:  # any failure of a backend (a server, a local model) is said, not hidden
                notices.append(
                    f"error from {backend.name}: {redact_text(str(exc))}; answered from the passages instead"
                )
                name = "extractive (no LLM)"
        answer = self._checked(draft, retrieval, scored, name, notices)
        if verdict.state == "low_confidence" and not answer.refused:
            answer.low_confidence, answer.confidence = True, verdict.reason
        yield "done", answer

    def answer(self, retrieval: RetrievalResult) -> Answer:
        for kind, value in self.stream(retrieval):
            if kind == "done":
                return value
        raise AssertionError("the answer stream ended without an answer")

    def _generate(self, retrieval: RetrievalResult, notices: list[str]) -> Iterator[str]:
        backend = self.backend
        assert backend.model is not None
        context = format_passages(_context_passages(retrieval, backend.context_passages))
        prompt = backend.prompt.invoke({"context": context, "question": retrieval.query})
        deadline = time.monotonic() + self.time_limit_s
        stream = backend.model.stream(prompt)
        try:
            for chunk in stream:
                yield str(chunk.content)
                if time.monotonic() > deadline:
                    notices.append(f"{backend.name} was stopped after {self.time_limit_s:g} s")
                    break
        finally:
            stream.close()  # stops a local model's generation thread, closes a server's stream

    def _checked(
        self,
        draft: str | None,
        retrieval: RetrievalResult,
        scored: list[ScoredUnit],
        name: str,
        notices: list[str],
    ) -> Answer:
        """A model's sentences that their passage supports and that are prose from a quotable passage;
        with none left (or no model), the extractive answer."""
        passages = retrieval.passages
        quotable = {p.rank for p in quotable_passages(retrieval)}
        checks = check_answer(draft, passages) if draft else []
        kept = [
            c for c in checks if c.supported and c.passage in quotable and not non_prose_reason(_bare(c.text))
        ]
        unsupported = [c.text for c in checks if c not in kept]
        if not kept:
            if draft is not None:
                notices.append(UNVERIFIED_NOTICE)
            # Each quoted unit is checked as it stands: a table row has no full stop to split it by.
            checks = [
                check_sentence(f"{s.unit.quote} [{s.unit.passage.rank}]", passages) for s in choose(scored)
            ]
            kept = [c for c in checks if c.supported]
        text = " ".join(_with_marker(c) for c in kept)
        if not kept:
            text = f"{NO_ANSWER_TEXT} (No sentence of the passages could be quoted as an answer.)"
        return Answer(
            text,
            citations_for(kept, passages),
            name,
            retrieval,
            notices,
            grounded=bool(kept),
            unsupported=unsupported,
            refused=not kept,
        )


def _with_marker(check: SentenceCheck) -> str:
    """A supported sentence that cited nothing shows the passage that supports it."""
    if check.cited or check.passage is None:
        return check.text
    return f"{check.text} [{check.passage}]"


def _context_passages(retrieval: RetrievalResult, limit: int) -> list[Passage]:
    """Only quotable passages (rank 1 and those at or above the relevance line) go to the LLM: small
    models copy from whatever they are shown, so off-topic passages turn into confident wrong answers."""
    return quotable_passages(retrieval)[:limit]


def _bare(sentence: str) -> str:
    return CITATION_MARKER.sub("", sentence).strip()


__all__ = ["Answer", "AnswerEvent", "AnswerPipeline"]
