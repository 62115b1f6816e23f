"""Answer quality on ClapNQ dev (300 answerable questions with gold answers, 300 unanswerable), in the full RAG
setting: all 600 passages indexed as the app indexes text files, every question through the app's own answer
pipeline. Backends: the extractive answer; the bundled SmolLM2 with and without the sentence check; and, as the
anchor, the naive LangChain pattern (retriever | "stuff" prompt | the same SmolLM2; no gate, no check). Also the
CMRC 2018 trial with the extractive answer, and the calibration of the check's threshold and the answer floor.

Run: .venv/bin/python benchmarks/eval_answers.py [--limit N] [--cmrc-only]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from common import EVAL, RESULTS, save

REFUSAL = re.compile(
    r"do not seem to contain|do not contain|not (?:mentioned|provided|stated)|I (?:don't|do not) know", re.I
)


def lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        previous = 0
        for j, y in enumerate(b, start=1):
            previous, row[j] = row[j], previous + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over lower-cased word tokens."""
    c, r = re.findall(r"\w+", candidate.lower()), re.findall(r"\w+", reference.lower())
    if not c or not r:
        return 0.0
    hits = lcs(c, r)
    if not hits:
        return 0.0
    precision, recall = hits / len(c), hits / len(r)
    return 2 * precision * recall / (precision + recall)


def faithful_share(text: str, passages) -> tuple[int, int]:
    """(sentences supported by some retrieved passage, sentences): the check's rule against every passage."""
    from rag_app.answer.support import answer_sentences, check_sentence

    sentences = [s for s in answer_sentences(re.sub(r"\[\d{1,2}\]", "", text)) if len(s) > 3]
    return sum(check_sentence(s, passages).supported for s in sentences), len(sentences)


def clapnq() -> tuple[list[dict], Path]:
    """Questions, and a folder of the 600 passages as text files (title line and text, as in the reference)."""
    folder = Path(tempfile.mkdtemp()) / "clapnq"
    folder.mkdir()
    questions, first_name = [], {}
    for name, answerable in (("clapnq_dev_answerable.jsonl", True), ("clapnq_dev_unanswerable.jsonl", False)):
        for line in (EVAL / "clapnq" / name).read_text().splitlines():
            item = json.loads(line)
            passage = item["passages"][0]
            text = f"{passage['title']}\n{passage['text']}"
            digest = hashlib.sha256(text.encode()).hexdigest()
            file = f"p{len(questions):04d}.txt"
            (folder / file).write_text(text)
            gold = first_name.setdefault(
                digest, file
            )  # a duplicate passage is stored once, under its first name
            answer = item["output"][0]["answer"] if answerable and item["output"] else ""
            questions.append({"q": item["input"], "gold": gold, "answerable": answerable, "answer": answer})
    return questions, folder


def naive_chain(retriever, model):
    """The pattern a LangChain tutorial teaches: retriever | "stuff" prompt | LLM, nothing checked."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough

    prompt = ChatPromptTemplate.from_template(
        "Answer the question based only on the following context:\n{context}\n\nQuestion: {question}"
    )
    return (
        {
            "context": retriever | (lambda docs: "\n\n".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | model
        | StrOutputParser()
    )


def evaluate(questions: list[dict], answers: list[dict]) -> dict:
    """answers: {"text", "refused", "citations": [sources], "passages"} per question."""
    answerable = [(q, a) for q, a in zip(questions, answers, strict=True) if q["answerable"]]
    unanswerable = [(q, a) for q, a in zip(questions, answers, strict=True) if not q["answerable"]]
    supported = sentences = 0
    for _, a in zip(questions, answers, strict=True):
        if not a["refused"]:
            s, n = faithful_share(a["text"], a["passages"])
            supported, sentences = supported + s, sentences + n
    answered = [(q, a) for q, a in answerable if not a["refused"]]
    cited = [(q, a) for q, a in answered if a["citations"] is not None]
    return {
        "rouge_l": float(
            np.mean([0.0 if a["refused"] else rouge_l(a["text"], q["answer"]) for q, a in answerable])
        ),
        "faithfulness": supported / sentences if sentences else None,
        "citation_accuracy": (
            sum(bool(a["citations"]) and a["citations"][0] == q["gold"] for q, a in cited) / len(cited)
        )
        if cited
        else None,
        "refused_unanswerable": sum(a["refused"] for _, a in unanswerable) / len(unanswerable),
        "refused_answerable": sum(a["refused"] for _, a in answerable) / len(answerable),
    }


def run_clapnq(limit: int | None) -> dict:
    from rag_app.answer.llm import parse_backend
    from rag_app.answer.pipeline import AnswerPipeline
    from rag_app.answer.support import check_answer
    from rag_app.service import RagService
    from rag_app.settings import Settings

    questions, folder = clapnq()
    if limit:
        questions = questions[:limit] + questions[300 : 300 + limit]
    service = RagService(Settings(store_dir=Path(tempfile.mkdtemp()) / "store", llm="none"))
    service.ingest([folder])
    smol = parse_backend("smollm2")
    extractive = AnswerPipeline(parse_backend("none"))
    checked = AnswerPipeline(smol)
    naive = naive_chain(service.retriever(k=4), smol.model)
    rows: dict[str, list[dict]] = {
        k: [] for k in ("extractive", "smollm2 + check", "smollm2, no check", "naive LangChain")
    }
    seconds = dict.fromkeys(rows, 0.0)
    best_cosines = []
    for number, q in enumerate(questions):
        retrieval = service.query(q["q"])
        best_cosines.append(retrieval.best_score)
        started = time.perf_counter()
        answer = extractive.answer(retrieval)
        seconds["extractive"] += time.perf_counter() - started
        rows["extractive"].append(_row(answer, retrieval))
        started = time.perf_counter()
        draft, answer = "", None
        for kind, value in checked.stream(retrieval):
            draft += value if kind == "token" else ""
            answer = value if kind == "done" else answer
        seconds["smollm2 + check"] += time.perf_counter() - started
        seconds["smollm2, no check"] += time.perf_counter() - started
        rows["smollm2 + check"].append(_row(answer, retrieval))
        unchecked = {
            "text": draft,
            "refused": answer.refused,
            "passages": retrieval.passages,
            "citations": _cited_sources(check_answer(draft, retrieval.passages), retrieval.passages)
            if draft
            else [],
        }
        rows["smollm2, no check"].append(unchecked)
        started = time.perf_counter()
        text = naive.invoke(q["q"])
        seconds["naive LangChain"] += time.perf_counter() - started
        rows["naive LangChain"].append(
            {
                "text": text,
                "refused": bool(REFUSAL.search(text)),
                "citations": None,
                "passages": retrieval.passages,
            }
        )
        if number % 50 == 0:
            print(f"{number}/{len(questions)}", flush=True)
    results = {
        name: {**evaluate(questions, answers), "seconds_per_question": seconds[name] / len(questions)}
        for name, answers in rows.items()
    }
    answerable = np.array([c for c, q in zip(best_cosines, questions, strict=True) if q["answerable"]])
    unanswerable = np.array([c for c, q in zip(best_cosines, questions, strict=True) if not q["answerable"]])
    floor = float(np.percentile(answerable, 10))
    calibration = {
        "answer_floor_p10_of_answerable": floor,
        "unanswerable_under_that_floor": float((unanswerable < floor).mean()),
        "support": support_calibration(),
    }
    return {"results": results, "calibration": calibration, "questions": len(questions)}


def _row(answer, retrieval) -> dict:
    return {
        "text": answer.text,
        "refused": answer.refused,
        "passages": retrieval.passages,
        "citations": [c.source for c in answer.citations],
    }


def _cited_sources(checks, passages) -> list[str]:
    from rag_app.answer.citations import citations_for

    return [c.source for c in citations_for(checks, passages)]


def support_calibration() -> dict:
    """How the check's threshold was set: the gold answers' sentences against their own passage (should pass)
    and against the passage sharing most words with them that is not theirs (should not)."""
    from rag_app.answer.support import SUPPORT_THRESHOLD, answer_sentences, check_sentence
    from rag_app.retrieval.results import Passage
    from rag_app.text.words import tokenize

    items = [
        json.loads(line)
        for line in (EVAL / "clapnq" / "clapnq_dev_answerable.jsonl").read_text().splitlines()
    ]
    texts = [f"{i['passages'][0]['title']}\n{i['passages'][0]['text']}" for i in items]
    tokens = [set(tokenize(t)) for t in texts]
    own = other = total = 0
    for index, item in enumerate(items):
        for sentence in answer_sentences(item["output"][0]["answer"]):
            if len(sentence) < 15:
                continue
            words = set(tokenize(sentence))
            rival = max((j for j in range(len(texts)) if j != index), key=lambda j: len(words & tokens[j]))
            total += 1
            own += check_sentence(sentence, [Passage(1, 1.0, texts[index], "own", None, "own")]).supported
            other += check_sentence(
                sentence, [Passage(1, 1.0, texts[rival], "rival", None, "rival")]
            ).supported
    return {
        "threshold": SUPPORT_THRESHOLD,
        "sentences": total,
        "pass_against_own": own / total,
        "pass_against_closest_other": other / total,
    }


def run_cmrc(limit: int | None) -> dict:
    from rag_app.service import RagService
    from rag_app.settings import Settings

    data = json.loads((EVAL / "cmrc2018" / "cmrc2018_trial.json").read_text())
    folder = Path(tempfile.mkdtemp()) / "cmrc"
    folder.mkdir()
    questions = []
    for number, paragraph in enumerate(p for a in data["data"] for p in a["paragraphs"]):
        (folder / f"c{number:04d}.txt").write_text(paragraph["context"])
        questions += [(qa["question"], [a["text"] for a in qa["answers"]]) for qa in paragraph["qas"]]
    questions = questions[:limit] if limit else questions
    service = RagService(Settings(store_dir=Path(tempfile.mkdtemp()) / "store", llm="none"))
    service.ingest([folder])
    contains = refused = 0
    for question, golds in questions:
        answer = service.answer(question)
        refused += answer.refused
        contains += any(g in answer.text for g in golds)
    return {
        "questions": len(questions),
        "contains_gold_span": contains / len(questions),
        "refused": refused / len(questions),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--limit", type=int, help="first N answerable and N unanswerable questions (and N CMRC)"
    )
    parser.add_argument(
        "--cmrc-only",
        action="store_true",
        help="rerun the CMRC trial only; keep the ClapNQ results of docs/bench/eval_answers.json",
    )
    args = parser.parse_args()
    if args.cmrc_only:
        clap = json.loads((RESULTS / "eval_answers.json").read_text())["clapnq"]
    else:
        clap = run_clapnq(args.limit)
    cmrc = run_cmrc(args.limit)
    save("eval_answers", {"clapnq": clap, "cmrc": cmrc}, report(clap, cmrc))


def report(clap: dict, cmrc: dict) -> str:
    def fmt(value) -> str:
        return "-" if value is None else f"{value:.3f}"

    rows = "\n".join(
        f"| {name} | {fmt(m['rouge_l'])} | {fmt(m['faithfulness'])} | {fmt(m['citation_accuracy'])} | "
        f"{m['refused_unanswerable']:.1%} | {m['refused_answerable']:.1%} | {m['seconds_per_question']:.2f} s |"
        for name, m in clap["results"].items()
    )
    c, s = clap["calibration"], clap["calibration"]["support"]
    return f"""
### Answers (`benchmarks/eval_answers.py`)

ClapNQ dev, {clap["questions"]} questions (half answerable, half not), all 600 passages indexed as the app indexes text
files; every backend gets the same retrieved passages. ROUGE-L F1 against the gold answers (answerable questions; a
refusal scores 0). Faithfulness: share of the answer sentences that a retrieved passage supports (every number and
name in it found there, and at least {s["threshold"]} of its words; the rule of `rag_app/verify.py`, here against every
retrieved passage, not only the cited one). Citation accuracy: the first cited passage is the gold one (answered,
answerable questions). Refusals: the share of each kind of question answered "the documents do not seem to contain it".

| backend | ROUGE-L | faithfulness | citation accuracy | refused, unanswerable | refused, answerable | time per question |
|---|---|---|---|---|---|---|
{rows}

CMRC 2018 trial with the extractive answer ({cmrc["questions"]} questions): the answer contains the gold span for
**{cmrc["contains_gold_span"]:.1%}**; {cmrc["refused"]:.1%} refused.

Calibration. The check's threshold ({s["threshold"]}): of {s["sentences"]} gold answer sentences, {s["pass_against_own"]:.1%}
pass against their own passage and {s["pass_against_closest_other"]:.1%} against the passage sharing most words with
them that is not theirs. The answer floor is the 10th percentile of the best cosine of the answerable questions,
**{c["answer_floor_p10_of_answerable"]:.3f}**: it refuses {c["unanswerable_under_that_floor"]:.1%} of the unanswerable ones.
"""


if __name__ == "__main__":
    main()
