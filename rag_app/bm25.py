"""A small, fast BM25 (Okapi) over an inverted index, with tokenisation that works for Chinese.

Latin text: lower-cased word tokens. CJK text has no spaces, so every character and every
pair of adjacent characters is a token (the usual unigram + bigram scheme).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
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
    for run in _CJK_RUN.findall(text):
        tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    tokens.extend(w for w in _WORD.findall(_CJK_RUN.sub(" ", text)) if w not in STOPWORDS)
    return tokens


class BM25Index:
    def __init__(self, texts: Sequence[str], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.size = len(texts)
        lengths = np.zeros(self.size, dtype=np.float32)
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc, text in enumerate(texts):
            counts = Counter(tokenize(text))
            lengths[doc] = sum(counts.values())
            for token, tf in counts.items():
                postings[token].append((doc, tf))
        avg = float(lengths.mean()) if self.size else 1.0
        self._norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        self._postings = {
            token: (
                np.fromiter((d for d, _ in p), np.int64, len(p)),
                np.fromiter((t for _, t in p), np.float32, len(p)),
            )
            for token, p in postings.items()
        }

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for token in set(tokenize(query)):
            posting = self._postings.get(token)
            if posting is None:
                continue
            docs, tf = posting
            idf = math.log(1 + (self.size - len(docs) + 0.5) / (len(docs) + 0.5))
            out[docs] += idf * tf * (self.k1 + 1) / (tf + self._norm[docs])
        return out

    def top(self, query: str, n: int) -> list[tuple[int, float]]:
        """(position, score) of the best ``n`` documents with a positive score."""
        scores = self.scores(query)
        n = min(n, self.size)
        if n <= 0:
            return []
        best = np.argpartition(-scores, n - 1)[:n]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(i), float(scores[i])) for i in best if scores[i] > 0]
