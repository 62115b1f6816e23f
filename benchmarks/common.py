"""Shared benchmark helpers: machine facts, the matmul peak, fixture texts, and result files.

Every figure is measured in the same run as its baseline and reported as a ratio too: the
machines are shared, and a background job changes absolute numbers but not ratios much.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PDFS = SHARED / "fixtures" / "pdfs"
EVAL = SHARED / "eval"
RESULTS = ROOT / "docs" / "bench"

sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")


def machine() -> dict[str, Any]:
    import torch

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def matmul_peak_gflops(
    sizes: tuple[int, ...] = (512, 1024, 2048), repeats: int = 10, dtype: str = "float32"
) -> float:
    """Best square matrix-product rate over a few sizes on this machine, now: the ceiling
    for embedding (the best size differs between machines, so several are tried)."""
    import torch

    rates = []
    for n in sizes:
        a, b = torch.randn(n, n, dtype=getattr(torch, dtype)), torch.randn(n, n, dtype=getattr(torch, dtype))
        a @ b
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - start)
        rates.append(2 * n**3 / best / 1e9)
    return max(rates)


def fixture_chunks(max_tokens: int = 254, limit: int | None = None) -> list[str]:
    """A realistic mix of chunk lengths: every readable fixture PDF, chunked as the app does."""
    from loaders import LoaderError, load
    from rag_app.embeddings.local import embeddings_for
    from rag_app.ingest.chunking import ChunkingConfig, chunk_documents

    counter = embeddings_for("bundled").token_counter()
    documents = []
    for pdf in sorted(PDFS.glob("*.pdf")):
        try:
            documents.extend(load(pdf))
        except LoaderError:
            continue
    chunks = [
        c.page_content for c in chunk_documents(documents, counter, ChunkingConfig(max_tokens=max_tokens))
    ]
    return chunks[:limit] if limit else chunks


def best_time(fn, repeats: int = 2) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def save(name: str, data: dict[str, Any], markdown: str) -> None:
    """Write docs/bench/NAME.json and NAME.md; benchmarks/report.py gathers them into docs/benchmarks.md."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"machine": machine(), "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), **data}
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    (RESULTS / f"{name}.md").write_text(markdown.strip() + "\n")
    print(markdown)
