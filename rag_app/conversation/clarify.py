"""Questions that cannot be tied to anything: ask back instead of guessing.

Three rules, measured on MTRAG-UN (docs/benchmarks.md, "Conversations"): they flag 48.7% of its 78
underspecified turns and 3.5% of its 285 answerable ones (the word lists were written after reading
the underspecified questions, so expect less on other conversations):

- a first question with a pronoun ("Did it win?") or with this/these/those, and little else in it
  (fewer than three topic words: "where does Doctor Strange get his powers" explains its "his");
- "this/that/these/those" + a noun that no earlier turn mentions ("How much does this plan cost?");
- "the" + a noun naming one of many (actor, country, company, plan ...) that no earlier question
  names ("When did the company go public?").
The last two apply to follow-ups only: a first question has no earlier turn to have named anything.
"""

from __future__ import annotations

import re
from typing import Any

from rag_app.conversation.words import topic_words, words

DEMONSTRATIVE = frozenset("this that these those".split())
NOT_NOUN = frozenset(
    "is are was were be been being has have had do does did can could will would should may might must "
    "means mean meant one ones of in on at for to and or but with by from as if when where how what why "
    "which who that this it its a an the i you we they he she my your our their so very much many way "
    "time all too also just only still about really right sounds seems looks makes made happens happened "
    "work works not correct true good great different same kind sort type".split()
)
PRONOUN = frozenset("it its they them their he him his she her".split())
_EXPLETIVE = re.compile(
    r"\b(it\s+is|it's|is\s+it|it\s+was|was\s+it|it\s+seems|make\s+it|it\s+take|does\s+it\s+take)\b", re.I
)
KIND = frozenset(
    "actor actress singer player author writer character president king queen astronaut artist band team "
    "country city county state town village province nation island "
    "company firm organization organisation department office agency court clinic library park school "
    "university hospital museum restaurant chain store bank partner "
    "show series movie film song album book novel game episode season sitcom "
    "product app application device model brand plan card fund policy program programme mission "
    "hurricane storm war battle event championship tournament cup festival".split()
)
SELF_CONTAINED = 3
"""Topic words with which a first question explains its own pronouns."""
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")


def _stem(word: str) -> str:
    word = word.lower().replace("’", "'").removesuffix("'s").strip("'")
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _demonstrative_nouns(question: str) -> list[str]:
    """The head noun of each "this/that/these/those W1 [W2 [W3]]"."""
    ws = words(question)
    out = []
    for i, w in enumerate(ws[:-1]):
        if w in DEMONSTRATIVE and ws[i + 1] not in NOT_NOUN and not ws[i + 1].endswith("ly"):
            run = []
            for x in ws[i + 1 : i + 4]:
                if x in NOT_NOUN:
                    break
                run.append(x)
            out.append(run[-1])
    return out


def _kind_nouns(question: str) -> list[str]:
    ws = words(question)
    out = []
    for i, w in enumerate(ws[:-1]):
        if w == "the":
            for x in ws[i + 1 : i + 4]:
                if x in KIND or _stem(x) in KIND:
                    out.append(x)
                    break
                if x in NOT_NOUN:
                    break
    return out


def unresolved(
    question: str, earlier_questions: list[str], earlier_answers: list[str], found: str = ""
) -> str | None:
    """What the question refers to without anything to tie it to (e.g. "it", "this plan", "the
    company"), or None when it can be understood. A noun the best passages name (``found``) is tied to
    the documents: "the library" in a knowledge base about one library is no riddle."""
    # Words of capitalised names in the question ("the Apple card"), the question's first word aside.
    named = {_stem(w) for m in _CAPITALISED.finditer(question) if m.start() > 0 for w in m.group(0).split()}
    asked = {_stem(w) for t in earlier_questions for w in words(t)}
    documents = {_stem(w) for w in words(found)}
    said = asked | documents | {_stem(w) for t in earlier_answers for w in words(t)}
    if not earlier_questions:
        # Alone, a question may carry what its pronoun means ("where does Doctor Strange get his
        # powers"): only a question with little else in it is a riddle ("Did it win the cup?").
        if len(topic_words(question)) >= SELF_CONTAINED:
            return None
        pronouns = set(words(_EXPLETIVE.sub(" ", question))) & PRONOUN
        demonstratives = set(words(question)) & (DEMONSTRATIVE - {"that"})
        if pronouns or demonstratives:
            return sorted(pronouns or demonstratives)[0]
        return None
    for noun in _demonstrative_nouns(question):
        if _stem(noun) not in said and _stem(noun) not in named:
            return f"this {noun}"
    for noun in _kind_nouns(question):
        if _stem(noun) not in asked | documents and _stem(noun) not in named:
            return f"the {noun}"
    return None


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
MAX_CANDIDATES = 3


def candidates(passages: list[Any]) -> list[str]:
    """Names the best passages hold (capitalised spans, not a sentence's first word), most frequent
    first: what the person may have meant."""
    counts: dict[str, int] = {}
    for p in passages[:5]:
        for match in _NAME.finditer(p.text):
            name = match.group(0)
            if name.lower() not in NOT_NOUN and len(name) > 2:
                counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: (-counts[n], n))[:MAX_CANDIDATES]


def clarifying_question(target: str, passages: list[Any]) -> str:
    """A short question back, naming what the documents hold that the question may refer to."""
    names = candidates(passages)
    if len(names) >= 2:
        options = ", ".join(f"“{n}”" for n in names[:-1]) + f" or “{names[-1]}”"
        return (
            f"Which do you mean by “{target}”: {options}? Ask again with the name and I will search for it."
        )
    return f"What do you mean by “{target}”? Ask again with its name and I will search for it."
