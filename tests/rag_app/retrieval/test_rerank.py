"""The reranker seam: Qwen3-Reranker's scoring, in process (a tiny Qwen3 causal LM) and served."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch
from langchain_core.documents import Document

from rag_app.retrieval.rerank import Qwen3Reranker, reranker_input, yes_probability


def test_score_is_the_probability_of_yes_over_no_on_hand_built_logits():
    logits = torch.full((3, 10), -5.0)
    logits[0, 7], logits[0, 2] = 2.0, 0.0  # yes (7) far above no (2)
    logits[1, 7], logits[1, 2] = 0.0, 0.0  # undecided
    logits[2, 7], logits[2, 2] = -1.0, 3.0  # no
    probabilities = yes_probability(logits, yes_id=7, no_id=2)
    expected = [
        1 / (1 + torch.exp(torch.tensor(-2.0)).item()),
        0.5,
        1 / (1 + torch.exp(torch.tensor(4.0)).item()),
    ]
    assert probabilities == pytest.approx(expected, abs=1e-6)
    logits[:, 5] = 100.0  # other tokens, however likely, do not enter the score
    assert yes_probability(logits, yes_id=7, no_id=2) == pytest.approx(expected, abs=1e-6)


def test_the_prompt_is_the_model_cards():
    text = reranker_input("Find answers", "What is X?", "X is Y.")
    assert text.startswith("<|im_start|>system\nJudge whether the Document meets the requirements")
    assert "<Instruct>: Find answers\n<Query>: What is X?\n<Document>: X is Y." in text
    assert text.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_in_process_scoring_path_with_a_tiny_qwen3(tmp_path):
    from tests.tiny_causal_lm import build_tiny_causal_lm

    folder = build_tiny_causal_lm(tmp_path / "reranker")
    reranker = Qwen3Reranker(model=str(folder), top_n=2, batch_size=2)
    docs = [
        Document(page_content=t) for t in ("Beijing is the capital.", "Apples are fruit.", "Gravity pulls.")
    ]
    kept = reranker.compress_documents(docs, "What is the capital of China?")
    scores = reranker.scores("What is the capital of China?", [d.page_content for d in docs])
    assert all(0.0 < s < 1.0 for s in scores)
    assert [d.metadata["rerank_score"] for d in kept] == pytest.approx(sorted(scores, reverse=True)[:2])
    # One at a time or in a batch (left padding), the same scores: the answer position is the last token.
    alone = [
        Qwen3Reranker(model=str(folder), batch_size=1).scores(
            "What is the capital of China?", [d.page_content]
        )[0]
        for d in docs
    ]
    assert alone == pytest.approx(scores, abs=1e-4)


def test_a_served_rerank_endpoint_in_both_reply_shapes():
    replies = iter(
        [
            [{"index": 1, "score": 0.9}, {"index": 0, "score": 0.2}],
            {"results": [{"index": 0, "relevance_score": 0.7}, {"index": 1, "relevance_score": 0.1}]},
        ]
    )
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            data = json.dumps(next(replies)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), Handler
    )  # test double: a /rerank server, no model behind it
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        reranker = Qwen3Reranker(
            base_url=f"http://127.0.0.1:{server.server_address[1]}", served_model="qwen3-reranker"
        )
        assert reranker.scores("q", ["a", "b"]) == [0.2, 0.9]  # TEI's shape
        assert reranker.scores("q", ["a", "b"]) == [0.7, 0.1]  # vLLM's and Jina's shape
        assert (
            seen[0]["query"] == "q"
            and seen[0]["documents"] == ["a", "b"]
            and seen[0]["model"] == "qwen3-reranker"
        )
    finally:
        server.shutdown()
        server.server_close()
