"""What an answer is worth: right (holds the gold), wrongly refused, junk sentences, right page.

Junk (the answer issue's definition): an answer sentence that does not address the question: one from
a passage below the relevance line that is not rank 1, one sharing no content word with the question,
or one that is not prose (a heading, a page header or footer, a lone number, Markdown markup, filler
or boilerplate). Two readings made precise: a Chinese paraphrase shares no character pair with its answer
by construction, so for a CJK question a sentence of the rank-1 passage is not "sharing no content word";
a quoted table row is judged by its row, where a one-word cell ("Helsinki") is not a heading.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from answer_sets import Question, QuestionSet

_MARKER = re.compile(r"\[(\d{1,2})\]")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass
class Outcome:
    """One question through one backend."""

    question: Question
    text: str
    refused: bool
    low_confidence: bool
    cited: list[tuple[str | None, int | None]]
    """(source, page) of each citation, in order."""
    gold_rank: int | None
    """Rank of the first gold passage among the retrieved ones (None: not in the top k)."""
    right: bool
    junk: int
    sentences: int
    seconds: float


def holds_gold(qs: QuestionSet, q: Question, text: str) -> bool:
    from rag_app.text.words import content_words

    answer = _norm(_MARKER.sub(" ", text))
    if q.gold_phrases:
        return any(_norm(g) in answer for g in q.gold_phrases)
    if q.gold_sentences:  # ClapNQ: most of a sentence the reviewed answer draws on is quoted
        words = content_words(answer)
        return any(len(w := content_words(s)) and len(w & words) / len(w) >= 0.6 for s in q.gold_sentences)
    if q.figures:  # SEC: a key figure of the reviewed answer
        from sec10q import _NUMBER, normalise

        return bool(q.figures & {normalise(n) for n in _NUMBER.findall(answer)})
    return False


def junk_sentences(question: str, text: str, passages: list) -> tuple[int, int]:
    """(junk sentences, sentences) of an answer, by the definition above."""
    from rag_app.answer.support import answer_sentences
    from rag_app.text.prose import non_prose_reason
    from rag_app.text.scripts import cjk_share
    from rag_app.text.words import content_words

    by_rank = {p.rank: p for p in passages}
    wanted = content_words(question)
    junk = total = 0
    for sentence in answer_sentences(text):
        bare = _MARKER.sub("", sentence).strip()
        if len(bare) < 2:
            continue
        total += 1
        cited = [by_rank[int(n)] for n in _MARKER.findall(sentence) if int(n) in by_rank]
        below = any(p.rank != 1 and not p.relevant for p in cited)
        # A table row is quoted as "header: row": judge the row, the part that answers.
        row = bare.rsplit(": ", 1)[-1] if ": " in bare else bare
        # A Chinese paraphrase shares no character pair with its answer by construction ("我饿了" ->
        # "苹果是…"): there the rank-1 passage's sentence, matched by meaning, addresses the question.
        by_meaning = cjk_share(question) >= 0.3 and any(p.rank == 1 for p in cited)
        unrelated = bool(wanted) and not (wanted & content_words(bare)) and not by_meaning
        # A table cell is often one word ("Helsinki", "asdfzxcv"): only the sentence's own form counts then.
        shape = non_prose_reason(bare) or (
            non_prose_reason(row) if non_prose_reason(row) != "heading" else None
        )
        junk += below or unrelated or shape is not None
    return junk, total


def cited_right_page(q: Question, outcome: Outcome) -> bool | None:
    """The first citation names the gold file (and page, where it has one); None when not applicable."""
    if not q.answerable or outcome.refused or not outcome.cited or not q.gold_sources:
        return None
    source, page = outcome.cited[0]
    return any(fnmatch.fnmatch(source or "", g) for g in q.gold_sources) and (
        q.gold_page is None or page == q.gold_page
    )


def summary(qs: QuestionSet, outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable and o.question.label != "underspecified"]
    top5 = [o for o in answerable if o.gold_rank is not None and o.gold_rank <= 5]
    top1 = [o for o in answerable if o.gold_rank == 1]
    pages = [r for o in answerable if (r := cited_right_page(o.question, o)) is not None]
    sentences = sum(o.sentences for o in outcomes)

    def share(items: list, test) -> float | None:
        return sum(map(test, items)) / len(items) if items else None

    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "gold_in_top5": len(top5),
        "gold_at_rank1": len(top1),
        "right_when_gold_first": share(top1, lambda o: o.right and not o.refused),
        "right_of_answerable": share(answerable, lambda o: o.right and not o.refused),
        "wrongly_refused": share(top5, lambda o: o.refused),
        "low_confidence_answerable": share(answerable, lambda o: o.low_confidence),
        "unanswerable": len(unanswerable),
        "unanswerable_refused": share(unanswerable, lambda o: o.refused),
        "unanswerable_low_confidence": share(unanswerable, lambda o: o.low_confidence),
        "unanswerable_answered_plainly": share(
            unanswerable, lambda o: not o.refused and not o.low_confidence
        ),
        "junk_rate": sum(o.junk for o in outcomes) / sentences if sentences else None,
        "citation_page_accuracy": sum(pages) / len(pages) if pages else None,
        "seconds_per_question": sum(o.seconds for o in outcomes) / len(outcomes) if outcomes else None,
    }
