"""Test double: an OpenAI-compatible chat server on 127.0.0.1, with no language model behind it.

It speaks the chat-completions wire format (JSON, and SSE when streaming) as Ollama and vLLM do,
so the real client (``langchain-openai``'s ``ChatOpenAI``) talks to it unchanged. It answers every
request with ``words``; the model ``missing`` gets Ollama's 404.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeChatServer:
    """With ``gate`` set, a streamed answer stops after its first word until the test sets the gate:
    a client that buffered the whole answer would never see that word first."""

    def __init__(self, words: list[str], gate: threading.Event | None = None) -> None:
        self.words = words
        self.gate = gate
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def send_json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                model = body["model"]
                if model == "missing":
                    self.send_json(
                        404, {"error": {"message": f"model '{model}' not found", "type": "not_found"}}
                    )
                    return
                base = {"id": "chatcmpl-1", "created": 0, "model": model}
                if not body.get("stream"):
                    message = {"role": "assistant", "content": "".join(outer.words)}
                    self.send_json(
                        200,
                        {
                            **base,
                            "object": "chat.completion",
                            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                        },
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for number, word in enumerate(outer.words):
                    chunk = {
                        **base,
                        "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    if number == 0 and outer.gate is not None:
                        outer.gate.wait(30)
                end = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.gate is not None:
            self.gate.set()
        self.server.shutdown()
        self.server.server_close()


class FakeEmbeddingServer:
    """Test double: an OpenAI-compatible ``/v1/embeddings`` server with no model behind it, for the
    server behaviours a real one will not show on demand. Each text's vector is a fixed random one
    (seeded by the text) of ``native`` dimensions, deliberately not unit length.

    ``dimensions``: "honour" (cut as asked), "reject" (400, as vLLM does for a model not started
    Matryoshka-capable) or "ignore" (as llama.cpp does). ``fail_first``: that many requests get a
    ``fail_status`` (503) with ``Retry-After: retry_after`` before any succeeds. ``short_by``: vectors left out of each answer."""

    def __init__(
        self,
        *,
        native: int = 48,
        dimensions: str = "honour",
        fail_first: int = 0,
        fail_status: int = 503,
        retry_after: str = "0",
        short_by: int = 0,
    ) -> None:
        self.native = native
        self.dimensions = dimensions
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.retry_after = retry_after
        self.short_by = short_by
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def send_json(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                if len(outer.requests) <= outer.fail_first:
                    self.send_json(
                        outer.fail_status,
                        {"error": {"message": "failing"}},
                        {"Retry-After": outer.retry_after},
                    )
                    return
                wanted = body.get("dimensions")
                if wanted is not None and outer.dimensions == "reject":
                    self.send_json(400, {"error": {"message": "Model does not support matryoshka"}})
                    return
                vectors = [outer.raw_vector(text) for text in body["input"]]
                if wanted is not None and outer.dimensions == "honour":
                    vectors = [v[:wanted] for v in vectors]
                vectors = vectors[: len(vectors) - outer.short_by]
                data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
                self.send_json(200, {"object": "list", "data": data, "model": body["model"]})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def raw_vector(self, text: str) -> list[float]:
        import hashlib
        import random

        rng = random.Random(hashlib.blake2b(text.encode()).digest())
        return [rng.gauss(0, 3) for _ in range(self.native)]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeEmbeddingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
