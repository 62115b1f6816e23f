"""What one upload, one delete and one open cost as the store grows: the store as it was in rag-app 0.1
(one FAISS file and one JSON docstore rewritten on every save; loaded from git history, commit 34f47a9)
against the segment store, at 1k / 10k / 100k / 1M chunks of ~900 characters with random 384-dim unit
vectors, in one run.

Run: .venv/bin/python benchmarks/store_growth.py [--sizes 1000,10000,100000,1000000] [--old-max 100000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
from common import RESULTS, ROOT, save
from langchain_core.documents import Document

OLD_COMMIT = "34f47a9"
DIM = 384
FILE_CHUNKS = 500
WORDS = (
    "revenue margin quarter cash flow segment growth customer product market cost income share "
    "capital tax debt asset liability service cloud device research operating net total"
).split()


def texts(start: int, n: int, rng: np.random.Generator) -> list[str]:
    """~900-character chunks, each unique (the number makes sure no two are deduplicated)."""
    picks = rng.integers(0, len(WORDS), size=(n, 120))
    return [f"chunk {start + i}: " + " ".join(WORDS[w] for w in row)[:880] for i, row in enumerate(picks)]


def vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def chunks(source: str, items: list[str]) -> list[Document]:
    return [
        Document(page_content=t, metadata={"source": source, "page": 1, "chunk_id": f"{source}:{i}"})
        for i, t in enumerate(items)
    ]


def old_store_class():
    """rag_app/store.py and rag_app/persistence.py as of OLD_COMMIT, imported from git history."""
    modules = {}
    for name in ("persistence", "store"):
        source = subprocess.run(
            ["git", "show", f"{OLD_COMMIT}:rag_app/{name}.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        source = source.replace("from rag_app import persistence", "import old_persistence as persistence")
        source = source.replace("from rag_app.persistence import", "from old_persistence import")
        module = types.ModuleType(f"old_{name}")
        sys.modules[f"old_{name}"] = module
        exec(compile(source, f"{OLD_COMMIT}:rag_app/{name}.py", "exec"), module.__dict__)
        modules[name] = module
    return modules["store"].FaissStore


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure_new(n: int, folder: Path, rng: np.random.Generator, repeats: int) -> dict:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from rag_app.store import FaissStore

    def open_store() -> FaissStore:
        return FaissStore(
            DeterministicFakeEmbedding(size=DIM), path=folder, model_name="bench", dimensions=DIM
        )

    store = open_store()
    build = time.perf_counter()
    per_file = max(FILE_CHUNKS, min(20_000, n // 20))  # the bulk in big files, then 500-chunk files to delete
    done = 0
    while done < n - repeats * FILE_CHUNKS:
        size = min(per_file, n - repeats * FILE_CHUNKS - done)
        store.add_file(
            f"bulk-{done}.txt",
            f"b{done}",
            chunks(f"bulk-{done}.txt", texts(done, size, rng)),
            vectors(size, rng),
        )
        done += size
    for r in range(repeats):
        store.add_file(
            f"doomed-{r}.txt",
            f"d{r}",
            chunks(f"doomed-{r}.txt", texts(done, FILE_CHUNKS, rng)),
            vectors(FILE_CHUNKS, rng),
        )
        done += FILE_CHUNKS
    build = time.perf_counter() - build
    adds = []
    for r in range(2 * repeats):
        small = texts(10_000_000 + 10 * r, 10, rng)
        adds.append(
            timed(
                lambda small=small, r=r: store.add_file(
                    f"small-{r}.txt", f"s{r}", chunks(f"small-{r}.txt", small), vectors(10, rng)
                )
            )
        )
    deletes = [timed(lambda r=r: store.delete_file(f"doomed-{r}.txt")) for r in range(repeats)]
    opens = [timed(lambda: len(open_store())) for _ in range(repeats)]
    query = vectors(1, rng)[0]
    reopened = open_store()
    first_query = timed(lambda: reopened.search(query, 5))
    return {
        "n": n,
        "add_10_s": statistics.median(adds),
        "add_10_max_s": max(adds),
        "delete_500_s": statistics.median(deletes),
        "open_s": statistics.median(opens),
        "first_query_s": first_query,
        "disk_bytes": disk_bytes(folder),
        "build_s": build,
        "segments": store.stats()["segments"],
    }


def measure_old(n: int, folder: Path, rng: np.random.Generator) -> dict:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    old = old_store_class()
    embedding = DeterministicFakeEmbedding(size=DIM)
    store = old(embedding, dimensions=DIM, model_name="bench", path=folder)
    done = 0
    while done < n - FILE_CHUNKS:
        size = min(20_000, n - FILE_CHUNKS - done)
        store.add_file(
            f"bulk-{done}.txt",
            f"b{done}",
            chunks(f"bulk-{done}.txt", texts(done, size, rng)),
            vectors(size, rng),
        )
        done += size
    store.add_file(
        "doomed.txt", "d", chunks("doomed.txt", texts(done, FILE_CHUNKS, rng)), vectors(FILE_CHUNKS, rng)
    )
    store.save()
    small = texts(10_000_000, 10, rng)

    def add_and_save() -> None:
        store.add_file("small.txt", "s", chunks("small.txt", small), vectors(10, rng))
        store.save()

    def delete_and_save() -> None:
        store.delete_source("doomed.txt")
        store.save()

    add = timed(add_and_save)
    delete = timed(delete_and_save)
    load = timed(lambda: old.load(folder, embedding, dimensions=DIM, model_name="bench"))
    return {"n": n, "add_10_s": add, "delete_500_s": delete, "open_s": load, "disk_bytes": disk_bytes(folder)}


def in_child(which: str, n: int, repeats: int) -> dict:
    """Each measurement in a fresh process, so one store's memory never slows the next."""
    import json

    out = subprocess.run(
        [sys.executable, __file__, "--child", which, "--n", str(n), "--repeats", str(repeats)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def plot(new: list[dict], old: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, key, title in zip(
        axes,
        ("add_10_s", "delete_500_s", "open_s"),
        ("add a 10-chunk file", "delete a 500-chunk file", "open the store"),
        strict=True,
    ):
        for rows, label, style in (
            (old, "rag-app 0.1 (rewrite on save)", "o--"),
            (new, "segment store", "s-"),
        ):
            if rows:
                ax.loglog([r["n"] for r in rows], [r[key] * 1000 for r in rows], style, label=label)
        ax.set_title(title)
        ax.set_xlabel("chunks in the store")
        ax.set_ylabel("ms")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    RESULTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(RESULTS / "store_growth.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--old-max", type=int, default=1_000_000, help="largest size to run the old store at")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", choices=["new", "old"])
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    if args.child:
        import json

        folder = Path(tempfile.mkdtemp(prefix=f"growth-{args.child}-"))
        rng = np.random.default_rng(args.n)
        try:
            result = (
                measure_new(args.n, folder, rng, args.repeats)
                if args.child == "new"
                else measure_old(args.n, folder, rng)
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(json.dumps(result))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    new = [in_child("new", n, args.repeats) for n in sizes]
    old = [in_child("old", n, args.repeats) for n in sizes if n <= args.old_max]
    plot(new, old)
    by_n = {r["n"]: r for r in old}

    def cell(row: dict | None, key: str) -> str:
        return (
            "-"
            if row is None
            else f"{row[key] * 1000:,.0f} ms"
            if row[key] >= 0.01
            else f"{row[key] * 1000:.1f} ms"
        )

    rows = "".join(
        f"| {r['n']:,} | {cell(by_n.get(r['n']), 'add_10_s')} | {cell(r, 'add_10_s')} (max {r['add_10_max_s'] * 1000:,.0f}) | "
        f"{cell(by_n.get(r['n']), 'delete_500_s')} | {cell(r, 'delete_500_s')} | {cell(by_n.get(r['n']), 'open_s')} | "
        f"{cell(r, 'open_s')} | {r['first_query_s'] * 1000:,.0f} ms | "
        f"{'-' if r['n'] not in by_n else format(by_n[r['n']]['disk_bytes'] / 1e6, ',.0f') + ' MB'} | {r['disk_bytes'] / 1e6:,.0f} MB | {r['segments']} |\n"
        for r in new
    )
    flat = max(r["add_10_s"] for r in new) / min(r["add_10_s"] for r in new)
    markdown = f"""
### Store growth (`benchmarks/store_growth.py`)

Random 384-dimension unit vectors and ~900-character texts; the old store is rag-app 0.1's (commit {OLD_COMMIT}, loaded
from git history: every save rewrites the whole FAISS file and JSON docstore, deletes are one `remove_ids` per chunk),
the new one is `rag_app/store` (segments, SQLite, nothing rewritten). Each size in fresh processes; new-store figures are
medians of {args.repeats} (adds: {2 * args.repeats}); old-store figures are single runs.

| chunks | add 10-chunk file, old | new (median, max) | delete 500-chunk file, old | new | open, old | new | first query after open, new | disk, old | new | segments |
|---|---|---|---|---|---|---|---|---|---|---|
{rows}
The cost of one small upload moves by **{flat:.1f}x** from the smallest to the largest store (goal: within 2x). The max
column shows the occasional upload that also merges segments (at most `fan_in` = 8 segments of one size class live at
once). "Open" maps the segment files without reading them; the first query after opening pays for reading the vectors
from disk (or the page cache).

![Store growth: add, delete and open times against store size](bench/store_growth.png)
"""
    save("store_growth", {"new": new, "old": old}, markdown)


if __name__ == "__main__":
    main()
