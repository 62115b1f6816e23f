"""Answers on the documents people bring, not on one benchmark: four sets (the fixture PDFs and sample
documents with our own questions, ClapNQ, SEC 10-Q filings, MTRAG-UN's questions alone), every backend on
the same retrieved passages: the extractive answer (the default), the bundled SmolLM2 with the sentence
check, and the naive LangChain chain (retriever | "stuff" prompt | the same SmolLM2, nothing checked).

For each: answered with the gold, wrongly refused (gold passage in the top 5, refused), what happens to the
unanswerable questions (refused / marked low confidence / answered plainly), the junk rate, the citation's
page and time per question. Also writes every question's signals (best cosine, the best sentence's words
and cosine) to docs/bench/answer_signals.json, from which the gate's thresholds were chosen.

Run: .venv/bin/python benchmarks/eval_answers.py [--sets own,clapnq,sec,mtrag] [--llm-limit N] [--cache DIR]
     [--keep-others] (the sets not run keep their last saved figures, with their run date)
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import time
from pathlib import Path

from answer_metrics import Outcome, holds_gold, junk_sentences, summary
from answer_sets import SETS, QuestionSet
from common import RESULTS, save

REFUSAL = re.compile(
    r"do not seem to contain|do not contain|not (?:mentioned|provided|stated)|I (?:don't|do not) know", re.I
)
BACKENDS = ("extractive (default)", "SmolLM2 + check", "naive LangChain chain")


def service_for(qs: QuestionSet, cache: Path):
    from rag_app.service import RagService
    from rag_app.settings import Settings

    service = RagService(Settings(store_dir=cache / qs.name, llm="none"))
    if not service.documents():
        started = time.perf_counter()
        report = service.ingest(qs.documents)
        print(
            f"{qs.name}: indexed {report.indexed_chunks} chunks in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return service


def naive_chain(retriever, model):
    """The pattern a LangChain tutorial teaches: retriever | "stuff" prompt | LLM, nothing checked."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough

    prompt = ChatPromptTemplate.from_template(
        "Answer the question based only on the following context:\n{context}\n\nQuestion: {question}"
    )
    context = retriever | (lambda docs: "\n\n".join(d.page_content for d in docs))
    return {"context": context, "question": RunnablePassthrough()} | prompt | model | StrOutputParser()


def outcome(qs, q, answer, retrieval, gold_rank, seconds) -> Outcome:
    junk, sentences = (0, 0) if answer.refused else junk_sentences(q.text, answer.text, retrieval.passages)
    if q.gold_phrases or q.gold_sentences or q.figures:
        right = not answer.refused and holds_gold(qs, q, answer.text)
    else:  # free-text reference answers (MTRAG-UN, SEC without key figures): a gold document is cited
        right = not answer.refused and any(
            fnmatch.fnmatch(c.source or "", g) for c in answer.citations for g in q.gold_sources
        )
    return Outcome(
        q,
        answer.text,
        answer.refused,
        answer.low_confidence,
        [(c.source, c.page) for c in answer.citations],
        gold_rank,
        right,
        junk,
        sentences,
        seconds,
    )


def run_set(qs: QuestionSet, cache: Path, llm_limit: int) -> tuple[dict, list[dict]]:
    from rag_app.answer.extractive import score_units
    from rag_app.answer.llm import parse_backend
    from rag_app.answer.pipeline import AnswerPipeline

    service = service_for(qs, cache)
    extractive = service.answer_pipeline
    smol = parse_backend("smollm2")
    checked = AnswerPipeline(smol, sentence_vectors=extractive.sentence_vectors)
    naive = naive_chain(service.retriever(k=4), smol.model) if smol.model is not None else None
    rows: dict[str, list[Outcome]] = {name: [] for name in BACKENDS}
    signals = []
    for number, q in enumerate(qs.questions):
        retrieval = service.query(q.text)
        gold_rank = next(
            (p.rank for p in retrieval.passages if qs.is_gold_passage(q, p.source, p.page, p.text)), None
        )
        started = time.perf_counter()
        answer = extractive.answer(retrieval)
        rows[BACKENDS[0]].append(outcome(qs, q, answer, retrieval, gold_rank, time.perf_counter() - started))
        # the vectors of the model that scored the passages (the multilingual one for a Chinese question)
        scored = score_units(q.text, retrieval, retrieval.sentence_vectors or extractive.sentence_vectors)
        best = scored[0] if scored else None
        signals.append(
            {
                "set": qs.name,
                "q": q.text,
                "label": q.label,
                "answerable": q.answerable,
                "gold_rank": gold_rank,
                "evidence": retrieval.evidence,
                "best_cosine": retrieval.best_score,
                "rank1_cosine": retrieval.passages[0].score if retrieval.passages else None,
                "best_words": best.lexical if best else None,
                "best_sentence_cosine": best.semantic if best else None,
                "right": rows[BACKENDS[0]][-1].right,
            }
        )
        if number < llm_limit and smol.model is not None:
            started = time.perf_counter()
            answer = checked.answer(retrieval)
            rows[BACKENDS[1]].append(
                outcome(qs, q, answer, retrieval, gold_rank, time.perf_counter() - started)
            )
            started = time.perf_counter()
            text = naive.invoke(q.text)
            seconds = time.perf_counter() - started
            refused = bool(REFUSAL.search(text))
            junk, sentences = junk_sentences(q.text, text, [])
            right = not refused and holds_gold(qs, q, text)
            rows[BACKENDS[2]].append(
                Outcome(q, text, refused, False, [], gold_rank, right, junk, sentences, seconds)
            )
        if number % 100 == 0:
            print(f"{qs.name}: {number}/{len(qs.questions)}", flush=True)
    return {name: summary(qs, outcomes) for name, outcomes in rows.items() if outcomes}, signals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="own,clapnq,sec,mtrag")
    parser.add_argument(
        "--llm-limit", type=int, default=60, help="questions per set for the SmolLM2 backends"
    )
    parser.add_argument(
        "--cache", type=Path, default=Path("/tmp/rag-answer-stores"), help="stores kept between runs"
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=0,
        help="at most N questions per set, evenly spaced (keeps each set's mix)",
    )
    parser.add_argument(
        "--keep-others",
        action="store_true",
        help="keep the figures of the sets not run from the last saved run (each set's run date is shown)",
    )
    args = parser.parse_args()
    results, signals, when = {}, [], {}
    saved = RESULTS / "eval_answers.json"
    if args.keep_others and saved.exists():
        earlier = json.loads(saved.read_text())
        for name, by_backend in earlier["sets"].items():
            results[name] = by_backend
            when[name] = earlier.get("when_by_set", {}).get(name, earlier["when"])
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for name in args.sets.split(","):
        qs = SETS[name]()
        if args.sample and len(qs.questions) > args.sample:
            step = len(qs.questions) / args.sample
            qs.questions = [qs.questions[int(i * step)] for i in range(args.sample)]
        results[name], found = run_set(qs, args.cache, args.llm_limit)
        when[name] = now
        signals += found
        print(json.dumps(results[name], indent=1), flush=True)
    signals_file = RESULTS / "answer_signals.json"
    if args.keep_others and signals_file.exists():
        run = set(args.sets.split(","))
        signals = [s for s in json.loads(signals_file.read_text()) if s["set"] not in run] + signals
    signals_file.write_text(json.dumps(signals, ensure_ascii=False, indent=0))
    meta = {"sets": results, "llm_limit": args.llm_limit, "sample": args.sample, "when_by_set": when}
    save("eval_answers", meta, report(results, args.llm_limit, when))


def _pct(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def report(results: dict, llm_limit: int, when: dict[str, str]) -> str:
    rows = []
    latest = max(when.values(), default="")
    for name, by_backend in results.items():
        # A set kept from an earlier run (--keep-others) says when it ran.
        label = name if when.get(name, latest) == latest else f"{name} (run {when[name]})"
        for backend, m in by_backend.items():
            rows.append(
                f"| {label} | {backend} | {m['questions']} | {_pct(m['right_when_gold_first'])} "
                f"({m['gold_at_rank1']}) | {_pct(m['wrongly_refused'])} ({m['gold_in_top5']}) | "
                f"{_pct(m['unanswerable_refused'])} / {_pct(m['unanswerable_low_confidence'])} / "
                f"{_pct(m['unanswerable_answered_plainly'])} ({m['unanswerable']}) | {_pct(m['junk_rate'])} | "
                f"{_pct(m['citation_page_accuracy'])} | {_pct(m['low_confidence_answerable'])} | "
                f"{m['seconds_per_question']:.2f} s |"
            )
    return f"""
### Answers on four sets (`benchmarks/eval_answers.py`)

Every backend answers from the same retrieved passages (top 5, the app's default retrieval). "Right when the
gold is first": of the answerable questions whose gold passage is ranked first (their count in brackets), the
share answered (not refused) with the gold (own set: the gold phrase; ClapNQ: most of a sentence the reviewed
answer draws on; SEC: a key figure of the reviewed answer, or for the questions whose answer has none, a
matching filing cited; MTRAG-UN: a reference passage cited, since its reference answers are free text). "Wrongly refused": of the answerable questions whose gold passage is in the
top 5, the share refused. Unanswerable: refused / marked low confidence / answered plainly. Junk: answer
sentences from a passage under the relevance line that is not rank 1, sharing no content word with the
question, or not prose (headings, page headers, lone numbers, markup, filler). Page: the first citation names
the gold file and page. SmolLM2 backends ran on the first {llm_limit} questions of each set.

| set | backend | questions | right when the gold is first | wrongly refused | unanswerable: refused / low confidence / plain | junk | page | answerable marked low confidence | time |
|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}
"""


if __name__ == "__main__":
    main()
