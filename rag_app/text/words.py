"""Tokens for BM25 (the store's SQLite FTS5 index) and word overlap, for every script we read.

Latin text: lower-cased word tokens without stopwords. CJK text (Chinese, Japanese kana,
Korean) has no spaces, so every character and every pair of adjacent characters is a token
(the usual unigram + bigram scheme).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

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


def fold(text: str) -> str:
    """One spelling for what is written several ways: NFKC (full-width letters and digits, ligatures),
    lower case, and traditional Chinese characters as simplified ones (OpenCC), so a question in one
    script finds a passage in the other (CMRC questions in traditional script: R@1 0.871 -> 0.973)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _to_simplified().convert(text) if CJK_RUN.search(text) else text


@functools.cache
def _to_simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def tokenize(text: str) -> list[str]:
    text = fold(text)
    tokens: list[str] = []
    for run in CJK_RUN.findall(text):
        tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    tokens.extend(w for w in _WORD.findall(CJK_RUN.sub(" ", text)) if w not in STOPWORDS)
    return tokens


# Question words and function words of the other languages people ask in, for telling what a question
# is about (never used for the index: BM25's tokens stay ``tokenize``'s).
_QUESTION_STOPWORDS = frozenset(
    (
        # English, beyond STOPWORDS: question and filler words that say nothing of the topic
        "tell also many much long often give let know please get like "
        # German
        "der die das den dem des ein eine einer einem einen eines und oder ist sind war wird werden "
        "was wer wie wo wann warum welche welcher welches heißt heisst bedeutet gibt es sich mit von "
        "zu im in auf für bei aus als auch nicht man kann können hat haben wenn dass ob noch nur "
        # French, Spanish, Italian, Dutch: the commonest
        "le la les un une des du de et ou est sont que qui quoi quand comment où pourquoi quel quelle "
        "el los las y es son qué quién cuándo cómo dónde por il lo gli che chi come dove perché "
        "het een en van wat wie wanneer hoe waar waarom"
    ).split()
)
# Function words of another language that are English content words too ("war", "die", "son", "man",
# "hat", "van", "dove", "chi", "come"): dropped only from a question that reads as that other language,
# so "What caused the war?" keeps its one content word and "Wann war die Mauer hoch?" still drops them.
_ENGLISH_WORDS_TOO = frozenset("war die man son hat van dove chi come".split())
# Words no English question has: one of them marks a question as another language.
_NOT_ENGLISH = frozenset(
    (
        "der das und ist sind wird werden wer wie wo wann warum welche welcher welches heißt heisst bedeutet "
        "gibt sich mit zu auf für bei aus auch nicht kann können haben wenn dass ob noch nur ein eine einer "
        "einem einen eines les une du est sont que qui quoi quand comment où pourquoi quel quelle los las es "
        "qué quién cuándo cómo dónde por gli che perché het een wat wanneer hoe waar waarom"
    ).split()
)
# CJK question particles and function characters: a pair made only of these says nothing of the topic.
_CJK_FUNCTION = frozenset("的了吗呢吧啊是在有和与或就都也还很么什怎哪谁几多少个些这那我你他她它们")
_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ness",
    "edly",
    "ies",
    "ied",
    "ed",
    "es",
    "ly",
    "s",
)


def stem(word: str) -> str:
    """A light stem for matching a question's words in a passage ("steeping" ~ "steep", "tracks" ~
    "track"): common English endings cut, never below four letters. Other scripts pass unchanged."""
    if not word.isascii() or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    # A silent final e goes too, so "price", "priced" and "prices" meet in "pric".
    return word[:-1] if word.endswith("e") and len(word) >= 5 else word


def content_words(text: str) -> set[str]:
    """What a text is about, as comparable terms: stemmed words without function words; for CJK,
    character pairs that are not made of function characters only (single characters only when the
    text has no such pair)."""
    terms: set[str] = set()
    singles: set[str] = set()
    tokens = tokenize(text)
    other_language = not _NOT_ENGLISH.isdisjoint(tokens)
    for token in tokens:
        if CJK_RUN.fullmatch(token):
            if len(token) == 1:
                singles.add(token)
            elif not set(token) <= _CJK_FUNCTION:
                terms.add(token)
        elif token not in _QUESTION_STOPWORDS or (token in _ENGLISH_WORDS_TOO and not other_language):
            terms.add(stem(token))
    if not any(CJK_RUN.fullmatch(t) for t in terms):
        terms |= {s for s in singles if s not in _CJK_FUNCTION}
    return terms


def question_coverage(question: str, passage: str) -> float:
    """Share of the question's terms found in the passage: words, and for CJK runs character pairs
    (single characters only when the question has no pair)."""
    tokens = tokenize(question)
    terms = {t for t in tokens if t.isascii() or len(t) > 1} or set(tokens)
    return len(terms & set(tokenize(passage))) / len(terms) if terms else 0.0
