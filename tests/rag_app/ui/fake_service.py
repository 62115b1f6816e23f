"""Test double: a knowledge base with canned answers, so the UI is tested without any model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from rag_app.answer.citations import Citation
from rag_app.answer.pipeline import Answer
from rag_app.ingest.pipeline import FileOutcome, IngestReport, InputFile
from rag_app.pages.view import Excerpt, PageView
from rag_app.retrieval.results import Passage, RetrievalResult, ambiguity_verdict
from rag_app.retrieval.thresholds import MINILM
from rag_app.settings import Settings
from rag_app.store.health import HealthReport

INFO = {
    "name": "fake-model",
    "dimensions": 4,
    "device": "cpu",
    "dtype": "float32",
    "is_fallback": False,
    "reason": "",
}


class FakeKnowledgeBase:
    """Implements ``rag_app.service.Service``; remembers what it was asked."""

    chats = None  # nothing kept

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.docs: dict[str, int] = {"guide.pdf": 3}
        self.calls: list[tuple[str, Any]] = []

    def for_user(self, user: str | None) -> FakeKnowledgeBase:
        self.calls.append(("for_user", user))
        return self

    def model_info(self) -> dict[str, Any]:
        return dict(INFO)

    def answer_backend(self) -> str:
        return "canned <answers>"

    def ingest(self, paths, *, progress=None) -> IngestReport:
        raise AssertionError("the app must use ingest_uploads")

    def ingest_uploads(self, files: Sequence[InputFile], *, password=None, progress=None) -> IngestReport:
        self.calls.append(("ingest_uploads", [f.source for f in files]))
        report = IngestReport()
        for item in files:
            if progress is not None:
                progress(0.5, f"reading {item.source}")
            self.docs[item.source] = 1
            report.outcomes.append(FileOutcome(item.source, "indexed", chunks=1))
        return report

    def query(self, question: str, k: int | None = None, history=None) -> RetrievalResult:
        passages = [
            Passage(1, 0.81, "Passage <b>one</b> ![x](http://example.invalid/p.png)", "guide.pdf", 2, "c1"),
            Passage(2, 0.80, "Passage two", "notes.md", None, "c2"),
        ]
        verdict = ambiguity_verdict([p.score for p in passages], MINILM.ambiguity_gap)
        return RetrievalResult(question, passages, verdict, MINILM, np.zeros(4, np.float32))

    def stream_answer(self, question: str, k: int | None = None, history=None) -> Iterator[tuple[str, Any]]:
        retrieval = self.query(question, k)
        yield "retrieval", retrieval
        yield "token", "Canned "
        yield "done", Answer("Canned answer [1].", [Citation(1, "guide.pdf", 2, "c1")], "canned", retrieval)

    def answer(self, question: str, k: int | None = None, history=None) -> Answer:
        return next(v for kind, v in self.stream_answer(question, k) if kind == "done")

    def documents(self) -> list[dict[str, Any]]:
        return [{"source": s, "chunks": n, "pages": None} for s, n in sorted(self.docs.items())]

    def delete(self, source: str) -> int:
        self.calls.append(("delete", source))
        return self.docs.pop(source, 0)

    def stats(self) -> dict[str, Any]:
        n = sum(self.docs.values())
        return {
            "files": len(self.docs),
            "vectors": n,
            "dimensions": 4,
            "index_bytes": 16 * n + 90,
            "estimate_bytes": 16 * n,
            "search": "exact (IndexFlatIP)",
        }

    def example_questions(self, count: int = 4) -> list[str]:
        return ["What is a fake document?"][:count]

    def health(self) -> HealthReport:
        return HealthReport(sum(self.docs.values()), 0, 0, 0, None, ["No problems found."])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.array([[1.0, 0.0, 0.0, 0.0], [0.6, 0.8, 0.0, 0.0]][: len(texts)], np.float32)
        return vectors

    def page_view(self, chunk_id: str, page: int | None = None, zoom: float = 1.0) -> PageView:
        self.calls.append(("page_view", chunk_id))
        if chunk_id not in ("c1", "c2"):
            raise ValueError("that passage is not in your documents")
        return PageView("notes.md", None, None, excerpt=Excerpt("before ", "Passage two", "", False, False))
