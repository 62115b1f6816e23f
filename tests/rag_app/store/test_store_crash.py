"""SIGKILL real writer processes at random points: nothing reported indexed is ever lost.

The kills are timed by events (the writer's own progress lines), not by sleeping: a writer is
killed as soon as it reports a randomly chosen step, while it is already busy with the next.
"""

from __future__ import annotations

import os
import random
import signal
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
root, start, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = open_store(root, compaction=CompactionPolicy(dead_share=0.3, fan_in=4))
n = start
while True:
    n += 1
    texts = [f"file {n} passage {i}" for i in range(200)]
    add(store, f"file-{n}.txt", texts, sha=str(n))
    print(f"indexed {n}", flush=True)
    if mode == "compact" and n % 2 == 0:
        store.delete_file(f"file-{n - 1}.txt")
        print(f"deleted {n - 1}", flush=True)
        print("compacting", flush=True)
        store.compact(everything=True)
        print("compacted", flush=True)
"""


def run_and_kill(root: Path, start: int, mode: str, kill_after: str, rng: random.Random) -> list[str]:
    """Start a writer, kill it with SIGKILL once it prints ``kill_after`` for the n-th time."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), str(start), mode],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    target, seen, lines = rng.randint(1, 4), 0, []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.strip())
        if line.startswith(kill_after):
            seen += 1
            if seen == target:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait()
    lines += [line.strip() for line in proc.stdout.read().splitlines()]
    return lines


def check(root: Path, confirmed: set[int], deleted: set[int], in_flight: set[int] = frozenset()) -> set[int]:
    """Every file the writer reported is whole and searchable; returns the files present.

    ``in_flight``: files whose deletion had begun when the writer was killed (gone or not).
    """
    store = open_store(root)
    present = {int(f["source"].split("-")[1].split(".")[0]) for f in store.list_files()}
    assert confirmed - deleted - in_flight <= present
    assert present - confirmed <= {max(confirmed | {0}) + 1}  # at most one killed after its commit
    for n in present:
        assert store.file(f"file-{n}.txt")["chunks"] == 200
        hit = store.search(unit_vectors([f"file {n} passage 7"])[0], 1)[0]
        assert hit.chunk.text == f"file {n} passage 7"
    assert len(store) == 200 * len(present) == len(store.all_records())
    assert store.verify_checksums() == []
    return present


def test_sigkill_during_writes_loses_nothing_reported(tmp_path):
    root, rng = tmp_path / "store", random.Random(1234)
    confirmed: set[int] = set()
    for _ in range(6):
        lines = run_and_kill(root, max(confirmed | {0}) + 1, "write", "indexed", rng)
        confirmed |= {int(line.split()[1]) for line in lines if line.startswith("indexed")}
        confirmed = check(root, confirmed, set())
    assert len(confirmed) >= 6


def test_sigkill_during_compaction_loses_nothing_reported(tmp_path):
    root, rng = tmp_path / "store", random.Random(99)
    confirmed: set[int] = set()
    deleted: set[int] = set()
    inside = 0
    for _ in range(6):
        lines = run_and_kill(root, max(confirmed | {0}) + 1, "compact", "compacting", rng)
        inside += lines[-1] == "compacting"  # killed before compaction could report it was done
        confirmed |= {int(line.split()[1]) for line in lines if line.startswith("indexed")}
        deleted |= {int(line.split()[1]) for line in lines if line.startswith("deleted")}
        last = max(confirmed)
        in_flight = {last - 1} if lines[-1] == f"indexed {last}" and last % 2 == 0 else set()
        present = check(root, confirmed, deleted, in_flight)
        assert not present & deleted
        deleted |= in_flight - present
    assert inside >= 3
