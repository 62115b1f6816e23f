"""One turn of a conversation, the way every door answers it (the app, the CLI, the LCEL chain):
the question checked, a follow-up searched with what came before (and an LLM's rewrite beside it),
a question back when it cannot be tied to anything, else the answer pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rag_app.answer.pipeline import Answer, AnswerEvent, AnswerPipeline, checked_question
from rag_app.conversation.follow_up import question_back, rewrite
from rag_app.conversation.resolve import plan_for
from rag_app.retrieval.results import RetrievalResult
from rag_app.retrieval.searcher import Searcher


def retrieve_turn(
    searcher: Searcher, question: str, history: list[dict[str, str]], k: int, rewrites: Sequence[str] = ()
) -> RetrievalResult:
    return searcher.retrieve_plan(plan_for(question, history, rewrites), k)


def stream_turn(
    searcher: Searcher,
    pipeline: AnswerPipeline,
    question: str,
    history: list[dict[str, str]],
    k: int,
    max_question_chars: int,
) -> Iterator[AnswerEvent]:
    """("retrieval", result), then ("token", draft) while a model writes, then ("done", Answer)."""
    question = checked_question(question, max_question_chars)
    rewritten = rewrite(pipeline.backend.model, question, history)
    retrieval = retrieve_turn(searcher, question, history, k, [rewritten] if rewritten else [])
    yield "retrieval", retrieval
    back = question_back(question, history, retrieval) if retrieval.passages else None
    if back is not None:
        yield "done", Answer(back, [], pipeline.backend.name, retrieval, grounded=False, clarifying=True)
        return
    yield from pipeline.stream(retrieval)
