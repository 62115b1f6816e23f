"""What the OpenAI-compatible door adds to an answer: the same questions asked in process
(``RagService.answer``) and through ``POST /v1/chat/completions`` of the app's real server (Gradio,
the guard, the doors) serving that same service in the same process, alternated question by
question (so a busy machine slows both alike, and both run with the same threads and caches).

Goal: the HTTP door adds at most 20 ms at p50.

Run: .venv/bin/python benchmarks/door_latency.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from common import ROOT, save

QUESTIONS = [
    "How long should green tea steep?",
    "When does the library open on Saturdays?",
    "What is the capital of China?",
    "How do I keep bread fresh?",
    "When does the app show a Top-3 ambiguity warning?",
    "我想吃点东西",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.update({"RAG_EMBEDDING_MODEL": "bundled", "RAG_LLM": "none"})
    import httpx

    from rag_app.cli.doors import door_identity, doors_middleware
    from rag_app.cli.serve import guard_middleware
    from rag_app.service import RagService
    from rag_app.settings import Settings
    from rag_app.sharing.server_process import prepare_server_process
    from rag_app.ui import build_app, launch

    prepare_server_process()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(store_dir=Path(folder) / "kb")
        service = RagService(settings)
        service.ingest([ROOT / "sample_docs"])
        port = free_port()
        middleware = [
            *guard_middleware(settings, None),
            *doors_middleware(service, door_identity(None, None), loopback_only=True),
        ]
        demo = launch(build_app(settings, service), settings, port=port, middleware=middleware)
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        # The in-process answer runs in a worker thread, as the server's do (torch's threads are per thread).
        worker = ThreadPoolExecutor(1)

        def in_process(question: str) -> None:
            worker.submit(service.answer, question).result()

        def through_the_door(question: str) -> None:
            body = {"model": "rag-app", "messages": [{"role": "user", "content": question}]}
            http.post("/v1/chat/completions", json=body).raise_for_status()

        try:
            for q in QUESTIONS:  # warm both: models loaded, caches filled
                in_process(q)
                through_the_door(q)
            direct, door = [], []
            for _ in range(args.rounds):
                for q in QUESTIONS:
                    for ask, times in ((in_process, direct), (through_the_door, door)):
                        start = time.perf_counter()
                        ask(q)
                        times.append(time.perf_counter() - start)
        finally:
            demo.close()
    p50_in, p50_door = float(np.median(direct)) * 1000, float(np.median(door)) * 1000
    p95_in, p95_door = float(np.percentile(direct, 95)) * 1000, float(np.percentile(door, 95)) * 1000
    added = p50_door - p50_in
    data = {
        "questions": len(direct),
        "in_process_ms": {"p50": p50_in, "p95": p95_in},
        "door_ms": {"p50": p50_door, "p95": p95_door},
        "added_p50_ms": added,
        "ratio_p50": p50_door / p50_in,
        "goal_added_p50_ms": 20,
    }
    verdict = "met" if added <= 20 else "missed"
    markdown = f"""## The OpenAI-compatible door's cost

{len(direct)} answers (6 questions on the sample documents x {args.rounds} rounds, extractive answers, the bundled
model), asked in process and through `POST /v1/chat/completions` of the app's server (Gradio, the guard, the
doors) on the same service in the same process, alternated question by question.

| | p50 | p95 |
|---|---:|---:|
| in process (`RagService.answer`, in a worker thread) | {p50_in:.1f} ms | {p95_in:.1f} ms |
| through `/v1/chat/completions` | {p50_door:.1f} ms | {p95_door:.1f} ms |

The door adds {added:.1f} ms at p50 (x{p50_door / p50_in:.2f}); goal at most 20 ms: {verdict}.
"""
    save("door_latency", data, markdown)


if __name__ == "__main__":
    main()
