"""The SEC 10-Q set (../shared/eval/sec-10q): 20 real quarterly filings, 195 analyst questions.

There are no page numbers, so a passage is a hit for a question when it comes from a filing the
question's `Source Docs` pattern matches and it holds one of the key figures of the reviewed answer
(amounts and percentages such as `$82,959 million`, normalised for `$`, commas and units); for an
answer without such figures, a passage from a matching filing is a hit.
"""

from __future__ import annotations

import csv
import fnmatch
import re
from dataclasses import dataclass

from common import EVAL

SEC = EVAL / "sec-10q"
_AMOUNT = re.compile(
    r"(\$\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?%|\d[\d,]*(?:\.\d+)?\s(?:million|billion))"
)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class Question:
    text: str
    pattern: str
    kind: str  # "Text" or "Table"
    figures: frozenset[str]


def normalise(number: str) -> str:
    digits = number.replace(",", "")
    return digits[:-2] if digits.endswith(".0") else digits


def key_figures(answer: str) -> frozenset[str]:
    answer = answer.split("SOURCE")[0]
    return frozenset(normalise(_NUMBER.search(m).group(0)) for m in _AMOUNT.findall(answer))


def load_questions() -> list[Question]:
    with (SEC / "qna_data.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    return [
        Question(
            r["Question"], r["Source Docs"].strip(), r["Source Chunk Type"].strip(), key_figures(r["Answer"])
        )
        for r in rows
    ]


def documents() -> list:
    return sorted((SEC / "docs").glob("*.pdf"))


def is_hit(question: Question, source: str, text: str) -> bool:
    if not fnmatch.fnmatch(source, question.pattern):
        return False
    if not question.figures:
        return True
    return bool(question.figures & {normalise(n) for n in _NUMBER.findall(text)})


def metrics(results: list[list[tuple[str, str]]], questions: list[Question], seconds: float) -> dict:
    """hit@1, hit@5 and MRR@10 for Text and Table questions; ``results``: (source, text) per rank."""
    out = {}
    for kind in ("Text", "Table"):
        pairs = [(r, q) for r, q in zip(results, questions, strict=True) if q.kind == kind]
        ranks = []
        for ranked, question in pairs:
            hit = next(
                (i for i, (source, text) in enumerate(ranked[:10]) if is_hit(question, source, text)), None
            )
            ranks.append(hit)
        n = len(pairs)
        out[kind] = {
            "n": n,
            "hit@1": sum(r == 0 for r in ranks) / n,
            "hit@5": sum(r is not None and r < 5 for r in ranks) / n,
            "MRR@10": sum(1 / (r + 1) for r in ranks if r is not None) / n,
        }
    out["qps"] = len(questions) / seconds
    return out
