"""`rag-app serve` refuses unsafe or malformed settings before it starts anything."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag_app.cli", "serve", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--share"], "--share without accounts would let anyone"),
        (["--auth", "nopassword"], "--auth and RAG_AUTH must be USER:PASS"),
    ],
)
def test_refusals(args, message):
    out = serve(*args)
    assert out.returncode == 1 and message in out.stderr
