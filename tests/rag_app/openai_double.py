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
