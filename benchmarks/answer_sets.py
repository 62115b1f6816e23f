"""The question sets of the answer benchmark, each as documents to index and questions with their gold.

- ``own``: the fixture PDFs and sample documents a person would try first, with this project's own
  questions (tests/fixtures/own_documents_questions.json: page and gold phrase per question).
- ``clapnq``: ClapNQ dev, 600 Wikipedia passages; 300 answerable questions (gold: the passage and the
  sentences its reviewed answer draws on) and 300 unanswerable ones.
- ``sec``: 20 SEC 10-Q filings; 195 analyst questions (gold: a matching filing and a key figure of the
  reviewed answer).
- ``mtrag``: MTRAG-UN, 1,152 passages; 507 conversation turns, asked here as the current question alone
  (gold: the turn's reference passages; labels answerable / partial / unanswerable / underspecified).
"""

from __future__ import annotations

import fnmatch
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sec10q
from common import EVAL, PDFS, ROOT

OWN_QUESTIONS = ROOT / "tests" / "fixtures" / "own_documents_questions.json"
SAMPLES = ROOT / "sample_docs"


@dataclass
class Question:
    text: str
    answerable: bool
    label: str = ""
    """The set's own label (MTRAG-UN: answerable, partial, unanswerable, underspecified; own: the kind)."""
    gold_sources: frozenset[str] = frozenset()
    """Files whose passages answer it (patterns for SEC)."""
    gold_page: int | None = None
    gold_phrases: tuple[str, ...] = ()
    """Any of these in the answer (compared without case and spacing) makes it right."""
    gold_sentences: tuple[str, ...] = ()
    """ClapNQ: the passage sentences the reviewed answer draws on."""
    figures: frozenset[str] = frozenset()
    """SEC: key figures of the reviewed answer, normalised."""
    history: list[dict[str, str]] = field(default_factory=list)


@dataclass
class QuestionSet:
    name: str
    documents: list[Path]
    questions: list[Question]

    def is_gold_passage(self, q: Question, source: str | None, page: int | None, text: str) -> bool:
        if self.name == "sec":
            return any(fnmatch.fnmatch(source or "", p) for p in q.gold_sources) and (
                not q.figures or bool(q.figures & {sec10q.normalise(n) for n in sec10q._NUMBER.findall(text)})
            )
        return source in q.gold_sources and (q.gold_page is None or page == q.gold_page)


def _folder(name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"answers-{name}-"))
    return folder


def own() -> QuestionSet:
    data = json.loads(OWN_QUESTIONS.read_text())
    documents = [
        (PDFS if kind == "fixtures" else SAMPLES) / name
        for kind, name in (d.split(":", 1) for d in data["documents"])
    ]
    questions = [
        Question(
            q["q"],
            q["file"] is not None,
            q["kind"],
            frozenset([q["file"]]) if q["file"] else frozenset(),
            q["page"],
            tuple(q["gold"]),
        )
        for q in data["questions"]
    ]
    return QuestionSet("own", documents, questions)


def clapnq() -> QuestionSet:
    folder = _folder("clapnq")
    questions, first_name = [], {}
    for name, answerable in (("clapnq_dev_answerable.jsonl", True), ("clapnq_dev_unanswerable.jsonl", False)):
        for line in (EVAL / "clapnq" / name).read_text().splitlines():
            item = json.loads(line)
            passage = item["passages"][0]
            text = f"{passage['title']}\n{passage['text']}"
            file = first_name.setdefault(
                text, f"p{len(first_name):04d}.txt"
            )  # a repeated passage is one file
            (folder / file).write_text(text)
            sentences = (
                tuple(item["output"][0]["selected_sentences"]) if answerable and item["output"] else ()
            )
            questions.append(
                Question(
                    item["input"],
                    answerable,
                    "answerable" if answerable else "unanswerable",
                    frozenset([file]),
                    None,
                    (),
                    sentences,
                )
            )
    return QuestionSet("clapnq", [folder], questions)


def sec() -> QuestionSet:
    questions = [
        Question(q.text, True, q.kind, frozenset([q.pattern]), None, (), (), q.figures)
        for q in sec10q.load_questions()
    ]
    return QuestionSet("sec", sec10q.documents(), questions)


def mtrag() -> QuestionSet:
    folder = _folder("mtrag")
    files: dict[str, str] = {}
    questions = []
    for line in (EVAL / "mtrag-un" / "reference.jsonl").read_text().splitlines():
        item = json.loads(line)
        for context in item["contexts"]:
            doc = context["document_id"]
            if doc not in files:
                files[doc] = re.sub(r"[^A-Za-z0-9_.-]", "_", doc) + ".txt"
                (folder / files[doc]).write_text(context["text"].strip())
        label = item["answerability"][0].lower()
        turns = [
            {"role": "user" if t["speaker"] == "user" else "assistant", "content": t["text"]}
            for t in item["input"]
        ]
        questions.append(
            Question(
                turns[-1]["content"],
                label in ("answerable", "partial") and bool(item["contexts"]),
                label,
                frozenset(files[c["document_id"]] for c in item["contexts"]),
                history=turns[:-1],
            )
        )
    return QuestionSet("mtrag", [folder], questions)


SETS = {"own": own, "clapnq": clapnq, "sec": sec, "mtrag": mtrag}
