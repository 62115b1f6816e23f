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
from rag_app.answer.extractive import extractive_answer
from rag_app.answer.llm import AnswerBackend
from rag_app.answer.support import SentenceCheck, check_answer
from rag_app.retrieval.results import Passage, RetrievalResult
from rag_app.text.urls import redact_text
from rag_app.text.words import tokenize

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
    """The documents do not seem to answer the question (the best passage scored under the floor)."""

    def to_json(self, model: dict[str, Any]) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "backend": self.backend,
            "grounded": self.grounded,
            "refused": self.refused,
            "unsupported": self.unsupported,
            "notices": self.notices,
            **self.retrieval.to_json(model),
        }


LEXICAL_FLOOR = 0.2
"""Share of a question's words (CJK: character pairs) the best passage must hold when the embedding
model cannot read the question's language. Measured on CMRC 2018 (300 trial questions, BM25 ranking):
it refuses 1.7% of questions whose top passage is the right one, and 99.7% of questions set against
the top passage of another question."""


def question_coverage(question: str, passage: str) -> float:
    """Share of the question's terms found in the passage: words, and for CJK runs character pairs
    (single characters only when the question has no pair)."""
    tokens = tokenize(question)
    terms = {t for t in tokens if t.isascii() or len(t) > 1} or set(tokens)
    return len(terms & set(tokenize(passage))) / len(terms) if terms else 0.0


def _refusal(retrieval: RetrievalResult, best: float) -> str | None:
    """Why the documents do not seem to answer the question, or None. The cosine floor where the
    model reads the question; where it cannot (``evidence == "lexical"``) its cosines mean nothing,
    so the best passage must share enough of the question's words instead."""
    if retrieval.evidence == "lexical":
        coverage = question_coverage(retrieval.query, retrieval.passages[0].text)
        if coverage < LEXICAL_FLOOR:
            return (
                f"The best passage holds {coverage:.0%} of the question's words, under {LEXICAL_FLOOR:.0%}."
            )
        return None
    floor = retrieval.thresholds.answer_floor
    if best < floor:
        return f"The best passage scored {best:.2f}, under {floor}."
    return None


@dataclass
class AnswerPipeline:
    backend: AnswerBackend
    time_limit_s: float = 120.0
    """A model still writing after this long is stopped; what it wrote is checked like any answer."""

    def stream(self, retrieval: RetrievalResult) -> Iterator[AnswerEvent]:
        """("token", draft text) while a model writes, then ("done", Answer)."""
        backend, notices = self.backend, list(self.backend.notices)
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
                    grounded=False,
                    refused=True,
                ),
            )
            return
        if (why := _refusal(retrieval, best)) is not None:
            text = f"{NO_ANSWER_TEXT} ({why})"
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
        yield "done", self._checked(draft, retrieval, name, notices)

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
        self, draft: str | None, retrieval: RetrievalResult, name: str, notices: list[str]
    ) -> Answer:
        passages = retrieval.passages
        checks = check_answer(draft, passages) if draft else []
        kept = [c for c in checks if c.supported]
        unsupported = [c.text for c in checks if not c.supported]
        if not kept:
            if draft is not None:
                notices.append(UNVERIFIED_NOTICE)
            checks = check_answer(extractive_answer(retrieval.query, passages), passages)
            kept = [c for c in checks if c.supported]
        text = " ".join(_with_marker(c) for c in kept)
        if not kept:
            text = f"{NO_ANSWER_TEXT} (No sentence of the passages could be checked as an answer.)"
        return Answer(
            text,
            citations_for(kept, passages),
            name,
            retrieval,
            notices,
            grounded=bool(kept),
            unsupported=unsupported,
        )


def _with_marker(check: SentenceCheck) -> str:
    """A supported sentence that cited nothing shows the passage that supports it."""
    if check.cited or check.passage is None:
        return check.text
    return f"{check.text} [{check.passage}]"


def _context_passages(retrieval: RetrievalResult, limit: int) -> list[Passage]:
    """Only passages that clear the relevance bar go to the LLM: small models copy from whatever
    they are shown, so off-topic passages turn into confident wrong answers."""
    relevant = [p for p in retrieval.passages if p.score >= retrieval.thresholds.relevant]
    return sorted(relevant, key=lambda p: -p.score)[:limit] or retrieval.passages[:1]


__all__ = ["Answer", "AnswerEvent", "AnswerPipeline"]
