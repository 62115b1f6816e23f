"""Shared fixtures: real PDFs from ../shared, the bundled model, and a tiny Qwen3 built here."""

from __future__ import annotations

import faulthandler
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PDF_FIXTURES = SHARED / "fixtures" / "pdfs"
EVAL_DIR = SHARED / "eval"
SAMPLE_DOCS = ROOT / "sample_docs"
AMBIGUITY_KEYS = {"ambiguous", "top1_top2_gap", "threshold", "message", "score", "relative"}
"""The JSON's ambiguity verdict: the contract's four keys, plus which score the gap is on and whether
it is relative."""


def run_cli(
    *args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 900
) -> subprocess.CompletedProcess:
    """``rag-app ARGS`` in a process of its own, on the bundled model, as a person runs it."""
    return subprocess.run(
        [sys.executable, "-m", "rag_app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, "RAG_EMBEDDING_MODEL": "bundled", **(env or {})},
    )


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


HARD_MARGIN_S = 60


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """A hard limit under pytest-timeout. pytest-timeout's timer is a Python thread: C code that
    holds the GIL (a regex over a megabyte, a stuck native call) stops it from ever firing.
    faulthandler's watchdog is a C thread: it dumps every thread's stack and ends the run."""
    marker = item.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker and marker.args else float(item.config.getini("timeout") or 600)
    faulthandler.dump_traceback_later(limit + HARD_MARGIN_S, exit=True, file=sys.stderr)
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def pdf_fixtures() -> Path:
    if not PDF_FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {PDF_FIXTURES}")
    return PDF_FIXTURES


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path, monkeypatch):
    """No test touches the user's store. The Hugging Face cache stays the real one (read-only, offline),
    so the Qwen3 reference test runs wherever the weights really are."""
    monkeypatch.setenv("RAG_STORE_DIR", str(tmp_path / "store"))


@pytest.fixture(scope="session")
def bundled_embeddings():
    from rag_app.embeddings.local import embeddings_for

    return embeddings_for("bundled")


@pytest.fixture(scope="session")
def minilm_counter(bundled_embeddings):
    from rag_app.embeddings.tokens import hf_token_counter

    return hf_token_counter(bundled_embeddings.tokenizer)


@pytest.fixture(scope="session")
def tiny_qwen3_dir(tmp_path_factory) -> Path:
    from tests.tiny_qwen3 import build_tiny_qwen3

    return build_tiny_qwen3(tmp_path_factory.mktemp("tiny-qwen3"))
