"""The road past one machine, measured on one: (1) Milvus Lite against our FAISS store on the same
random unit vectors (add, search latency, agreement of the top-5); (2) ingest through the bundled MiniLM
served by a real Infinity server on 127.0.0.1 against the same model in process, same files.
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
from common import PDFS, ROOT, save
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
                tops.append([h.chunk.text for h in hits])
    return times, tops


def stores(n: int) -> dict:
    from rag_app.store import FaissStore
    from rag_app.store.milvus.store import MilvusStore

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


INGEST_FILES = [
    "long-117-pages-german.pdf",
    "two-column.pdf",
    "multipage-4-pages.pdf",
    "chinese-product-table.pdf",
]


def served() -> dict | None:
    """The same files ingested through RagService twice, into fresh stores: the bundled MiniLM in
    process, then the same model served by Infinity on 127.0.0.1 (float32 both: the server's CPU dtype)."""
    sys.path.insert(0, str(ROOT))
    from rag_app.embeddings.local import embeddings_for
    from rag_app.embeddings.served import ServedEmbeddings
    from rag_app.service import RagService
    from rag_app.settings import Settings
    from tests.rag_app.embeddings.embedding_server import SERVER_BIN, InfinityServer

    if not SERVER_BIN.exists():
        print(f"skipping the served-embedding part: no server at {SERVER_BIN}", file=sys.stderr)
        return None
    files = [PDFS / name for name in INGEST_FILES]
    work = Path(tempfile.mkdtemp(prefix="served-ingest-"))

    def ingest(emb, name: str) -> tuple[float, int]:
        service = RagService(Settings(store_dir=work / name, ocr=False), embeddings=emb)
        emb.encode_documents(["warm up"])
        started = time.perf_counter()
        report = service.ingest(files)
        seconds = time.perf_counter() - started
        assert all(o.status == "indexed" for o in report.outcomes), report.outcomes
        return seconds, sum(o.chunks for o in report.outcomes)

    try:
        local = embeddings_for("bundled", dtype="float32")
        local_s, chunks = ingest(local, "local")
        with InfinityServer(local.resolved.path, "minilm", work / "server.log") as server:
            remote = ServedEmbeddings(
                base_url=server.base_url,
                served_model="minilm",
                tokenizer=str(local.resolved.path),
                max_input_tokens=256,
            )
            served_s, served_chunks = ingest(remote, "served")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "files": INGEST_FILES,
        "chunks": chunks,
        "served_chunks": served_chunks,
        "in_process_s": local_s,
        "served_s": served_s,
        "served_over_in_process": served_s / local_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000]
    rows = [stores(n) for n in sizes]
    embed = served()

    table = "".join(
        f"| {r['n']:,} | {r['faiss_add_s']:.1f} / {r['milvus_add_s']:.1f} | "
        f"{r['faiss_p50_ms']:.2f} / {r['faiss_p95_ms']:.2f} | {r['milvus_p50_ms']:.2f} / {r['milvus_p95_ms']:.2f} | "
        f"{r['milvus_p50_ms'] / r['faiss_p50_ms']:.1f}x | {r['top5_agreement']:.0%} |\n"
        for r in rows
    )
    embed_line = (
        f"\nIngest of {len(embed['files'])} fixture PDFs ({embed['chunks']:,} chunks; {', '.join(embed['files'])}) "
        f"through `RagService`, bundled MiniLM in float32: in process {embed['in_process_s']:.1f} s, "
        f"served by Infinity on 127.0.0.1 {embed['served_s']:.1f} s (**{embed['served_over_in_process']:.2f}x** "
        f"the in-process time; server and app share this machine's 2 cores). Vector agreement is a test, "
        f"not a benchmark: cosine >= 0.999 (tests/rag_app/test_served_embeddings.py).\n"
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
On one machine Milvus Lite only costs: its exact search is many times slower than FAISS's (brute force
inside Lite, which indexes nothing but FLAT, behind a local gRPC hop), and it inserts several times slower. It is
here so that the same code reaches a Milvus server or cluster (`--milvus-uri http://host:19530`), where HNSW or
IVF indexes, the memory and the replicas live on other machines. A served embedding model likewise only pays off
when the server has a GPU: on the same 2 cores the server and the app compete, and the HTTP and JSON cost on top
(see docs/deploy.md).
"""
    save("scale_out", {"stores": rows, "served_embeddings": embed}, markdown)


if __name__ == "__main__":
    main()
