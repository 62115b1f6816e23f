"""How the answer gate's figures were chosen: on every set at once, from the signals
`benchmarks/eval_answers.py` writes (docs/bench/answer_signals.json).

The gate refuses when the best cosine is under ``answer_floor`` *and* the best sentence holds under
``answer_words`` of the question's words; it marks an answer low confidence when the best cosine is
under ``confident``, or when the best sentence holds under ``confident_words`` of the question's words
and its cosine is under ``confident_sentence``. A figure is only acceptable when it wrongly refuses at
most 5% of the answerable questions whose gold passage is in the top 5, on *every* set; among those,
the one that lets the fewest unanswerable questions through unmarked wins (marking answerable
questions low confidence costs half as much).

Run: .venv/bin/python benchmarks/calibrate_gate.py [SIGNALS.json ...]
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

from common import RESULTS

MAX_WRONGLY_REFUSED = 0.05
LOW_WEIGHT = float(__import__("os").environ.get("LOW_WEIGHT", "1.0"))


def verdict(s: dict, floor: float, words: float, confident: float, cwords: float, csent: float) -> str:
    cosine, best_words = s["best_cosine"] or 0.0, s["best_words"] or 0.0
    if s["evidence"] == "lexical":
        return "answered"  # judged by words alone, not by these figures
    if s["best_words"] is None or (cosine < floor and best_words < words):
        return "refused"
    sentence = s["best_sentence_cosine"]
    if cosine < confident or (best_words < cwords and (sentence is None or sentence < csent)):
        return "low"
    return "answered"


def rates(signals: list[dict], figures: tuple[float, ...]) -> dict[str, dict[str, float]]:
    out = {}
    for name in sorted({s["set"] for s in signals}):
        rows = [s for s in signals if s["set"] == name]
        top5 = [s for s in rows if s["answerable"] and s["gold_rank"] is not None and s["gold_rank"] <= 5]
        answerable = [s for s in rows if s["answerable"]]
        unanswerable = [s for s in rows if not s["answerable"] and s["label"] != "underspecified"]
        v = {id(s): verdict(s, *figures) for s in rows}
        out[name] = {
            "wrongly_refused": sum(v[id(s)] == "refused" for s in top5) / max(1, len(top5)),
            "answerable_low": sum(v[id(s)] == "low" for s in answerable) / max(1, len(answerable)),
            "unanswerable_plain": sum(v[id(s)] == "answered" for s in unanswerable) / len(unanswerable)
            if unanswerable
            else None,
        }
    return out


def cost(r: dict[str, dict[str, float]]) -> float:
    plain = [m["unanswerable_plain"] for m in r.values() if m["unanswerable_plain"] is not None]
    return sum(plain) / len(plain) + LOW_WEIGHT * sum(m["answerable_low"] for m in r.values()) / len(r)


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or [RESULTS / "answer_signals.json"]
    signals = [s for p in paths for s in json.loads(p.read_text())]
    grid = itertools.product(
        (0.15, 0.2, 0.25, 0.3, 0.35, 0.4),  # answer_floor
        (0.2, 0.34, 0.5),  # answer_words
        (0.25, 0.3, 0.35, 0.4, 0.45),  # confident
        (0.34, 0.5, 0.67),  # confident_words
        (0.4, 0.5, 0.6),  # confident_sentence
    )
    feasible = []
    for figures in grid:
        r = rates(signals, figures)
        if all(m["wrongly_refused"] <= MAX_WRONGLY_REFUSED for m in r.values()):
            feasible.append((cost(r), figures, r))
    feasible.sort(key=lambda item: item[0])
    for c, figures, r in feasible[:5]:
        print(f"cost {c:.3f} floor/words/confident/confident words/sentence {figures}")
        for name, m in r.items():
            print(
                f"   {name:7} "
                + "  ".join(f"{k} {v:.1%}" if v is not None else f"{k} -" for k, v in m.items())
            )


if __name__ == "__main__":
    main()
