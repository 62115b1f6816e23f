"""Tokens for BM25 (the store's SQLite FTS5 index) and word overlap, for every script we read.

Latin text: lower-cased word tokens without stopwords. CJK text (Chinese, Japanese kana,
Korean) has no spaces, so every character and every pair of adjacent characters is a token
(the usual unigram + bigram scheme).
"""

from __future__ import annotations

import re

from rag_app.text.scripts import CJK_RUN

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Function words carry no topic; left in, "to" or "what" in a question ranks passages by accident.
STOPWORDS = frozenset(
    (
        "a about above after again against all am an and any are as at be because been before being "
        "below between both but by can could did do does doing down during each few for from further "
        "had has have having he her here hers herself him himself his how i if in into is it its itself "
        "just me more most my myself no nor not now of off on once only or other our ours ourselves out "
        "over own s same she should so some such t than that the their theirs them themselves then "
        "there these they this those through to too under until up very want wants was we were what "
        "when where which while who whom why will with would you your yours yourself yourselves "
    ).split()
)


def tokenize(text: str) -> list[str]:
    text = text.lower()
    tokens: list[str] = []
    for run in CJK_RUN.findall(text):
        tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    tokens.extend(w for w in _WORD.findall(CJK_RUN.sub(" ", text)) if w not in STOPWORDS)
    return tokens
