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


CLAPNQ = ROOT.parent / "shared" / "eval" / "clapnq"


def real_texts(n: int) -> tuple[list[str], list[str]]:
    """Up to ``n`` distinct real texts (ClapNQ passages cut into windows of 1, 2 and 3 sentences, as
    overlapping chunks are) and the ClapNQ questions."""
    import json
    import re

    sentences, questions = [], []
    for name in ("answerable", "unanswerable"):
        for line in (CLAPNQ / f"clapnq_dev_{name}.jsonl").read_text().splitlines():
            record = json.loads(line)
            questions.append(record["input"])
            for passage in record["passages"]:
                sentences.append(re.split(r"(?<=[.!?]) ", passage["text"]))
    texts: dict[str, None] = {}
    for width in (1, 2, 3):
        for sent in sentences:
            for i in range(0, max(len(sent) - width + 1, 1)):
                texts[" ".join(sent[i : i + width])] = None
    return list(texts)[:n], questions


def server(n: int) -> dict | None:
    """A real Milvus server (embedded standalone 2.3.5, its default AUTOINDEX, default time tick)
    against our exact FAISS store, on ``n`` real texts embedded by the bundled MiniLM: add time,
    search latency and recall@10 against exact search."""
    from rag_app.embeddings.local import embeddings_for
    from rag_app.store import FaissStore
    from rag_app.store.milvus.store import MilvusStore
    from tests.milvus_server import MilvusServer

    if reason := MilvusServer.available():
        print(f"skipping the Milvus server part: {reason}", file=sys.stderr)
        return None
    texts, questions = real_texts(n)
    emb = embeddings_for("bundled", dtype="float32")
    started = time.perf_counter()
    vectors = np.asarray(emb.embed_documents(texts), dtype=np.float32)
    embed_s = time.perf_counter() - started
    queries = np.asarray(emb.embed_documents(questions[:200]), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    dims = vectors.shape[1]
    work = Path(tempfile.mkdtemp(prefix="scale-out-server-"))
    try:
        with MilvusServer(work / "server") as running:
            exact = FaissStore(None, path=work / "faiss", model_name="bench", dimensions=dims)
            milvus = MilvusStore(uri=running.uri, model_name="bench", dimensions=dims, collection="bench")
            faiss_add = fill(exact, texts, vectors)
            server_add = fill(milvus, texts, vectors)
            recall, faiss_ms, server_ms = [], [], []
            for q in queries:
                t0 = time.perf_counter()
                truth = {h.chunk.text for h in exact.search(q, 10)}
                t1 = time.perf_counter()
                got = {h.chunk.text for h in milvus.search(q, 10)}
                t2 = time.perf_counter()
                recall.append(len(truth & got) / 10)
                faiss_ms.append((t1 - t0) * 1000)
                server_ms.append((t2 - t1) * 1000)
            version, index = milvus.features.version, milvus.index_type
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "n": len(texts),
        "dims": dims,
        "server": version,
        "index": index,
        "embed_s": embed_s,
        "faiss_add_s": faiss_add,
        "server_add_s": server_add,
        "faiss_p50_ms": statistics.median(faiss_ms),
        "server_p50_ms": statistics.median(server_ms),
        "server_p95_ms": float(np.percentile(server_ms, 95)),
        "recall_at_10": float(np.mean(recall)),
        "queries": len(queries),
    }


def server_markdown(r: dict) -> str:
    return f"""
On a real Milvus server (embedded Milvus standalone {r["server"]}, index {r["index"]}, default settings,
on the same 2 cores): {r["n"]:,} real texts (ClapNQ passages in windows of 1-3 sentences) embedded by the
bundled MiniLM ({r["dims"]} dims, {r["embed_s"]:.0f} s), {r["queries"]} ClapNQ questions, top-10:

| | add all (s) | search p50 (ms) | recall@10 against exact |
|---|---|---|---|
| our FAISS store (exact) | {r["faiss_add_s"]:.1f} | {r["faiss_p50_ms"]:.2f} | 1.000 |
| Milvus server {r["server"]} | {r["server_add_s"]:.1f} | {r["server_p50_ms"]:.1f} (p95 {r["server_p95_ms"]:.1f}) | {r["recall_at_10"]:.3f} |

The server's search time includes reading each hit's references back (strongly consistent reads, each
waiting for the server's 200 ms time tick on 2.3): latency, not throughput.
"""


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
    parser.add_argument("--server-only", action="store_true", help="only the Milvus server part")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    on_server = server(10_000)
    if args.server_only:
        if on_server:
            save("scale_out_server", {"server": on_server}, server_markdown(on_server))
        return
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
    if on_server:
        markdown += server_markdown(on_server)
    save("scale_out", {"stores": rows, "served_embeddings": embed, "server": on_server}, markdown)


if __name__ == "__main__":
    main()
