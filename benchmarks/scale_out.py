"""The road past one machine, measured on one: (1) Milvus Lite against our FAISS store on the same
random unit vectors (add, search latency, agreement of the top-5); (2) the bundled MiniLM served by a
real Infinity server on 127.0.0.1 against the same model in process, embedding the same chunks.
Both pairs run in the same process, one after the other; the ratios are the headline.

Run: .venv/bin/python benchmarks/scale_out.py [--quick]   (part 2 needs .venv-embed-server: `make test` builds it)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, machine, save
from langchain_core.documents import Document

DIM = 384
FILE_CHUNKS = 5_000
WORDS = "revenue margin quarter cash flow segment growth customer product market cost income".split()


def corpus(n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    picks = rng.integers(0, len(WORDS), size=(n, 40))
    texts = [f"chunk {i}: " + " ".join(WORDS[w] for w in row) for i, row in enumerate(picks)]
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return texts, v / np.linalg.norm(v, axis=1, keepdims=True)


def fill(store, texts: list[str], vectors: np.ndarray) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), FILE_CHUNKS):
        source = f"file-{start}.txt"
        docs = [
            Document(page_content=t, metadata={"source": source, "page": 1, "chunk_id": f"{source}:{i}"})
            for i, t in enumerate(texts[start : start + FILE_CHUNKS])
        ]
        store.add_file(source, f"sha{start}", docs, vectors[start : start + FILE_CHUNKS])
    return time.perf_counter() - started


def search_ms(store, queries: np.ndarray, repeats: int) -> tuple[list[float], list[list[str]]]:
    times, tops = [], []
    for r in range(repeats):
        for q in queries:
            started = time.perf_counter()
            hits = store.search(q, 5)
            times.append((time.perf_counter() - started) * 1000)
            if r == 0:
                tops.append([h.record["text"] for h in hits])
    return times, tops


def stores(n: int) -> dict:
    from rag_app.store import FaissStore
    from rag_app.store.milvus_store import MilvusStore

    rng = np.random.default_rng(0)
    texts, vectors = corpus(n, rng)
    queries = rng.standard_normal((50, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    work = Path(tempfile.mkdtemp(prefix="scale-out-"))
    out: dict = {"n": n}
    try:
        faiss = FaissStore(None, path=work / "faiss", model_name="bench", dimensions=DIM)
        out["faiss_add_s"] = fill(faiss, texts, vectors)
        milvus = MilvusStore(
            uri=str(work / "milvus.db"),
            path=work / "m",
            model_name="bench",
            dimensions=DIM,
            collection="bench",
        )
        out["milvus_add_s"] = fill(milvus, texts, vectors)
        faiss_ms, faiss_top = search_ms(faiss, queries, 4)
        milvus_ms, milvus_top = search_ms(milvus, queries, 4)
        out["faiss_p50_ms"], out["faiss_p95_ms"] = (
            statistics.median(faiss_ms),
            float(np.percentile(faiss_ms, 95)),
        )
        out["milvus_p50_ms"] = statistics.median(milvus_ms)
        out["milvus_p95_ms"] = float(np.percentile(milvus_ms, 95))
        out["top5_agreement"] = float(np.mean([a == b for a, b in zip(faiss_top, milvus_top, strict=True)]))
        out["faiss_disk_bytes"] = sum(p.stat().st_size for p in (work / "faiss").rglob("*") if p.is_file())
        out["milvus_disk_bytes"] = (
            (work / "milvus.db").stat().st_size if (work / "milvus.db").is_file() else None
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def served(chunk_count: int) -> dict | None:
    sys.path.insert(0, str(ROOT))
    from rag_app.embeddings import embeddings_for
    from rag_app.served_embeddings import ServedEmbeddings
    from tests.rag_app.embedding_server import SERVER_BIN, InfinityServer

    if not SERVER_BIN.exists():
        print(f"skipping the served-embedding part: no server at {SERVER_BIN}", file=sys.stderr)
        return None
    rng = np.random.default_rng(1)
    picks = rng.integers(0, len(WORDS), size=(chunk_count, 150))
    texts = [f"{i}: " + " ".join(WORDS[w] for w in row) for i, row in enumerate(picks)]
    local = embeddings_for("bundled", dtype="float32")  # the server computes in float32 too
    local.encode_documents(texts[:8])
    started = time.perf_counter()
    mine = local.encode_documents(texts)
    local_s = time.perf_counter() - started
    log = Path(tempfile.mkdtemp(prefix="infinity-")) / "server.log"
    with InfinityServer(local.resolved.path, "minilm", log) as server:
        remote = ServedEmbeddings(base_url=server.base_url, served_model="minilm")
        remote.encode_documents(texts[:8])
        started = time.perf_counter()
        theirs = remote.encode_documents(texts)
        served_s = time.perf_counter() - started
    return {
        "chunks": chunk_count,
        "in_process_s": local_s,
        "served_s": served_s,
        "served_over_in_process": served_s / local_s,
        "min_cosine": float(np.min(np.sum(mine * theirs, axis=1))),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000]
    rows = [stores(n) for n in sizes]
    embed = served(200 if args.quick else 1000)

    table = "".join(
        f"| {r['n']:,} | {r['faiss_add_s']:.1f} / {r['milvus_add_s']:.1f} | "
        f"{r['faiss_p50_ms']:.2f} / {r['faiss_p95_ms']:.2f} | {r['milvus_p50_ms']:.2f} / {r['milvus_p95_ms']:.2f} | "
        f"{r['milvus_p50_ms'] / r['faiss_p50_ms']:.1f}x | {r['top5_agreement']:.0%} |\n"
        for r in rows
    )
    embed_line = (
        f"\nEmbedding {embed['chunks']:,} chunks of ~150 words with the bundled MiniLM (float32): in process "
        f"{embed['in_process_s']:.1f} s, served by Infinity on 127.0.0.1 {embed['served_s']:.1f} s "
        f"(**{embed['served_over_in_process']:.2f}x** the in-process time, both on this machine's 2 cores); "
        f"lowest cosine between the two vectors of a chunk {embed['min_cosine']:.5f}.\n"
        if embed
        else "\nThe served-embedding part was skipped (no Infinity venv).\n"
    )
    markdown = f"""
### Scale-out: Milvus Lite and a served embedding model (`benchmarks/scale_out.py`)

Our FAISS store against Milvus Lite (FLAT index, exact) through the same `KnowledgeStore` calls, on the
same random {DIM}-dim unit vectors in files of {FILE_CHUNKS:,} chunks, 50 queries x 4, top-5:

| chunks | add all (s) FAISS / Milvus Lite | FAISS search p50 / p95 (ms) | Milvus Lite search p50 / p95 (ms) | Milvus / FAISS p50 | same top-5 |
|---|---|---|---|---|---|
{table}{embed_line}
On one machine, Milvus Lite only costs: it is the same exact search behind a local gRPC hop. It is here so
that the same code reaches a Milvus cluster (`--milvus-uri http://host:19530`), where the index, the
memory and the replicas live on other machines; a served embedding model likewise only pays off when
the server has a GPU (see docs/deploy.md).
"""
    save("scale_out", {"machine": machine(), "stores": rows, "served_embeddings": embed}, markdown)


if __name__ == "__main__":
    main()
