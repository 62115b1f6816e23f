"""A real `rag-app serve --auth-file` in a process of its own, for tests that attack it over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT
from tests.rag_app.ui.conftest import free_port
from tests.rag_app.ui.serving import write_auth_file

PEOPLE = {"alice": "alice-secret-1", "bob": "bob-secret-22", "carol": "carol-secret-3"}


@contextmanager
def shared_server(root: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """Serve a knowledge base per person (alice, bob, carol) from ``root``; yields the URL and the lines
    the server writes to stderr once serving (collected as they come)."""
    auth = root / "people.auth"
    write_auth_file(auth, PEOPLE)
    port = free_port()
    command = ["serve", "--store", str(root / "kb"), "--auth-file", str(auth), "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag_app.cli", *command],
        cwd=ROOT,
        env={
            **os.environ,
            "RAG_EMBEDDING_MODEL": "bundled",
            "RAG_LLM": "none",
            "RAG_MULTILINGUAL": "off",
            "RAG_UPLOAD_CACHE_DIR": str(root / "upload-cache"),
            **(env or {}),
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # ready when it says where it serves: an event, not a sleep
        if line.startswith("serving on"):
            break
    else:
        raise RuntimeError(f"the server ended without serving (exit {proc.wait()})")
    logged: list[str] = []
    threading.Thread(target=lambda: logged.extend(proc.stderr), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}/", logged
    finally:
        proc.terminate()
        proc.wait(30)
