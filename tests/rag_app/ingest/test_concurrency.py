"""Chunking (the token counter) and embedding share a model from two threads without interfering."""

from __future__ import annotations

import threading

import pytest

from rag_app.ingest.chunking import ChunkingConfig, chunk_text

pytestmark = pytest.mark.slow


def test_chunking_while_embedding_questions_gives_the_single_threaded_counts(bundled_embeddings):
    counter = bundled_embeddings.token_counter()
    text = " ".join(f"Sentence {i} talks about apples, pears and the weather in May." for i in range(400))
    config = ChunkingConfig(max_tokens=64, overlap_tokens=8)
    alone = chunk_text(text, counter, config)
    expected_counts = counter([text[s:e] for s, e in alone])
    errors: list[BaseException] = []
    results: list[list[tuple[int, int]]] = []
    stop = threading.Event()

    embedded = [0]

    def chunk_in_a_loop() -> None:
        # At least 8 rounds, and on until two embeddings have run meanwhile: the two threads overlap
        # however the scheduler orders them (a worker done before the first embedding proves nothing).
        try:
            while len(results) < 8 or embedded[0] < 2:
                results.append(chunk_text(text, counter, config))
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()

    worker = threading.Thread(target=chunk_in_a_loop)
    worker.start()
    try:
        while not stop.is_set():
            bundled_embeddings.encode_queries([f"question {embedded[0]} about apples?", "and pears?"])
            embedded[0] += 1
    finally:
        worker.join()
    assert errors == [] and embedded[0] >= 2
    assert all(r == alone for r in results)
    assert counter([text[s:e] for s, e in results[-1]]) == expected_counts
