"""Example questions on the first screen: drawn from what is indexed, one click asks them."""

from __future__ import annotations

import threading
from typing import Any

import gradio as gr

from rag_app.service import Service

COUNT = 4


class ExampleQuestions:
    """The service's example questions for each knowledge base, worked out again only when its
    documents change (drawing them runs a dozen retrievals)."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[tuple[tuple[str, str], ...], list[str]]] = {}
        self._lock = threading.Lock()

    def for_service(self, base: Service) -> list[str]:
        documents = tuple(sorted((d["source"], d.get("sha256") or "") for d in base.documents()))
        with self._lock:
            known = self._known.get(id(base))
        if known is not None and known[0] == documents:
            return known[1]
        questions = base.example_questions(COUNT) if documents else []
        with self._lock:
            self._known[id(base)] = (documents, questions)
        return questions

    def buttons(self, base: Service) -> list[Any]:
        """One update per button: the question as its label, hidden where there is none."""
        questions = self.for_service(base)
        return [
            gr.Button(value=questions[i], visible=True) if i < len(questions) else gr.Button(visible=False)
            for i in range(COUNT)
        ]


def example_buttons() -> list[gr.Button]:
    """The empty buttons, laid out in a row; ``ExampleQuestions.buttons`` fills them."""
    with gr.Row(elem_id="examples"):
        gr.Markdown("Try:", elem_classes=["examples-label"])
        return [
            gr.Button(visible=False, size="sm", variant="secondary", elem_classes=["example"], scale=0)
            for _ in range(COUNT)
        ]
