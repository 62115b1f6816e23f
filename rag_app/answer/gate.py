"""Whether to answer: answered, answered with low confidence, or refused because nothing relevant
was found.

A single cosine floor cannot decide this for every kind of document: PDF pages, tables, scans and
German or Chinese text score far lower against their questions than the short Wikipedia passages a
floor is calibrated on, so a floor that refuses ClapNQ's unanswerable questions refuses people's
own documents with the answer ranked first. Here the cosine only refuses when the best passage is
far off *and* the best quotable unit holds little of the question's words; in between, the answer
is given and marked "low confidence". The figures are per model (``ModelThresholds``) and were
chosen on five sets at once (docs/benchmarks.md, "Answers").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rag_app.answer.extractive import ScoredUnit
from rag_app.retrieval.results import RetrievalResult
from rag_app.retrieval.thresholds import LEXICAL_FLOOR
from rag_app.retrieval.two_models import CJK  # the same line as the ranking's
from rag_app.text.scripts import cjk_share
from rag_app.text.words import content_words, question_coverage

State = Literal["answered", "low_confidence", "refused"]


@dataclass(frozen=True)
class Verdict:
    state: State
    reason: str = ""
    """Why the answer is refused or of low confidence, in words a person reads."""


def judge(retrieval: RetrievalResult, best: ScoredUnit | None) -> Verdict:
    """The verdict for a retrieval and the best unit the extractive scorer found in it."""
    if not retrieval.passages:
        return Verdict("refused", "The knowledge base is empty: add documents first.")
    if retrieval.evidence == "lexical":
        return _by_words(retrieval, best)
    t = retrieval.thresholds
    cosine = retrieval.best_score or 0.0
    words = best.lexical if best is not None else 0.0
    top = retrieval.passages[0].text
    if (
        t.cross_lingual_floor is not None
        and cosine < t.cross_lingual_floor
        and _scripts_differ(retrieval.query, top)
    ):
        return Verdict(
            "refused",
            f"Nothing relevant was found: the closest passage, in another language, scored {cosine:.2f} "
            f"(under {t.cross_lingual_floor} across languages).",
        )
    if best is None or (cosine < t.answer_floor and words < t.answer_words):
        return Verdict(
            "refused",
            f"Nothing relevant was found: the closest passage scored {cosine:.2f} (under {t.answer_floor}) "
            f"and holds {words:.0%} of the question's words.",
        )
    if _wordless(retrieval.query, best) and (best.semantic is None or best.semantic < t.wordless_sentence):
        closest = f"{best.semantic:.2f}" if best.semantic is not None else "not comparable"
        return Verdict(
            "refused",
            "Nothing relevant was found: no sentence of the closest passages holds any of the question's "
            f"words, and the closest in meaning scored {closest} (under {t.wordless_sentence}).",
        )
    if cosine < t.confident:
        return Verdict(
            "low_confidence",
            f"The closest passages may not answer this: the best scored {cosine:.2f}, under {t.confident} "
            "for this model.",
        )
    if words < t.confident_words and (best.semantic is None or best.semantic < t.confident_sentence):
        return Verdict(
            "low_confidence",
            f"The closest passages may not answer this: the best sentence holds {words:.0%} of the "
            "question's words.",
        )
    return Verdict("answered")


def _wordless(question: str, best: ScoredUnit) -> bool:
    """The best unit shares no word with a question in its own script, nor does its whole passage (its
    title may name what the question asks about: "Safe Haven (film)" above the plot). A Chinese paraphrase
    shares no character pair with its answer by construction (我饿了 -> 苹果是…), and a question in another
    script than its passage none by nature: those answer by meaning, vetted above."""
    return (
        best.lexical == 0
        and cjk_share(_letters(question)) < CJK
        and not _scripts_differ(question, best.unit.text)
        and not content_words(question) & content_words(best.unit.passage.text)
    )


def _scripts_differ(question: str, passage: str) -> bool:
    """One of the two is Chinese, Japanese or Korean and the other is not, by their letters: digits
    say nothing of a language (a product code in a Chinese question, a Chinese table of numbers)."""
    return (cjk_share(_letters(question)) >= CJK) != (cjk_share(_letters(passage)) >= CJK)


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalpha())


def _by_words(retrieval: RetrievalResult, best: ScoredUnit | None) -> Verdict:
    """The model cannot read the question's language (its cosines mean nothing): weigh its words."""
    coverage = question_coverage(retrieval.query, retrieval.passages[0].text)
    if coverage < LEXICAL_FLOOR or best is None:
        return Verdict(
            "refused",
            f"No passage holds enough of the question's words (the best holds {coverage:.0%}, under "
            f"{LEXICAL_FLOOR:.0%}), and this embedding model cannot compare this language by meaning.",
        )
    return Verdict("answered")
