"""The extractive answer: the passages' own sentences (or table rows) that answer the question, cited.

Only passages at or above the relevance line (and always rank 1) are quoted from. Each quotable unit
(``units.py``) is scored by the question's content words it holds (figures and codes weigh more), by
its cosine to the question where the embedding model can read both, and by whether it holds what the
question asks for (a number for "how many", a date for "when"). The best unit is quoted, with at most
two more that address the question as well; never a heading, a page's furniture, filler text or a
unit that shares nothing with the question unless its meaning is as close as the best one's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag_app.answer.units import Unit, units_of
from rag_app.retrieval.results import Passage, RetrievalResult
from rag_app.text.words import content_words

SentenceVectors = Callable[[Sequence[str]], np.ndarray]
"""Unit vectors for texts, as the embedding model embeds documents."""

MAX_UNITS = 3
"""At most this many units an answer: chosen on four sets (right when the gold is first / junk, 2 against 3,
benchmarks/eval_answers.py): ClapNQ 79.7 % / 3.1 % -> 82.8 % / 2.5 %; SEC 10-Q 58.8 % / 7.6 % -> 64.7 % /
5.4 %; own 91.8 % / 1.4 % -> 91.8 % / 1.2 %. A third unit that addresses the question as well as the others
is more often the gold than junk."""
SEMANTIC_WEIGHT = 1.0
"""How much a unit's cosine to the question counts beside the share of its words (both in [0, 1])."""
TYPE_BONUS = 0.25
"""For a unit holding the kind of thing the question asks for (a figure, a date)."""
ALSO_LEXICAL = 0.6
"""A second unit is quoted when it holds at least this share of what the best one holds of the question."""
ALSO_SEMANTIC = 0.03
"""... or when its cosine to the question is within this of the best one's (and it shares a word)."""
MAX_UNITS_EMBEDDED = 64

_WANTS_FIGURE = re.compile(
    r"\b(how (many|much|long|often|old|far|large|big|tall|high)|what (year|date|time|percentage|number)|when|"
    r"wie (viele?|lange|oft|alt|gro(ß|ss)|hoch)|wann|welche[sm]? jahr|quel(le)? (année|date)|combien|cuándo|"
    r"cuánto)\b|多少|几|多久|多长|什么时候|哪一?年|何时",
    re.IGNORECASE,
)
# A question after a quantity ("What effective tax rate did Apple report?", "How has iPhone revenue
# changed?") is answered by the row or sentence holding its figure, as "how many" is.
_ASKS_QUANTITY = re.compile(
    r"\b(rate|ratio|margin|revenues?|sales|income|profits?|earnings|costs?|expenses?|prices?|amount|"
    r"percentage|population|temperature|budget|debt|dividends?|salary|height|distance|umsatz|preis|kosten|"
    r"anzahl|temperatur)\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"\d")
_STANDALONE_FIGURE = re.compile(
    r"(?<![A-Za-z\d-])\d+(?:[-./:,]\d+)*(?:st|nd|rd|th|am|pm|h|%|s)?(?![A-Za-z\d])"
)
"""A figure of its own (32, 4.5 %, 2024-05-01, 3pm, 3月), not a digit inside a code (MARLINSPIKE-88, A100)."""
_WANTS_TIME = re.compile(r"\b(when|what time|wann|quand|cuándo)\b|什么时候|何时|几点", re.IGNORECASE)
_TIME_WORDS = re.compile(
    r"\b(noon|midday|midnight|dawn|dusk|sunrise|sunset|morning|afternoon|evening|night|o'clock|"
    r"(mon|tues|wednes|thurs|fri|satur|sun)days?|weekends?|weekdays?|january|february|march|april|may|june|"
    r"july|august|september|october|november|december|spring|summer|autumn|winter|"
    r"mittags?|morgens?|abends?|nachts?|(montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)s?)\b|"
    r"中午|早上|上午|下午|晚上|凌晨|周[一二三四五六日末]|星期",
    re.IGNORECASE,
)


def holds_what_is_asked(question: str, text: str) -> bool:
    """The unit holds the kind of thing the question asks for: a figure of its own (never a digit of
    a code word), or, for "when", a time word (noon, Sunday, May)."""
    return bool(_STANDALONE_FIGURE.search(text)) or bool(
        _WANTS_TIME.search(question) and _TIME_WORDS.search(text)
    )


@dataclass(frozen=True)
class ScoredUnit:
    unit: Unit
    lexical: float
    """Weighted share of the question's content words found in the unit."""
    semantic: float | None
    """Cosine of the unit to the question (None where the model cannot read them)."""
    fits_type: bool
    score: float


def quotable_passages(retrieval: RetrievalResult) -> list[Passage]:
    """The first passage with anything to quote, and every passage at or above the relevance line.

    The first, not rank 1 alone: a rank-1 passage of page furniture or filler (a Lorem ipsum column
    above the abstract that describes it) has nothing to quote, and the best passage that has takes its
    place instead of the question being refused."""
    first = next((p for p in retrieval.passages if any(u.skip is None for u in units_of(p))), None)
    return [p for p in retrieval.passages if p is first or p.rank == 1 or p.relevant]


def term_weights(question: str) -> dict[str, float]:
    """The question's content words, figures and codes (exact identifiers) weighing three times."""
    return {t: 3.0 if _FIGURE.search(t) else 1.0 for t in content_words(question)}


def score_units(
    question: str,
    retrieval: RetrievalResult,
    vectors: SentenceVectors | None = None,
) -> list[ScoredUnit]:
    """Every quotable unit of the quotable passages, scored, best first."""
    units = [u for p in quotable_passages(retrieval) for u in units_of(p) if u.skip is None]
    if not units:
        return []
    weights = term_weights(question)
    total = sum(weights.values())
    semantic: list[float | None] = [None] * len(units)
    if vectors is not None and retrieval.evidence == "dense" and retrieval.query_vector is not None:
        embedded = vectors([u.quote for u in units[:MAX_UNITS_EMBEDDED]])
        query = np.asarray(retrieval.query_vector, dtype=np.float32).reshape(-1)
        semantic[: len(embedded)] = [float(v) for v in embedded @ query]
    wants_figure = bool(_WANTS_FIGURE.search(question) or _ASKS_QUANTITY.search(question))
    scored = []
    for unit, cosine in zip(units, semantic, strict=True):
        terms = content_words(unit.quote)
        lexical = sum(w for t, w in weights.items() if t in terms) / total if total else 0.0
        fits = wants_figure and holds_what_is_asked(question, unit.text)
        score = lexical + SEMANTIC_WEIGHT * max(cosine or 0.0, 0.0) + TYPE_BONUS * fits
        scored.append(ScoredUnit(unit, lexical, cosine, fits, score))
    # Ties go to the better-ranked passage, then to the earlier unit.
    return sorted(scored, key=lambda s: (-s.score, s.unit.passage.rank, s.unit.start))


def choose(scored: list[ScoredUnit], max_units: int = MAX_UNITS) -> list[ScoredUnit]:
    """The best unit, and up to ``max_units - 1`` more that address the question about as well,
    in document order within a passage and passages in rank order."""
    if not scored:
        return []
    best = scored[0]
    chosen = [best]
    for other in scored[1:]:
        if len(chosen) >= max_units:
            break
        close_in_words = best.lexical > 0 and other.lexical >= ALSO_LEXICAL * best.lexical
        close_in_meaning = (
            other.semantic is not None
            and best.semantic is not None
            and other.lexical > 0
            and other.semantic >= best.semantic - ALSO_SEMANTIC
        )
        same_kind = other.fits_type or not best.fits_type  # "how many": every quote holds a figure
        if (close_in_words or close_in_meaning) and same_kind and not _overlaps(other.unit, chosen):
            chosen.append(other)
    return sorted(chosen, key=lambda s: (s.unit.passage.rank, s.unit.start))


def _overlaps(unit: Unit, chosen: list[ScoredUnit]) -> bool:
    """The same text again (overlapping chunks repeat their edges; a row under the same header)."""
    return any(c.unit.text == unit.text or unit.text in c.unit.quote for c in chosen)


def extractive_answer(chosen: list[ScoredUnit]) -> str:
    """The chosen units verbatim, each followed by its passage's [n]."""
    return " ".join(f"{s.unit.quote} [{s.unit.passage.rank}]" for s in chosen)
