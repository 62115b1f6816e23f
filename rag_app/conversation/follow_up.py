"""A follow-up with an LLM: rewritten into a standalone question (searched beside the original, so a
rewrite that drops an entity cannot lose it); and, with or without one, a question back when the
follow-up cannot be tied to anything."""

from __future__ import annotations

import logging
from typing import Any

from prompts.conversation import REWRITE_PROMPT
from rag_app.conversation.clarify import clarifying_question, unresolved
from rag_app.conversation.resolve import earlier_answers, earlier_questions
from rag_app.retrieval.results import RetrievalResult

log = logging.getLogger(__name__)
MAX_REWRITE_CHARS = 400
CONVERSATION_TURNS = 6


def rewrite(model: Any, question: str, history: list[dict[str, str]]) -> str | None:
    """The model's standalone version of ``question`` (None without history, or when it fails: the
    original question is searched anyway)."""
    if model is None or not earlier_questions(history):
        return None
    conversation = "\n".join(f"{t['role']}: {t['content'][:600]}" for t in history[-CONVERSATION_TURNS:])
    try:
        reply = model.invoke(REWRITE_PROMPT.invoke({"conversation": conversation, "question": question}))
    except Exception as exc:  # a rewrite is a help, never a condition of answering
        log.warning("the follow-up rewrite failed (%s); searching the question as asked", type(exc).__name__)
        return None
    text = " ".join(str(getattr(reply, "content", reply)).split())[:MAX_REWRITE_CHARS]
    return text or None


def question_back(question: str, history: list[dict[str, str]], retrieval: RetrievalResult) -> str | None:
    """A clarifying question when the question refers to something nothing ties down, else None."""
    found = " ".join(p.text for p in retrieval.passages[:2])
    target = unresolved(question, earlier_questions(history), earlier_answers(history), found)
    return clarifying_question(target, retrieval.passages) if target else None
