"""What in a question points back into the conversation: pronouns, "that", elliptical openers, and
whether the question carries a topic of its own.

The lists were measured on MTRAG-UN's 332 answerable later turns (docs/benchmarks.md, "Conversations"):
a question with none of these and at least three content words is searched on its own, so a new topic
is not dragged back to the old one.
"""

from __future__ import annotations

import re

from rag_app.text.scripts import cjk_share
from rag_app.text.words import tokenize

ANAPHORA = frozenset(
    "it its itself they them their theirs themselves this these those he him his she her hers "
    "there former latter same such one ones".split()
)
# "that" points back only when it is not a conjunction or a relative: at the start, after a verb or
# preposition, not before a subject ("is that true", "what about that" but not "that I need").
_THAT = re.compile(
    r"(^|\b(?:is|was|about|of|for|on|in|with|do|does|did|like|mean|by)\s+)that\b"
    r"(?!\s+(?:i|you|we|they|he|she|it|the|a|an)\b)",
    re.I,
)
_ONE_IDIOM = re.compile(r"\bone of\b|\bno one\b|\bsomeone\b|\banyone\b", re.I)
ELLIPSIS = re.compile(
    r"^\s*(and|or|but|also|so|then|what about|how about|what if|same for|and if|and what|ok(?:ay)?,? and|"
    r"what else|anything else|any other|more about|tell me more|why not|how so|really|which one)\b",
    re.I,
)
# Words BM25 keeps that say nothing about a topic.
GENERIC = frozenset(
    "tell know please explain mean meant thanks thank ok okay oh yes yeah good great sure like also else "
    "much many get make need really think thing things way ways give example examples info information "
    "details detail kind kinds type types use used using work works say said well still another "
    "something anything cool nice interesting right correct help let us understand happen happens "
    "possible able go going see look find new lot lots best better difference different differences".split()
)
MIN_CONTENT_WORDS = 3
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
# Chinese: pronouns and demonstratives, and the openers and endings of an elliptical follow-up
# ("那周日呢？" "and on Sunday?").
_CJK_POINTS_BACK = re.compile(r"[它他她其]|这[个些里样]?|那[个些里样]")
_CJK_ELLIPSIS = re.compile(r"^\s*(那么?|还有|另外|那.{0,6}呢)|呢\s*[？?]?\s*$")


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(text)]


def topic_words(text: str) -> list[str]:
    """BM25's tokens of ``text`` without generic words and lone numbers (years stay)."""
    return [t for t in tokenize(text) if t not in GENERIC and (not t.isdigit() or len(t) == 4)]


def points_back(text: str) -> bool:
    """A pronoun or deictic that needs the conversation to be understood."""
    if cjk_share(text) >= 0.3:
        return bool(_CJK_POINTS_BACK.search(text))
    found = set(words(text))
    if _ONE_IDIOM.search(text):
        found.discard("one")
    return bool(found & ANAPHORA) or bool(_THAT.search(text))


def is_elliptical(text: str) -> bool:
    if cjk_share(text) >= 0.3:
        return bool(_CJK_ELLIPSIS.search(text))
    return bool(ELLIPSIS.match(text))


def stands_alone(text: str) -> bool:
    """A question that carries its own topic: nothing points back, no elliptical opener, and enough
    content words. CJK questions count their character pairs."""
    return not points_back(text) and not is_elliptical(text) and len(topic_words(text)) >= MIN_CONTENT_WORDS
