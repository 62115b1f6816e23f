"""Answers: the refusal gate, generation (or quotes), citations, and a check of every sentence."""

from rag_app.answer.chain import build_answer_chain
from rag_app.answer.pipeline import Answer, AnswerEvent, AnswerPipeline

__all__ = ["Answer", "AnswerEvent", "AnswerPipeline", "build_answer_chain"]
