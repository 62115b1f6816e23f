"""A conversation turned into what to search for, without an LLM.

Measured on MTRAG-UN's human conversations (docs/benchmarks.md, "Conversations"): the question's own
vector blended with the vectors of the two earlier questions, and their words added to BM25 at 0.3,
raised follow-up recall@5 by 0.09-0.11 over the question alone, where joining the last three questions
into one query did not help (and hurt new topics). A question that stands on its own (nothing points
back, no elliptical opener, a topic of its own) keeps most of its weight, so a new topic is not dragged
back to the old one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag_app.conversation.words import stands_alone
from rag_app.retrieval.plan import QueryPlan

EARLIER_QUESTIONS = 2
FOLLOW_UP = (1.0, 0.3)
"""(vector weight, words weight) of the earlier questions for a question that points back."""
STANDALONE = (0.2, 0.0)
"""... and for one that stands alone: a nudge, not a drag."""
MAX_TURNS = 40
MAX_TURN_CHARS = 4000


def checked_history(history: Sequence[Any] | None) -> list[dict[str, str]]:
    """The conversation so far as ``{"role": "user"|"assistant", "content": str}``, oldest first; also
    takes LangChain messages (a human message is the user's). Anything else is refused, naming it."""
    if not history:
        return []
    if not isinstance(history, Sequence) or isinstance(history, str | bytes):
        raise ValueError("history must be a list of {'role': 'user'|'assistant', 'content': str}")
    out = []
    for number, turn in enumerate(history[-MAX_TURNS:], start=1):
        role, content = _role_and_content(turn)
        if role not in ("user", "assistant") or not isinstance(content, str):
            raise ValueError(
                f"history turn {number}: expected {{'role': 'user'|'assistant', 'content': str}}, got {turn!r:.80}"
            )
        out.append({"role": role, "content": content[:MAX_TURN_CHARS]})
    return out


def _role_and_content(turn: Any) -> tuple[Any, Any]:
    if isinstance(turn, dict):
        return turn.get("role"), turn.get("content")
    kind = getattr(turn, "type", None)  # a LangChain message
    role = {"human": "user", "ai": "assistant"}.get(kind, kind)
    return role, getattr(turn, "content", None)


def earlier_questions(history: list[dict[str, str]]) -> list[str]:
    return [t["content"] for t in history if t["role"] == "user" and t["content"].strip()]


def earlier_answers(history: list[dict[str, str]]) -> list[str]:
    return [t["content"] for t in history if t["role"] == "assistant"]


def plan_for(question: str, history: list[dict[str, str]], rewrites: Sequence[str] = ()) -> QueryPlan:
    """What to search for: the question alone on a first turn; with the earlier questions otherwise."""
    earlier = tuple(earlier_questions(history)[-EARLIER_QUESTIONS:])
    extra = tuple(r for r in rewrites if r.strip() and r.strip() != question.strip())
    if not earlier:
        return QueryPlan(question, kind="first", rewrites=extra)
    if stands_alone(question):
        vector, words = STANDALONE
        return QueryPlan(question, earlier, vector, words, "standalone", extra)
    vector, words = FOLLOW_UP
    return QueryPlan(question, earlier, vector, words, "follow-up", extra)
