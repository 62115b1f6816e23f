"""The parent's side of a sandboxed worker: start it isolated, send one request, read its events
with a timeout, and end it.

Every parser of untrusted bytes (PDFs in ``pdf_worker.py``; Office files, EPUB, HTML and images in
``doc_worker.py``) runs this way: ``python -I`` (no user site, no environment paths), a scrubbed
environment, an address-space cap the worker sets on itself before it reads a byte, and JSON lines
back, never pickle, so a file that subverts its parser still cannot make the parent run anything.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from pathlib import Path
from typing import Any

from loaders.errors import LoaderError, TooLargeError

_OUT_OF_MEMORY = ("MemoryError", "failed to map segment", "Cannot allocate memory", "bad_alloc")


class WorkerProcess:
    """One worker process and a line reader over its stdout that can wait with a timeout."""

    def __init__(self, script: str, request: dict[str, Any]) -> None:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "HOME")}
        env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(max(1, min(2, os.cpu_count() or 1)))
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(Path(__file__).with_name(script))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.close()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.proc.stdout, selectors.EVENT_READ)
        self._buffer = b""
        self._stderr: str | None = None

    def next_event(self, timeout: float) -> dict[str, Any] | None:
        """The next event, or None when the worker ended without one; TimeoutError past ``timeout``."""
        import time

        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise TimeoutError
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)  # type: ignore[union-attr]
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def stop(self) -> str:
        """End the worker (killed if still running); returns what it wrote to stderr."""
        if self._stderr is None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self._selector.close()
            self._stderr = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
        return self._stderr


def crash_error(stderr: str, memory_bytes: int, unreadable: type[LoaderError], what: str) -> LoaderError:
    """The error for a worker that died without saying why: out of memory, or its parser failed."""
    if any(marker in stderr for marker in _OUT_OF_MEMORY):
        return TooLargeError(f"too large: parsing needed more than {memory_bytes // 2**20} MiB of memory")
    last = (stderr.strip().splitlines() or ["no output"])[-1][:200]
    return unreadable(f"not a readable {what}: the parser failed ({last})")
