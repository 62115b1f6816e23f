"""Per-model score thresholds: when a cosine counts as relevant, and when top-1/top-2 are too close.

Cosine scales differ between models, so a threshold tuned for one is wrong for another.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag_app.embeddings.models import BUNDLED_NAME, ResolvedModel
from rag_app.embeddings.multilingual import MULTILINGUAL_NAME


@dataclass(frozen=True)
class ModelThresholds:
    relevant: float
    """The relevance line: a passage's cosine at or above it is relevant (green, and quoted from)."""
    answer_floor: float
    """Best cosine under which, when the best sentence also holds under ``answer_words`` of the
    question's words, nothing relevant was found (a refusal)."""
    ambiguity_gap: float
    """Top-1 minus top-2 cosine under which the ranking is flagged as ambiguous."""
    basis: str
    """Where the figures come from, shown in docs and the UI."""
    multilingual: bool = True
    """False for English-only models: retrieval then routes CJK questions to BM25 (see retrieval.py)."""
    answer_words: float = 0.5
    """See ``answer_floor``."""
    confident: float = 0.45
    """A best cosine under this gives an answer marked low confidence."""
    confident_words: float = 0.34
    """An answer whose best sentence holds less of the question's words than this, and is not close in
    meaning (``confident_sentence``), is marked low confidence."""
    confident_sentence: float = 0.5
    """Cosine of the best sentence to the question at or above which its meaning answers for its words."""
    wordless_sentence: float = 0.3
    """A best sentence that holds none of the question's words (the question and it in the same script,
    not Chinese) answers only at or above this cosine; under it nothing relevant was found. On the signals
    of ``benchmarks/eval_answers.py`` (MiniLM): the answerable questions whose gold passage is in the top 5
    and whose best sentence shares no word score 0.57 (ClapNQ's "price of ps3 when it first came out");
    the unanswerable ones 0.04-0.26 (own set: "Was ist eine Primzahl?" -> a symbol table at 0.22, "Who won
    the 2018 football world cup?" 0.22; MTRAG-UN's ice-hockey question 0.21)."""
    cross_lingual_floor: float | None = None
    """For a model that compares languages: the best cosine under which a top passage in another script
    than the question (Chinese against Latin) is refused, since no shared word can vouch for it."""


QWEN3 = ModelThresholds(
    0.4,
    0.3,
    0.02,
    "the design's figures for Qwen3-Embedding-4B (relevance 0.4, gap 0.02); its answer gate is not "
    "calibrated here (no weights on these machines): floor 0.3, low confidence under 0.4",
    confident=0.4,
)
# The relevance line (0.35) and the gap: measured with `benchmarks/eval_retrieval.py` on ClapNQ dev
# (docs/benchmarks.md): 99% of correct top-1 passages score >= 0.35 when indexed without their titles;
# top-1 accuracy drops from 0.95 to 0.60 when the top-1/top-2 gap is under 0.02.
# The answer gate: chosen by `benchmarks/calibrate_gate.py` over the signals of `benchmarks/eval_answers.py`
# on four sets at once (our fixture-PDF and sample-document questions, ClapNQ, SEC 10-Q, MTRAG-UN): among the
# figures that wrongly refuse at most 5% of the answerable questions whose gold passage is in the top 5 on
# every set, the one that lets the fewest unanswerable questions through unmarked, counting answerable ones
# marked low confidence as a cost. Wrongly refused / answerable marked low / unanswerable answered unmarked:
# ClapNQ 1.0% / 5.7% / 48.3%; MTRAG-UN 1.7% / 14.5% / 39.2%; own 1.9% / 16.7% / 20.0%; SEC 0.0% / 12.3% / -.
# An unanswerable ClapNQ question comes with a passage on its very topic: no figure separates those well.
MINILM = ModelThresholds(
    0.35,
    0.40,
    0.02,
    "relevance and gap measured on ClapNQ dev; the answer gate chosen on four sets (benchmarks/calibrate_gate.py)",
    multilingual=False,
    answer_words=0.5,
    confident=0.45,
    confident_words=0.34,
    confident_sentence=0.5,
)
# Universal Sentence Encoder Multilingual (the offline model beside MiniLM): its cosines are low. On our
# Chinese paraphrase and cross-lingual sets, CMRC 2018 and ClapNQ, the right top passage scores p10
# 0.29-0.40 (p50 0.40-0.53), the best one left when the right passage is removed p50 0.27-0.34 and p90
# 0.36-0.44: a relevance line of 0.35, and a top-1/top-2 gap of 0.05, under which top-1 is right 41-50% of
# the time against 92-96% above it. The two distributions overlap, so its cosine alone refuses only what is
# far off: on the sample documents the apple passage answers 我饿了 at 0.155 and an unanswerable 上海的人口
# scores 0.22; the floor (0.12, paired with the question's words) refuses "我想买一辆车" (0.08), and
# everything between is answered marked low confidence (under 0.35). A top passage in another script than
# the question has no word in common to vouch for it: it needs 0.30 (the right cross-lingual passage's p10
# 0.29; the sample documents' 火星上有多少颗卫星 -> a gravity sentence at 0.21, 上海的人口是多少 -> "The capital
# of China is Beijing" at 0.22, both refused; "How do I make green tea?" -> the Chinese tea passage at 0.44).
MULTILINGUAL = ModelThresholds(
    0.35,
    0.12,
    0.05,
    "measured on Chinese paraphrase, cross-lingual, CMRC 2018 and ClapNQ sets (benchmarks/eval_retrieval.py)",
    answer_words=0.5,
    confident=0.35,
    confident_words=0.34,
    confident_sentence=0.35,
    cross_lingual_floor=0.30,
)
UNKNOWN = ModelThresholds(
    0.4, 0.3, 0.02, "not calibrated for this model: the Qwen3-Embedding-4B figures are used", confident=0.4
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
    if model.name == MULTILINGUAL_NAME:
        return MULTILINGUAL
    return UNKNOWN
