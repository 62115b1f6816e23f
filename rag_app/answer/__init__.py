"""Answers: the refusal gate, generation (or quotes), citations, and a check of every sentence."""

from rag_app.answer.pipeline import Answer, AnswerEvent, AnswerPipeline

__all__ = ["Answer", "AnswerEvent", "AnswerPipeline"]
