"""Per-model score thresholds: when a cosine counts as relevant, and when top-1/top-2 are too close.

Cosine scales differ between models, so a threshold tuned for one is wrong for another.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag_app.embeddings.models import BUNDLED_NAME, ResolvedModel


@dataclass(frozen=True)
class ModelThresholds:
    relevant: float
    """The relevance line: a passage's cosine at or above it is relevant (green, quotable); a best
    passage under it gives a low-confidence answer."""
    answer_floor: float
    """Best cosine under which, when the best sentence also holds under ``answer_words`` of the
    question's words, nothing relevant was found (a refusal)."""
    ambiguity_gap: float
    """Top-1 minus top-2 cosine under which the ranking is flagged as ambiguous."""
    basis: str
    """Where the figures come from, shown in docs and the UI."""
    multilingual: bool = True
    """False for English-only models: retrieval then routes CJK questions to BM25 (see retrieval.py)."""
    answer_words: float = 0.34
    """See ``answer_floor``."""
    confident_words: float = 0.5
    """An answer whose best sentence holds less of the question's words than this, and is not close in
    meaning (``confident_sentence``), is marked low confidence."""
    confident_sentence: float = 0.5
    """Cosine of the best sentence to the question at or above which its meaning answers for its words."""


QWEN3 = ModelThresholds(0.4, 0.4, 0.02, "the design's figures for Qwen3-Embedding-4B")
# Measured with `benchmarks/eval_retrieval.py` on ../shared/eval/clapnq (docs/benchmarks.md): 99% of correct
# top-1 passages score >= 0.35 when passages are indexed without their titles (0.42 with them; most chunks of
# a real document carry no title, so the lower figure is used). The threshold also gates answers ("the
# documents do not seem to contain it"), so it is set where it refuses almost no answerable question; a p10
# cut (0.50) refused one in ten. Top-1 accuracy drops from 0.97 to 0.45 when the top-1/top-2 gap is under
# 0.02 (0.95 to 0.60 without titles): the design's gap holds here too.
# The answer floor is calibrated on all 600 ClapNQ dev questions with `benchmarks/eval_answers.py`: it is
# the 10th percentile of the best cosine of the 300 answerable ones, so it refuses 10% of them (the most
# the goal allows) and 58% of the 300 unanswerable ones. No feature we have separates the two better (a
# logistic model over best cosine, top-1/top-2 gap, best sentence cosine and word overlap did not, in
# 5-fold cross-validation): an unanswerable ClapNQ question comes with a passage on its very topic.
MINILM = ModelThresholds(
    0.35,
    0.53,
    0.02,
    "measured on ClapNQ dev (benchmarks/eval_retrieval.py, eval_answers.py)",
    multilingual=False,
)
UNKNOWN = ModelThresholds(
    0.4, 0.4, 0.02, "not calibrated for this model: the Qwen3-Embedding-4B figures are used"
)


LEXICAL_FLOOR = 0.2
"""Share of a question's words (CJK: character pairs) a passage must hold to count as relevant when the
embedding model cannot read the question's language. Measured on CMRC 2018 (300 trial questions, BM25
ranking): it refuses 1.7% of questions whose top passage is the right one, and 99.7% of questions set
against the top passage of another question."""


def thresholds_for(model: ResolvedModel) -> ModelThresholds:
    """The figures for a model, decided from what its folder declares (``ResolvedModel.family``)."""
    if model.family == "qwen3":
        return QWEN3
    if model.name == BUNDLED_NAME:
        return MINILM
    return UNKNOWN
