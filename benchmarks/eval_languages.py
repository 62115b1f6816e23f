"""Retrieval in every language: the default before the multilingual model (MiniLM with BM25), the new
default (MiniLM and the Universal Sentence Encoder Multilingual, routed), and each component alone.

Sets (``benchmarks/data/languages.json``, written for this project, one corpus of 62 short passages):
a Chinese paraphrase set (42 questions, none sharing a two-character sequence with its passage: checked
here), English questions to Chinese passages (20) and Chinese questions to English passages (20); then
CMRC 2018 trial and ClapNQ dev (their first ``--limit`` questions, over every passage). Every passage is
indexed as a text file, through the app's own ``RagService``; hit@1 / hit@5 by file.

Run: .venv/bin/python benchmarks/eval_languages.py [--limit N] [--skip-sec]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from common import ROOT, save
from eval_retrieval import load_clapnq, load_cmrc

SETS = ROOT / "benchmarks" / "data" / "languages.json"
CONFIGS = {
    "before: MiniLM + BM25 (auto)": {"multilingual": "off"},
    "new default: two models + BM25 (auto)": {},
    "MiniLM alone (dense)": {"multilingual": "off", "retrieval_mode": "dense"},
    "BM25 alone": {"multilingual": "off", "retrieval_mode": "lexical"},
    "multilingual model alone": {},
}


def bigrams(text: str) -> set[str]:
    han = re.sub(r"[^\u4e00-\u9fff]", "", text)
    return {han[i : i + 2] for i in range(len(han) - 1)}


def language_sets() -> tuple[list[str], dict[str, list[tuple[str, int]]]]:
    data = json.loads(SETS.read_text())
    shared = [(q, bigrams(p) & bigrams(q)) for p, q in data["zh"] if bigrams(p) & bigrams(q)]
    assert not shared, f"paraphrase questions sharing a character pair with their passage: {shared}"
    passages = [p for p, _ in data["zh"]] + [p for p, _ in data["en"]]
    offset = len(data["zh"])
    return passages, {
        "Chinese paraphrase": [(q, i) for i, (_, q) in enumerate(data["zh"])],
        "English to Chinese": [(q, i) for i, q in data["en_to_zh"]],
        "Chinese to English": [(q, offset + i) for i, (_, q) in enumerate(data["en"])],
    }


def services(passages: list[str], root: Path) -> dict[str, object]:
    from rag_app.service import RagService
    from rag_app.settings import Settings

    folder = root / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(passages):
        (folder / f"p{i:05d}.txt").write_text(text)
    built: dict[str, RagService] = {}
    out = {}
    for name, overrides in CONFIGS.items():
        key = overrides.get("multilingual", "auto")
        settings = Settings(store_dir=root / f"store-{key}", llm="none", **overrides)
        if key not in built:
            built[key] = RagService(settings)
            started = time.perf_counter()
            built[key].ingest([folder])
            print(
                f"indexed {len(passages)} passages ({key}) in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        out[name] = RagService(settings, embeddings=built[key].embeddings)
    return out


def ranked_files(name: str, service, question: str) -> list[str]:
    if name == "multilingual model alone":
        companion = service.companion
        vector = companion.embeddings.embed_query(question)
        return [h.chunk.metadata.get("source") for h in companion.store.search(vector, 5)]
    return [p.source for p in service.query(question, k=5).passages]


def evaluate(passages: list[str], sets: dict[str, list[tuple[str, int]]]) -> dict[str, dict[str, dict]]:
    with tempfile.TemporaryDirectory(prefix="languages-") as tmp:
        by_config = services(passages, Path(tmp))
        results: dict[str, dict[str, dict]] = {}
        for set_name, questions in sets.items():
            for name, service in by_config.items():
                hits1 = hits5 = 0
                for question, gold in questions:
                    files = ranked_files(name, service, question)
                    want = f"p{gold:05d}.txt"
                    hits1 += bool(files) and files[0] == want
                    hits5 += want in files[:5]
                results.setdefault(set_name, {})[name] = {
                    "questions": len(questions),
                    "hit@1": round(hits1 / len(questions), 3),
                    "hit@5": round(hits5 / len(questions), 3),
                }
            print(json.dumps({set_name: results[set_name]}, ensure_ascii=False), flush=True)
        return results


def evaluate_sec() -> dict[str, dict[str, dict]]:
    """The 20 SEC filings through the app's own ingest, before and with the second model: does routing
    questions between two models cost the English filings anything (hit@1 / hit@5 as sec10q defines a hit)."""
    import sec10q

    from rag_app.service import RagService
    from rag_app.settings import Settings

    questions = sec10q.load_questions()
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="languages-sec-") as tmp:
        names = ("before: MiniLM + BM25 (auto)", "new default: two models + BM25 (auto)")
        for number, name in enumerate(names):
            store = Path(tmp) / f"store-{number}"
            service = RagService(Settings(store_dir=store, llm="none", **CONFIGS[name]))
            started = time.perf_counter()
            service.ingest(sec10q.documents())
            print(f"indexed the SEC filings ({name}) in {time.perf_counter() - started:.0f} s", flush=True)
            started = time.perf_counter()
            ranked = [[(p.source, p.text) for p in service.query(q.text, k=5).passages] for q in questions]
            found = sec10q.metrics(ranked, questions, time.perf_counter() - started)
            for kind in ("Text", "Table"):
                m = found[kind]
                results.setdefault(f"SEC 10-Q {kind}", {})[name] = {
                    "questions": m["n"],
                    "hit@1": round(m["hit@1"], 3),
                    "hit@5": round(m["hit@5"], 3),
                }
    print(json.dumps(results, ensure_ascii=False), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=200, help="CMRC and ClapNQ questions")
    parser.add_argument("--skip-sec", action="store_true", help="leave out the SEC filings (the slowest set)")
    args = parser.parse_args()
    passages, sets = language_sets()
    results = evaluate(passages, sets)
    for name, loader in (("CMRC 2018 trial", load_cmrc), ("ClapNQ dev", load_clapnq)):
        found, questions = loader(args.limit)
        results.update(evaluate(found, {name: questions}))
    if not args.skip_sec:
        results.update(evaluate_sec())
    save("eval_languages", {"sets": results, "limit": args.limit}, report(results, args.limit))


def report(results: dict[str, dict[str, dict]], limit: int) -> str:
    names = list(CONFIGS)
    header = "| set | " + " | ".join(names) + " |\n|---|" + "---|" * len(names)
    rows = [
        f"| {set_name} ({next(iter(by.values()))['questions']}) | "
        + " | ".join(f"{by[n]['hit@1']:.3f} / {by[n]['hit@5']:.3f}" if n in by else "-" for n in names)
        + " |"
        for set_name, by in results.items()
    ]
    return f"""
### Retrieval in every language (`benchmarks/eval_languages.py`)

hit@1 / hit@5 by passage file, through the app's own service (top 5). The Chinese paraphrase questions share
no two-character sequence with their passage; the language sets are one corpus of 62 passages
(`benchmarks/data/languages.json`); CMRC and ClapNQ: their first {limit} questions over every passage. SEC 10-Q:
the 20 filings through the app's ingest, hit as `benchmarks/sec10q.py` defines it (a passage of a filing the
question names holding a key figure of the reviewed answer), for the default before and after the second model.

{header}
{chr(10).join(rows)}
"""


if __name__ == "__main__":
    main()
