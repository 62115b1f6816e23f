"""Two processes writing one store at once: every file of both ends up stored and searchable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rag_app.store.store_helpers import open_store, unit_vectors

pytestmark = pytest.mark.server  # real writer processes

ROOT = Path(__file__).resolve().parents[3]
WRITER = """
import sys
from rag_app.store import CompactionPolicy
from tests.rag_app.store.store_helpers import add, open_store
root, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = open_store(root, compaction=CompactionPolicy(fan_in=3))
for n in range(rounds):
    add(store, f"{name}-{n}.txt", [f"{name} file {n} passage {i}" for i in range(30)], sha=f"{name}{n}")
    if n % 3 == 2:
        store.delete_file(f"{name}-{n - 1}.txt")
print("done", flush=True)
"""


def test_two_writers_lose_nothing(tmp_path):
    root = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), name, "12"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for name in ("alpha", "beta")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.strip() == "done", err
    store = open_store(root)
    expected = {f"{name}-{n}.txt" for name in ("alpha", "beta") for n in range(12) if n % 3 != 1}
    assert {f["source"] for f in store.list_files()} == expected
    assert len(store) == 30 * len(expected)
    for source in expected:
        name, n = source[:-4].split("-")
        hit = store.search(unit_vectors([f"{name} file {n} passage 11"])[0], 1)[0]
        assert hit.chunk.text == f"{name} file {n} passage 11"
