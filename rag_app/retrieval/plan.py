"""What to search for: the question, and, for a follow-up, the conversation's earlier questions.

Built by ``rag_app.conversation.resolve`` (below the answer, above retrieval in meaning but plain data
here, so retrieval needs nothing of conversations). The question's vector is blended with the earlier
questions' (``vector_weight``) and their words are added to BM25's (``words_weight``); other phrasings
(an LLM's rewrite) are searched too and fused by rank, so a rewrite that drops an entity cannot lose it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PlanKind = Literal["first", "standalone", "follow-up"]


@dataclass(frozen=True)
class QueryPlan:
    question: str
    earlier: tuple[str, ...] = ()
    """Earlier questions of the conversation blended in, oldest first."""
    vector_weight: float = 0.0
    words_weight: float = 0.0
    kind: PlanKind = "first"
    rewrites: tuple[str, ...] = field(default=())
    """Other phrasings of the question, each searched on its own and fused by rank."""

    @property
    def blends(self) -> bool:
        return bool(self.earlier) and (self.vector_weight > 0 or self.words_weight > 0)

    @property
    def searched_for(self) -> list[str]:
        """The queries actually run: the question, the earlier questions blended into it, the rewrites."""
        return [self.question, *(self.earlier if self.blends else ()), *self.rewrites]

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "earlier": list(self.earlier) if self.blends else [],
            "vector_weight": self.vector_weight,
            "words_weight": self.words_weight,
            "rewrites": list(self.rewrites),
        }


def single(question: str) -> QueryPlan:
    return QueryPlan(question)
