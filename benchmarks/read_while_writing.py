"""Questions while a file is being ingested: ``RagService.query()`` latency p50/p95 on a store holding the
sample documents, idle and while the 117-page fixture is ingested into the same service from another
thread, same run. Then store-only reads (``store.search`` with a fixed vector, ``store.lexical``), idle
and while the store is being written, which leave the model out and so show whether a read waits for
a writer, apart from the CPU the embedding takes.

Run: .venv/bin/python benchmarks/read_while_writing.py [--copies 3] [--idle 12]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import PDFS, ROOT, save
from langchain_core.documents import Document

PDF = PDFS / "long-117-pages-german.pdf"
QUESTIONS = [
    "How do I keep bread fresh?",
    "What is the ambiguity warning?",
    "我想吃点东西",
    "How do I make green tea?",
    "Wie lange dauert die Garantie?",
    "When does the library open?",
]
WRITE_FILES = 24  # store-only writes, in four blocks: three compactions at the default fan-in of 8


def ms(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q) * 1000) if samples else float("nan")


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": ms(samples, 50),
        "p95_ms": ms(samples, 95),
        "max_ms": ms(samples, 100),
    }


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def while_running(work: Callable[[], None], ask: Callable[[], None]) -> tuple[list[float], float]:
    """Latencies of ``ask``, called again and again while ``work`` runs in another thread."""
    done = threading.Event()

    def run() -> None:
        try:
            work()
        finally:
            done.set()

    samples: list[float] = []
    start = time.perf_counter()
    threading.Thread(target=run, name="writer").start()
    while not done.is_set():
        samples.append(timed(ask))
    return samples, time.perf_counter() - start


def pdf_copies(folder: Path, copies: int) -> list[Path]:
    """The fixture under fresh names, each with a different trailing comment (a PDF reader ignores it),
    so none is skipped as already indexed."""
    data = PDF.read_bytes()
    paths = []
    for n in range(copies):
        path = folder / f"long-copy-{n}.pdf"
        path.write_bytes(data + f"\n% copy {n}\n".encode())
        paths.append(path)
    return paths


def main() -> None:
    from rag_app.service import RagService
    from rag_app.settings import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=3, help="copies of the fixture, one ingest each")
    parser.add_argument("--idle", type=int, default=12, help="idle questions before each ingest")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    work = Path(tempfile.mkdtemp(prefix="read-while-writing-"))
    service = RagService(Settings(store_dir=work / "store"))
    service.ingest([ROOT / "sample_docs"])
    service.query("warm up")
    questions = iter(QUESTIONS * 10_000)

    def ask() -> None:
        service.query(next(questions))

    # Idle and busy blocks take turns, so a change in the machine's background load (it is shared)
    # falls on both alike.
    idle_questions: list[float] = []
    busy_questions: list[float] = []
    ingest_s, chunks = 0.0, 0
    copies = pdf_copies(work, args.copies)
    for path in copies:
        idle_questions += [timed(ask) for _ in range(args.idle)]
        reports: list = []
        samples, seconds = while_running(
            lambda path=path, out=reports: out.append(service.ingest([path])), ask
        )
        busy_questions += samples
        ingest_s += seconds
        chunks += sum(r.indexed_chunks for r in reports)

    # Store-only: the same store, a fixed query vector, the fixture's chunks written again as new files
    # (new texts, so every write adds a segment, BM25 rows and references, and compacts as it goes).
    store = service.store
    vector = service.embed_queries(["Wie lange dauert die Garantie?"])[0]
    records = [r for r in store.all_records() if r.metadata["source"] == copies[0].name]
    vectors = store.vectors_for([r.fid for r in records])

    def read() -> None:
        store.search(vector, 10)
        store.lexical("Garantie Vertrag Kunde", 20)

    writes: list[float] = []

    def write(first: int) -> None:
        for n in range(first, first + WRITE_FILES // 4):
            source = f"write-{n}.pdf"
            docs = [
                Document(
                    f"write {n}: {r.text}", metadata={**r.metadata, "source": source, "chunk_id": f"w{n}:{i}"}
                )
                for i, r in enumerate(records)
            ]
            writes.append(
                timed(lambda source=source, docs=docs, n=n: store.add_file(source, f"w{n}", docs, vectors))
            )

    idle_reads: list[float] = []
    busy_reads: list[float] = []
    for first in range(0, WRITE_FILES, WRITE_FILES // 4):
        idle_reads += [timed(read) for _ in range(50)]
        busy_reads += while_running(lambda first=first: write(first), read)[0]
    result = {
        "questions": {"idle": summary(idle_questions), "during_ingest": summary(busy_questions)},
        "ingest": {"copies": args.copies, "chunks": chunks, "seconds": ingest_s},
        "store_reads": {"idle": summary(idle_reads), "during_writes": summary(busy_reads)},
        "store_writes": {"files": WRITE_FILES, "chunks_each": len(records), "add_file": summary(writes)},
        "load_average": {"before": load_before, "after": os.getloadavg()[0]},
    }
    q, r, w = result["questions"], result["store_reads"], result["store_writes"]["add_file"]
    ratio = q["during_ingest"]["p95_ms"] / q["idle"]["p95_ms"]
    read_ratio = r["during_writes"]["p95_ms"] / r["idle"]["p95_ms"]

    def row(name: str, s: dict[str, float]) -> str:
        return f"| {name} | {s['n']} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['max_ms']:.1f} |\n"

    markdown = f"""
### Questions while writing (`benchmarks/read_while_writing.py`)

`RagService.query()` (bundled model, the sample documents) idle, and while {args.copies} copies of the 117-page
fixture ({chunks} chunks in all, {ingest_s:.0f} s) are ingested into the same service from another thread; then
store-only reads (`store.search` with a fixed vector plus `store.lexical`) idle, and while {WRITE_FILES} files of
{len(records)} new chunks each are written back to back (each a segment, BM25 rows and references; compaction as it
goes), so that every such read overlaps a write. Idle and busy blocks take turns, same run. The machine's
1-minute load average was {load_before:.1f} before and {result["load_average"]["after"]:.1f} after, on {os.cpu_count()} cores:
other jobs shared them, which inflates every absolute figure here; compare within the table.

| what | samples | p50 (ms) | p95 (ms) | max (ms) |
|---|---|---|---|---|
{row("question, idle", q["idle"])}{row("question, during ingest", q["during_ingest"])}{row("store read, idle", r["idle"])}{row("store read, during writes", r["during_writes"])}{row("one add_file (the write itself)", w)}
Question p95 during ingest / idle: **{ratio:.2f}x** (goal: at most 2x); store read p95 during writes / idle:
**{read_ratio:.2f}x**. No read waits for a writer (before, one in the same process waited for the whole
`add_file`, last row). What slows questions during an ingest is the CPU: the ingest's embedding takes both
cores, and the question's own embedding needs them too. What slows store reads during writes is the writer's own
work on the same two cores (SQLite and BM25 inserts, hashing and syncing each segment file), and FAISS splitting
each small segment search across both cores, which costs most when they are busy.
"""
    save("read_while_writing", result, markdown)


if __name__ == "__main__":
    main()
