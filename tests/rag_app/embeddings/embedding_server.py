"""A real embedding server for the tests: Infinity (OpenAI-compatible ``/embeddings``), started on
127.0.0.1 from its own virtual environment (``make test`` builds ``.venv-embed-server``; Infinity pins
numpy<2 and transformers<5, which this project's venv does not)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
SERVER_BIN = ROOT / ".venv-embed-server" / "bin" / "infinity_emb"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class InfinityServer:
    """``with InfinityServer(model_dir, "minilm") as server: server.base_url`` -> ``http://127.0.0.1:P/v1``."""

    def __init__(self, model_dir: Path, served_name: str, log_path: Path, *, startup_s: float = 180) -> None:
        self.model_dir = model_dir
        self.served_name = served_name
        self.log_path = log_path
        self.startup_s = startup_s
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> InfinityServer:
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "INFINITY_ANONYMOUS_USAGE_STATS": "0",
            "DO_NOT_TRACK": "1",
            "OMP_NUM_THREADS": "1",
        }
        command = [
            str(SERVER_BIN),
            "v2",
            "--model-id",
            str(self.model_dir),
            "--served-model-name",
            self.served_name,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--url-prefix",
            "/v1",
            "--no-model-warmup",
            "--device",
            "cpu",
            "--engine",
            "torch",
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the embedding server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            # Polling for readiness: the server announces nothing we could wait on otherwise.
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the embedding server did not start in {self.startup_s:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> InfinityServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
