"""The `none` backend: an answer made of the best sentences of the top passages, verbatim, cited."""

from __future__ import annotations

from rag_app.retrieval.results import Passage
from rag_app.text.sentences import split_sentences
from rag_app.text.words import tokenize


def extractive_answer(question: str, passages: list[Passage], max_sentences: int = 2) -> str:
    """Sentences copied exactly from the passages, ranked by word overlap with the question
    (ties go to the better-ranked passage), each followed by its passage's [n]."""
    wanted = set(tokenize(question))
    candidates = []
    for p in passages[:3]:
        for start, end in split_sentences(p.text):
            sentence = p.text[start:end].strip()
            if len(sentence) < 5:
                continue
            overlap = len(wanted & set(tokenize(sentence)))
            candidates.append((overlap, p.score, -p.rank, -start, sentence, p.rank))
    if not candidates:
        return ""
    candidates.sort(reverse=True)
    chosen = candidates[:max_sentences]
    return " ".join(f"{sentence} [{rank}]" for *_, sentence, rank in chosen)
