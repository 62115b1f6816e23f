"""Several ``rag-app`` processes on one Milvus server, and the server killed under an ingest: what a
team running one server for several app processes relies on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.rag_app.store.conftest import SERVER_URI_ENV

pytestmark = [pytest.mark.server, pytest.mark.slow]  # real processes on the bundled model

WORDS = "harbour lantern meadow copper violin glacier orchard saddle timber falcon quartz ember".split()


def _env(store: Path, **extra: str) -> dict[str, str]:
    return {
        "RAG_VECTOR_STORE": "milvus",
        "RAG_MILVUS_URI": os.environ[SERVER_URI_ENV],
        "RAG_STORE_DIR": str(store),
        "RAG_MULTILINGUAL": "off",  # one store per knowledge base keeps the test to the point
        **extra,
    }


def _write_files(folder: Path, prefix: str, count: int, paragraphs: int = 1) -> list[Path]:
    """Files whose every passage names the file (``<prefix>n``), so a search can tell them apart."""
    folder.mkdir(parents=True)
    files = []
    for n in range(count):
        tag = f"{prefix}{n}"
        text = "\n\n".join(
            f"Note {tag} part {p}: the {WORDS[n % len(WORDS)]} of {tag} was counted on day {p} "
            f"beside the {WORDS[(n + p) % len(WORDS)]}, and {tag} kept the record."
            for p in range(paragraphs)
        )
        path = folder / f"{tag}.txt"
        path.write_text(text)
        files.append(path)
    return files


def _ingest(store: Path, *paths: Path, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rag_app.cli", "ingest", "--store", str(store), *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "RAG_EMBEDDING_MODEL": "bundled", **_env(store, **extra)},
    )


def _server_store(store: Path):
    """The knowledge base as this process sees it on the server (no model needed to read it)."""
    from rag_app.store.milvus.keys import collection_for
    from rag_app.store.milvus.store import MilvusStore

    return MilvusStore(uri=os.environ[SERVER_URI_ENV], collection=collection_for(store), path=store)


def _no_duplicates(kb) -> None:
    """Every text stored once, every (file, chunk) held once, each file's ledger count matching."""
    refs = list(kb._all("refs", ["source", "chunk_id"]))
    assert not [k for k, n in Counter((r["source"], r["chunk_id"]) for r in refs).items() if n > 1]
    per_file = Counter(r["source"] for r in refs)
    assert {f["source"]: f["chunks"] for f in kb.list_files()} == dict(per_file)
    texts = [r.text for r in kb.all_records()]
    assert len(texts) == len(set(texts)) and kb.verify_checksums() == []


def test_two_ingests_at_once_lose_nothing_duplicate_nothing_and_see_each_others_deletes(
    milvus_server, tmp_path
):
    store = tmp_path / "kb"
    ours = _write_files(tmp_path / "a", "alpha", 6)
    theirs = _write_files(tmp_path / "b", "beta", 6)
    shared = "Both teams keep this very same onboarding checklist for the copper lantern project."
    (tmp_path / "a" / "checklist-a.txt").write_text(shared)
    (tmp_path / "b" / "checklist-b.txt").write_text(shared)
    procs = [_ingest(store, tmp_path / "a"), _ingest(store, tmp_path / "b")]  # a new store: both create it
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    kb = _server_store(store)
    sources = {Path(f["source"]).name for f in kb.list_files()}
    assert {p.name for p in ours + theirs} <= sources
    assert sources & {"checklist-a.txt", "checklist-b.txt"}  # indexed by one, or both (a race)
    _no_duplicates(kb)
    assert sum(r.text == shared for r in kb.all_records()) == 1
    # A third process asks; a fourth deletes; the next question and this process see it gone.
    env = _env(store)
    ask = ("query", "--store", str(store), "--json", "-k", "3", "the violin of beta4")
    found = run_cli(*ask, env=env, timeout=600)
    assert found.returncode == 0, found.stderr[-2000:]
    assert '"lexical": "local BM25 over the stored tokens (server v2.3.5-lite' in found.stdout
    assert Path(_top_source(found.stdout)).name == "beta4.txt"
    beta4 = next(f["source"] for f in kb.list_files() if f["source"].endswith("beta4.txt"))
    gone = run_cli("delete", "--store", str(store), beta4, env=env, timeout=600)
    assert gone.returncode == 0, gone.stderr[-2000:]
    assert beta4 not in {f["source"] for f in kb.list_files()}
    after = run_cli(*ask, env=env, timeout=600)
    assert after.returncode == 0 and "beta4.txt" not in after.stdout
    _no_duplicates(kb)


def _top_source(query_json: str) -> str:
    import json

    return json.loads(query_json.strip().splitlines()[-1])["results"][0]["source"]


def test_a_server_killed_under_an_ingest_keeps_what_was_committed_and_the_rerun_finishes_once(
    milvus_server, tmp_path
):
    store, folder = tmp_path / "kb", tmp_path / "docs"
    files = _write_files(folder, "gamma", 24, paragraphs=40)
    # The ingest gives up on a gone server after 2 s (default 30) so the test need not wait.
    proc = _ingest(store, folder, RAG_MILVUS_RECONNECT_S="2")
    kb, deadline = _server_store(store), time.monotonic() + 600
    while len(kb.list_files()) < 2:  # poll the server: kill it once two files are committed
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][-3000:]
        time.sleep(0.2)
    milvus_server.kill()
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 2, err[-3000:]  # some files rejected, none lost in silence
    lines = dict(line.split(": ", 1) for line in out.strip().splitlines())
    indexed = {Path(s).name for s, line in lines.items() if line.startswith("indexed")}
    rejected = {Path(s).name for s, line in lines.items() if line.startswith("rejected")}
    assert len(indexed) >= 2 and rejected and indexed | rejected == {f.name for f in files}
    assert all(
        "not stored: Milvus at http://127.0.0.1:" in lines[s] for s in lines if Path(s).name in rejected
    )

    milvus_server.start()
    kb = _server_store(store)
    assert {Path(f["source"]).name for f in kb.list_files()} == indexed
    for name in sorted(indexed)[:3]:  # committed before the kill: searchable after the restart
        tag = name.removesuffix(".txt")
        best = [fid for fid, _ in kb.lexical(tag, 3)]
        hits = kb.hits_for(_unit(kb.dimensions), best)
        assert hits and all(tag in h.chunk.text for h in hits)

    again = run_cli("ingest", "--store", str(store), str(folder), env=_env(store), timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    second = dict(line.split(": ", 1) for line in again.stdout.strip().splitlines())
    assert {Path(s).name for s, line in second.items() if line.startswith("indexed")} == rejected
    assert {Path(s).name for s, line in second.items() if line.startswith("skipped")} == indexed
    assert {Path(f["source"]).name for f in kb.list_files()} == {f.name for f in files}
    _no_duplicates(kb)


def _unit(dimensions: int):
    import numpy as np

    vector = np.zeros(dimensions, dtype=np.float32)
    vector[0] = 1.0
    return vector
