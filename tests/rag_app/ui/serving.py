"""`rag-app serve` as a real process, for the tests that share a server between people."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

SERVER_ENV = {"RAG_EMBEDDING_MODEL": "bundled", "RAG_LLM": "none"}


rag_app = functools.partial(run_cli, timeout=600)


def write_auth_file(path: Path, people: dict[str, str]) -> Path:
    for user, password in people.items():
        assert rag_app("passwd", "--auth-file", str(path), user, stdin=password + "\n").returncode == 0
    return path


def start_server(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """``rag-app serve ARGS``, returned once it says where it serves: an event, not a sleep."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag_app.cli", "serve", *args],
        cwd=ROOT,
        env={**os.environ, **SERVER_ENV, **(env or {})},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("serving on"):
            return proc
    pytest.fail(f"the server ended without serving (exit {proc.wait()})")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(30)
