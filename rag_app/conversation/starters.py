"""Example questions drawn from what is indexed: what a person meets first should say what to ask.

No model writes them (the default app has none): a sentence that states what something is, or when
something happens, is turned back into the question it answers ("Gravity is a force ..." -> "What is
gravity?", "The library opens at nine ..." -> "When does the library open?", "长城是古代中国修建的防御
工程" -> "长城是什么？"). A question is offered only when the app, asked it, ranks the sentence's own
document first, so every example shown is one the app answers from that document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import zip_longest

import numpy as np

from rag_app.store import KnowledgeStore

SAMPLE = 256
CANDIDATES = 64
"""Passages looked at: those nearest the centre of a sample of the store (typical of it, not fringe)."""

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*|\s*\n\s*(?=[A-Z#\u4e00-\u9fff])")
"""Sentence ends, and line breaks before a capital (a heading is a line of its own, never a sentence's
start; a PDF's wrapped line goes on in lower case)."""
_ARTICLE = r"(?:(?P<article>The|A|An) )?"
_SUBJECT = r"(?P<subject>[A-Za-z][\w'-]*(?: (?:of )?[\w'-]+){0,4}?)"
_IS = re.compile(rf"^{_ARTICLE}{_SUBJECT} (?P<verb>is|are) (?P<rest>.+)$")
_HAPPENS = re.compile(
    rf"^{_ARTICLE}{_SUBJECT} (?P<verb>opens|closes|starts|begins|ends|leaves|arrives|runs) "
    r"(?:at|on|in|from|every|each|daily|until)\b"
)
_PARTICIPLE = re.compile(r"^(made|built|used|grown|kept|stored|brewed|steeped|cooked|written|found) ")
_ZH_IS = re.compile(r"^(?P<subject>[\u4e00-\u9fff]{1,8})是")
_DE_IS = re.compile(r"^(?:(?:Der|Die|Das|Ein|Eine) )?(?P<subject>[A-ZÄÖÜ][\wäöüß-]+) ist ")
_BASE = {"opens": "open", "closes": "close", "starts": "start", "begins": "begin", "ends": "end"}
_BASE |= {"leaves": "leave", "arrives": "arrive", "runs": "run"}
_TOO_VAGUE = {"it", "this", "that", "these", "those", "there", "here", "he", "she", "they", "we", "you"}
_TOO_VAGUE |= {"which", "what", "one", "each", "every", "all", "some", "many", "most", "any", "no", "such"}


@dataclass(frozen=True)
class Starter:
    question: str
    source: str


def question_for(sentence: str, context: str = "") -> str | None:
    """The question a stating sentence answers; None for any other sentence. ``context``, the text
    around it, tells a name (written with its capital inside a sentence) from a common noun."""
    sentence = " ".join(sentence.split())
    if not 12 <= len(sentence) <= 300 or not (sentence[0].isupper() or "\u4e00" <= sentence[0] <= "\u9fff"):
        return None
    if m := _ZH_IS.match(sentence):
        return f"{m['subject']}是什么？"
    if m := _DE_IS.match(sentence):
        return f"Was ist {m['subject']}?"
    if m := _HAPPENS.match(sentence):
        subject = _noun(m, context or sentence)
        return f"When does {subject} {_BASE[m['verb']]}?" if subject else None
    if m := _IS.match(sentence):
        subject = _noun(m, context or sentence)
        if not subject:
            return None
        if participle := _PARTICIPLE.match(m["rest"]):
            return f"How {m['verb']} {subject} {participle[1]}?"
        return f"What {m['verb']} {subject}?"
    return None


def _noun(m: re.Match[str], context: str) -> str | None:
    subject = m["subject"]
    first = subject.split()[0]
    if first.lower() in _TOO_VAGUE:
        return None
    if m["article"] is None and not _is_name(first, context):
        subject = first[0].lower() + subject[1:]  # "Gravity is ..." asks about gravity
    return f"{m['article'].lower()} {subject}" if m["article"] else subject


def _is_name(word: str, context: str) -> bool:
    """An acronym, a word with a capital inside, or one written with its capital inside a sentence
    ("... is Beijing."): a name, kept as written."""
    if word[:2].isupper() or any(c.isupper() for c in word[1:]):
        return True
    for found in re.finditer(rf"\b{re.escape(word)}\b", context):
        before = context[: found.start()].rstrip(" \t")
        if before and before[-1] not in ".!?:\"'(\n#":
            return True
    return False


def candidates(store: KnowledgeStore) -> list[Starter]:
    """Questions from the store's most typical passages, one list, best passages first."""
    if len(store) == 0:
        return []
    _lengths, vectors = store.sample(SAMPLE)
    if len(vectors) == 0:
        return []
    centre = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    found: list[Starter] = []
    for hit in store.search(centre, CANDIDATES):
        source = hit.chunk.metadata.get("source")
        for sentence in _SENTENCE.split(hit.chunk.text):
            question = question_for(sentence, hit.chunk.text)
            if question and source and question not in {s.question for s in found}:
                found.append(Starter(question, source))
    return found


def pick(
    found: Sequence[Starter], answers_from: Callable[[str], str | None], count: int = 4, tries: int = 12
) -> list[str]:
    """Up to ``count`` questions, one document at a time, each kept only if ``answers_from(question)``
    (the source the app ranks first) is its own document."""
    by_source: dict[str, list[Starter]] = {}
    for starter in found:
        by_source.setdefault(starter.source, []).append(starter)
    rounds = zip_longest(*by_source.values())  # each document's first, then each one's second, ...
    order = [s for group in rounds for s in group if s is not None]
    chosen: list[str] = []
    for starter in order[:tries]:
        if answers_from(starter.question) == starter.source:
            chosen.append(starter.question)
            if len(chosen) == count:
                break
    return chosen
