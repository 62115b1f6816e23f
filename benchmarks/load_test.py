"""A shared server under load: 20 people logged in to a real `rag-app serve` (auth file, a 10,000-chunk library,
the extractive backend), asking at once through gradio_client while two of them upload; answer latency
p50/p95, errors, and whether any response ever held another person's passages. With ``--attackers N``,
N clients beside them guess passwords all along (one on a real account, the others on made-up names) and
one logged-in person tries to read every other person's queue stream by its session hash.

Run: .venv/bin/python benchmarks/load_test.py [--people 20] [--rounds 5] [--chunks 10000] [--attackers 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from common import ROOT, save

WORDS = "harbour lantern orchard meadow quarry glacier canyon prairie delta lagoon summit ravine".split()


def build_library(folder: Path, chunks: int) -> None:
    """A library of ``chunks`` passages: bundled-model vectors of varied texts, stored as `rag-app ingest` would."""
    from rag_app.embeddings.local import embeddings_for
    from rag_app.store import FaissStore

    emb = embeddings_for("bundled")
    rng = np.random.default_rng(0)
    base = [" ".join(rng.choice(WORDS, 40)) for _ in range(200)]
    vectors = emb.encode_documents(base)
    store = FaissStore(emb, path=folder, model_name=emb.resolved.name, dimensions=emb.output_dimensions)
    for start in range(0, chunks, 1000):
        texts = [
            f"Library passage {i}: {base[i % len(base)]}" for i in range(start, min(chunks, start + 1000))
        ]
        noise = rng.normal(scale=0.05, size=(len(texts), vectors.shape[1])).astype(np.float32)
        rows = vectors[[i % len(base) for i in range(start, start + len(texts))]] + noise
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        store.add_vectors(texts, rows, [{"source": f"library-{start // 1000}.txt"}] * len(texts))


def main() -> None:
    from gradio_client import Client, handle_file

    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--attackers", type=int, default=0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    build_library(root / "library", args.chunks)
    people = {f"person{n:02d}": f"password-{n:02d}-long" for n in range(args.people)}
    env = {
        **os.environ,
        "RAG_EMBEDDING_MODEL": "bundled",
        "RAG_LLM": "none",
        "RAG_LIMIT_QUESTIONS_PER_MINUTE": "10000",
    }
    for user, password in people.items():
        subprocess.run(
            [sys.executable, "-m", "rag_app.cli", "passwd", "--auth-file", str(root / "auth"), user],
            input=password + "\n",
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
            capture_output=True,
        )
    port = 7990
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rag_app.cli",
            "serve",
            "--store",
            str(root / "kb"),
            "--auth-file",
            str(root / "auth"),
            "--library",
            str(root / "library"),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in server.stderr:
        if line.startswith("serving on"):
            break
    url = f"http://127.0.0.1:{port}/"
    clients = {user: Client(url, auth=(user, pw), verbose=False) for user, pw in people.items()}
    secrets = {}
    for user, client in clients.items():  # each person's own document, with a word no one else has
        secrets[user] = f"zq{user}zq"
        path = root / f"{user}.txt"
        path.write_text(
            f"The private note of {user}: the code word is {secrets[user]} and the lantern is blue."
        )
        client.predict([handle_file(str(path))], "", api_name="/upload")
    latencies, errors, leaks = [], [], []
    lock = threading.Lock()

    def asker(user: str) -> None:
        for round_ in range(args.rounds):
            started = time.perf_counter()
            try:
                _, _, result, _, _ = clients[user].predict(
                    f"What is the code word of the lantern note? ({round_})", [], api_name="/ask"
                )
            except Exception as exc:
                with lock:
                    errors.append(f"{user}: {exc}")
                continue
            elapsed = time.perf_counter() - started
            text = " ".join(r["text"] for r in result["results"]) + result.get("answer", "")
            with lock:
                latencies.append(elapsed)
                leaks.extend(
                    f"{user} saw {other}'s note"
                    for other, word in secrets.items()
                    if other != user and word in text
                )

    def uploader(user: str) -> None:
        for n in range(args.rounds):
            path = root / f"{user}-extra-{n}.txt"
            path.write_text(f"Extra note {n} of {user}: the orchard gate is green. " * 20)
            try:
                clients[user].predict([handle_file(str(path))], "", api_name="/upload")
            except Exception as exc:
                with lock:
                    errors.append(f"{user} upload: {exc}")

    threads = [threading.Thread(target=asker, args=(u,)) for u in people]
    threads += [threading.Thread(target=uploader, args=(u,)) for u in list(people)[:2]]
    attempts: list[int] = []
    streams_read: list[int] = []
    done = threading.Event()

    def guesser(n: int) -> None:
        import httpx

        with httpx.Client(base_url=url, timeout=30) as http:
            i = 0
            while not done.is_set():
                name = next(iter(people)) if n == 0 else f"nobody-{n}-{i}"
                code = http.post("/login", data={"username": name, "password": f"guess-{i}"}).status_code
                with lock:
                    attempts.append(code)
                i += 1

    def stream_reader() -> None:
        import httpx

        thief, password = list(people.items())[-1]
        with httpx.Client(base_url=url, timeout=5) as http:
            http.post("/login", data={"username": thief, "password": password})
            while not done.is_set():
                for user, client in clients.items():
                    if user != thief:
                        where = {"session_hash": client.session_hash}
                        with http.stream("GET", "/gradio_api/queue/data", params=where) as answer:
                            code = answer.status_code
                        with lock:
                            streams_read.append(code)

    attackers = [threading.Thread(target=guesser, args=(n,)) for n in range(args.attackers)]
    attackers += [threading.Thread(target=stream_reader)] if args.attackers else []
    started = time.perf_counter()
    for t in [*attackers, *threads]:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    done.set()
    for t in attackers:
        t.join()
    for client in clients.values():
        client.close()
    server.terminate()
    server.wait(30)
    p50 = statistics.median(latencies)
    p95 = float(np.percentile(latencies, 95))
    markdown = f"""
### A shared server under load (`benchmarks/load_test.py`)

A real `rag-app serve` with an auth file of {args.people} people and a {args.chunks:,}-chunk library (bundled model, extractive
answers, the default queue of 4 requests at a time), each person with a private note holding a code word no one else has.
All {args.people} ask {args.rounds} questions each at once through gradio_client while two of them upload {args.rounds} files each.

| answers | p50 latency | p95 latency | errors | responses holding another person's passages | wall time |
|---|---|---|---|---|---|
| {len(latencies)} | {p50:.2f} s | {p95:.2f} s | {len(errors)} | {len(leaks)} | {wall:.0f} s |

Latency includes waiting in the queue: with 20 people asking at once on two CPU cores, most of it is the wait.
"""
    data = {"latencies": latencies, "errors": errors, "leaks": leaks, "wall_s": wall}
    if args.attackers:
        markdown = markdown.replace(
            "under load (`benchmarks/load_test.py`)",
            f"under load, with attackers (`benchmarks/load_test.py --attackers {args.attackers}`)",
        )
        checked = sum(code != 429 for code in attempts)
        stolen = sum(code == 200 for code in streams_read)
        markdown += f"""
Beside them, {args.attackers} clients guessed passwords the whole time (one on a real account, the others on made-up
names) and one logged-in person asked for every other person's queue stream by its session hash:
{len(attempts):,} login attempts, {checked} of them checked (the rest refused at once with 429, no password hashed);
{len(streams_read):,} stream reads, {stolen} answered 200 (the rest 403).
"""
        data |= {
            "login_attempts": len(attempts),
            "logins_checked": checked,
            "streams_read": streams_read.count(200),
        }
    save("load_test_attack" if args.attackers else "load_test", data, markdown)


if __name__ == "__main__":
    main()
