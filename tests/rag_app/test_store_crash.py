"""SIGKILL a real process at random points while it saves: the store always loads whole."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from rag_app.persistence import current_generation
from rag_app.store import FaissStore
from tests.rag_app.store_helpers import DIM, fake_embedding

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys, json
from rag_app.persistence import current_generation
from rag_app.store import FaissStore
from tests.rag_app.store_helpers import DIM, chunks_for, fake_embedding, unit_vectors
root = sys.argv[1]
store = FaissStore.load(root, fake_embedding(), dimensions=DIM, model_name="fake")
generation = len(store.list_sources())
while True:
    generation += 1
    texts = [f"gen {generation} passage {i}" for i in range(200)]
    store.add_file(f"file-{generation}.txt", str(generation), chunks_for(f"file-{generation}.txt", texts), unit_vectors(texts))
    store.save()
    print(generation, flush=True)
"""


def test_sigkill_during_saves_leaves_old_or_new_state(tmp_path):
    root = tmp_path / "store"
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    last_confirmed = 0
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, env=env, cwd=ROOT, text=True
        )
        time.sleep(1.0 + rng.random() * 1.5)  # start-up takes about a second; then saves run back to back
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        confirmed = [int(x) for x in out.split()]
        if confirmed:
            last_confirmed = confirmed[-1]
        store = FaissStore.load(root, fake_embedding(), dimensions=DIM, model_name="fake")
        files = len(store.list_sources())
        # Every confirmed save is there; at most one more (killed after its switch, before its print).
        assert files in (last_confirmed, last_confirmed + 1)
        assert store._index.ntotal == len(store.all_records()) == 200 * files
        last_confirmed = files
        manifest = json.loads((current_generation(root) / "manifest.json").read_text())
        assert manifest["counts"]["vectors"] == store._index.ntotal
    assert last_confirmed >= 3  # the kills really interrupted a run of saves
