"""Follow-up questions on MTRAG-UN's human conversations: what each way of searching finds.

All 1,152 reference passages indexed as text files (the store `eval_answers.py --sets mtrag` builds, reused
from ``--cache``). For every answerable or partial turn with reference passages: recall@5 (share of its
reference passages in the top 5) and hit@5 (at least one), for

- (a) the current question alone (the app before conversations),
- (b) the app's default: the question with the conversation (``RagService.query(question, history=...)``),
- (c) the default plus the bundled SmolLM2's standalone rewrite searched beside it (first ``--llm-limit``
  follow-up turns, with (a) and (b) on the same turns for comparison),
- (d) the last three user turns joined into one query (the naive way),

broken down by MTRAG's turn kind (first turn, follow-up, clarification). Also: the share of underspecified
turns answered with a question back, of answerable turns asked back, and of unanswerable turns refused or
marked low confidence (the default, extractive answer).

Run: .venv/bin/python benchmarks/eval_conversation.py [--cache DIR] [--llm-limit N]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from answer_sets import mtrag
from common import EVAL, save
from eval_answers import service_for

KINDS = {"N/A": "first turn", "Follow-up": "follow-up", "Clarification": "clarification"}


def turns() -> list[dict]:
    """MTRAG-UN's turns with their kind and label, in the order of ``answer_sets.mtrag()``."""
    out = []
    for line in (EVAL / "mtrag-un" / "reference.jsonl").read_text().splitlines():
        item = json.loads(line)
        out.append(
            {
                "kind": KINDS.get(item["Multi-Turn"][0], item["Multi-Turn"][0]),
                "label": item["answerability"][0].lower(),
            }
        )
    return out


def recall(sources: list[str | None], gold: frozenset[str]) -> tuple[float, bool]:
    found = gold & {s for s in sources[:5] if s}
    return len(found) / len(gold), bool(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rag-answer-stores"))
    parser.add_argument("--llm-limit", type=int, default=40, help="follow-up turns searched with the rewrite")
    args = parser.parse_args()
    from rag_app.answer.llm import parse_backend
    from rag_app.conversation.follow_up import rewrite
    from rag_app.conversation.turn import retrieve_turn

    qs = mtrag()
    service = service_for(qs, args.cache)
    info = turns()
    assert len(info) == len(qs.questions)
    smol = parse_backend("smollm2").model if args.llm_limit else None
    by: dict[tuple[str, str], list[tuple[float, bool]]] = defaultdict(list)
    rewrite_rows: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    asked_back: dict[str, list[bool]] = defaultdict(list)
    unanswerable_marked: list[bool] = []
    started = time.perf_counter()
    for number, (q, meta) in enumerate(zip(qs.questions, info, strict=True)):
        history = q.history or []
        answer = service.answer(q.text, history=history)
        asked_back[meta["label"]].append(answer.clarifying)
        if meta["label"] == "unanswerable":
            unanswerable_marked.append(answer.refused or answer.low_confidence or answer.clarifying)
        if not q.answerable:
            continue
        alone = service.query(q.text)
        default = answer.retrieval
        users = [*[t["content"] for t in history if t["role"] == "user"][-2:], q.text]
        naive = service.query(" ".join(users)[: service.settings.limit_question_chars])
        for name, result in (
            ("(a) question alone", alone),
            ("(b) default", default),
            ("(d) last three joined", naive),
        ):
            by[(name, meta["kind"])].append(recall([p.source for p in result.passages], q.gold_sources))
        if smol is not None and meta["kind"] == "follow-up" and len(rewrite_rows["(c)"]) < args.llm_limit:
            rewritten = rewrite(smol, q.text, history)
            with_rewrite = retrieve_turn(
                service.searcher, q.text, history, 5, [rewritten] if rewritten else []
            )
            for name, result in (("(a)", alone), ("(b)", default), ("(c)", with_rewrite)):
                rewrite_rows[name].append(recall([p.source for p in result.passages], q.gold_sources))
        if (number + 1) % 100 == 0:
            print(
                f"{number + 1}/{len(qs.questions)} turns, {time.perf_counter() - started:.0f} s", flush=True
            )

    def mean(rows: list[tuple[float, bool]]) -> dict:
        return {
            "turns": len(rows),
            "recall@5": round(sum(r for r, _ in rows) / len(rows), 3) if rows else None,
            "hit@5": round(sum(h for _, h in rows) / len(rows), 3) if rows else None,
        }

    table = {f"{name} | {kind}": mean(rows) for (name, kind), rows in sorted(by.items())}
    rewrites = {name: mean(rows) for name, rows in rewrite_rows.items()}
    shares = {
        "underspecified asked back": _share(asked_back["underspecified"]),
        "answerable asked back": _share(asked_back["answerable"] + asked_back["partial"]),
        "unanswerable refused or marked low confidence": _share(unanswerable_marked),
    }
    data = {"recall": table, "with_rewrite": rewrites, "shares": shares, "llm_limit": args.llm_limit}
    print(json.dumps(data, indent=1))
    save("eval_conversation", data, report(by, mean, rewrites, shares, args.llm_limit))


def _share(values: list[bool]) -> dict:
    return {"turns": len(values), "share": round(sum(values) / len(values), 3) if values else None}


def report(by, mean, rewrites: dict, shares: dict, llm_limit: int) -> str:
    kinds = ["first turn", "follow-up", "clarification"]
    names = sorted({name for name, _ in by})
    rows = []
    for name in names:
        cells = []
        for kind in kinds:
            m = mean(by.get((name, kind), []))
            cells.append(f"{m['recall@5']} / {m['hit@5']} ({m['turns']})" if m["turns"] else "-")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    rewrite_line = "; ".join(f"{n} {m['recall@5']} / {m['hit@5']}" for n, m in sorted(rewrites.items()))
    share_lines = "\n".join(
        f"- {name}: **{s['share']:.1%}** of {s['turns']}"
        for name, s in shares.items()
        if s["share"] is not None
    )
    return f"""
### Conversations on MTRAG-UN (`benchmarks/eval_conversation.py`)

1,152 reference passages indexed as text files; every answerable or partial turn with reference passages.
recall@5 / hit@5 (turns), by MTRAG's turn kind:

| search | first turn | follow-up | clarification |
|---|---|---|---|
{chr(10).join(rows)}

With the bundled SmolLM2's rewrite searched beside the default (first {llm_limit} follow-up turns, recall@5 / hit@5,
the same turns for each): {rewrite_line or "not run"}.

The default, extractive answer with the conversation:
{share_lines}
"""


if __name__ == "__main__":
    main()
