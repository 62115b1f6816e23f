"""Query latency (embedding and search separately) at 1k, 10k and 100k chunks; bytes per vector
against N x d x 4; HNSW recall against exact search at 100k.

Run: .venv/bin/python benchmarks/search_latency.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import save

QUESTIONS = [
    "What is the capital of China?",
    "When does the library open on Saturdays?",
    "How long does the warranty last?",
    "Explain gravity",
    "Wie funktioniert der Beweis?",
    "苹果好吃吗?",
    "How do I keep bread fresh?",
    "What does the ambiguity warning mean?",
]


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q) * 1000)


def main() -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from rag_app.embeddings.local import embeddings_for
    from rag_app.store import FaissStore

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]

    emb = embeddings_for("bundled")
    emb.encode_queries(["warm up"])
    embed_times = []
    for _ in range(5):
        for q in QUESTIONS:
            start = time.perf_counter()
            emb.encode_queries([q])
            embed_times.append(time.perf_counter() - start)
    query_vectors = emb.encode_queries(QUESTIONS)

    rng = np.random.default_rng(0)
    dim = emb.output_dimensions
    rows = []
    for n in sizes:
        vectors = rng.normal(size=(n, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        texts = [f"chunk {i}" for i in range(n)]
        store = FaissStore(DeterministicFakeEmbedding(size=dim), dimensions=dim, model_name="bench")
        store.add_vectors(texts, vectors, [{"source": "bench"}] * n, texts)
        search_times = []
        for _ in range(25):
            for v in query_vectors:
                start = time.perf_counter()
                store.search(v, 5)
                search_times.append(time.perf_counter() - start)
        stats = store.stats()
        row = {
            "n": n,
            "search_p50_ms": percentile_ms(search_times, 50),
            "search_p95_ms": percentile_ms(search_times, 95),
            "index_bytes": stats["index_bytes"],
            "estimate_bytes": stats["estimate_bytes"],
            "bytes_per_vector": stats["bytes_per_vector"],
            "kind": stats["search"],
        }
        if n == sizes[-1]:
            approx = FaissStore(
                DeterministicFakeEmbedding(size=dim), dimensions=dim, model_name="bench", exact_limit=n - 1
            )
            approx.add_vectors(texts, vectors, [{"source": "bench"}] * n, texts)
            start = time.perf_counter()
            approx.search(query_vectors[0], 10)  # answered exactly; starts building the HNSW graph
            approx.derived.ready.wait()
            build_s = time.perf_counter() - start
            probes = rng.normal(size=(100, dim)).astype(np.float32)
            probes /= np.linalg.norm(probes, axis=1, keepdims=True)
            exact_ids = [{h.fid for h in store.search(p, 10)} for p in probes]
            sweep = []
            for ef in (128, 512, 2048):
                approx.derived.ef_search = ef
                hnsw_times, recall = [], []
                for probe, truth in zip(probes, exact_ids, strict=True):
                    start = time.perf_counter()
                    found = {h.fid for h in approx.search(probe, 10)}
                    hnsw_times.append(time.perf_counter() - start)
                    recall.append(len(truth & found) / 10)
                sweep.append(
                    {
                        "ef_search": ef,
                        "recall_at_10": float(np.mean(recall)),
                        "search_p50_ms": percentile_ms(hnsw_times, 50),
                        "search_p95_ms": percentile_ms(hnsw_times, 95),
                    }
                )
            row["hnsw"] = {"build_s": build_s, "M": approx.derived.m, "sweep": sweep}
        rows.append(row)

    table = "".join(
        f"| {r['n']:,} | {percentile_ms(embed_times, 50):.1f} / {percentile_ms(embed_times, 95):.1f} | "
        f"{r['search_p50_ms']:.2f} / {r['search_p95_ms']:.2f} | {r['index_bytes']:,} | {r['estimate_bytes']:,} | "
        f"{r['bytes_per_vector']:.1f} |\n"
        for r in rows
    )
    h = rows[-1].get("hnsw")
    hnsw_line = ""
    if h:
        hnsw_line = (
            f"\nApproximate option (HNSW, M={h['M']}, used above `exact_limit`, 200,000 by default), on the same "
            f"{rows[-1]['n']:,} random vectors, graph built in {h['build_s']:.0f} s; recall@10 against exact search:\n\n"
            "| efSearch | recall@10 | search p50 / p95 (ms) |\n|---|---|---|\n"
            + "".join(
                f"| {s['ef_search']} | {s['recall_at_10']:.3f} | {s['search_p50_ms']:.2f} / {s['search_p95_ms']:.2f} |\n"
                for s in h["sweep"]
            )
            + "\nRandom unit vectors in 384 dimensions have no neighbourhood structure, the hardest case for HNSW; "
            "recall on real embeddings was not measured at this size here.\n"
        )
    markdown = f"""
### Search latency and memory (`benchmarks/search_latency.py`)

Query embedding with the bundled model ({dim} dims), search over random unit vectors in our store (exact `IndexFlatIP`), top-5.

| chunks | embed query p50 / p95 (ms) | search p50 / p95 (ms) | index bytes | N x d x 4 | bytes per vector |
|---|---|---|---|---|---|
{table}{hnsw_line}
At Qwen3's 1024 dimensions the flat index needs N x 1024 x 4 bytes: 409.6 MB for 100,000 chunks.
"""
    save("search_latency", {"embed_query_ms": [t * 1000 for t in embed_times], "rows": rows}, markdown)


if __name__ == "__main__":
    main()
