"""What a real Milvus server adds to the backend suite: an old server's missing features detected
and said, words still matched, a server down at start named in one line, a restart survived."""

from __future__ import annotations

import pytest

from rag_app.store.milvus.features import version_tuple
from tests.conftest import run_cli
from tests.milvus_server import free_port
from tests.rag_app.store.store_helpers import add, unit_vectors
from tests.rag_app.store.test_store_backends import open_backend

pytestmark = pytest.mark.server


def test_version_reading():
    assert version_tuple("v2.3.5-lite") == (2, 3, 5)
    assert version_tuple("2.6") == (2, 6, 0)
    assert version_tuple("master-abc") is None


def test_a_server_without_bm25_is_detected_and_its_words_are_scored_here(milvus_server, tmp_path):
    store = open_backend("milvus-server", tmp_path)
    assert store.features.version.startswith("v2.3.5") and not store.features.bm25
    assert store.lexical_fallback
    assert store.lexical_mode == "local BM25 over the stored tokens (server v2.3.5-lite has no BM25 function)"
    assert store.stats()["lexical"] == store.lexical_mode
    add(store, "a.txt", ["the warranty covers two years", "rain in spain", "税务申报截止日期"])
    [(fid, score)] = store.lexical("warranty", 5)
    assert score > 0 and store.hits_for(unit_vectors(["x"])[0], [fid])[0].chunk.text.startswith(
        "the warranty"
    )


def test_another_writers_changes_reach_this_processs_word_index(milvus_server, tmp_path):
    """Two store objects on one collection stand for two processes: each keeps its own index."""
    reader, writer = open_backend("milvus-server", tmp_path), open_backend("milvus-server", tmp_path)
    add(writer, "a.txt", ["apples grow on trees"])
    assert len(reader.lexical("apples", 5)) == 1
    add(writer, "b.txt", ["pears grow on trees too"])
    assert len(reader.lexical("trees", 5)) == 2  # a write since the last search: rebuilt
    writer.delete_file("a.txt")
    assert reader.lexical("apples", 5) == []


def test_a_server_down_at_start_is_one_line_naming_it_without_its_password(tmp_path):
    port = free_port()  # nothing listens there
    done = run_cli(
        "query",
        "--store",
        str(tmp_path / "kb"),
        "--vector-store",
        "milvus",
        "--milvus-uri",
        f"http://admin:s3cret@127.0.0.1:{port}",
        "anything",
        timeout=300,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: cannot reach Milvus at http://127.0.0.1:{port}: "), done.stderr
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr + done.stdout


def test_a_store_keeps_working_across_a_server_restart(milvus_server, tmp_path):
    store = open_backend("milvus-server", tmp_path)
    add(store, "a.txt", ["before the restart", "another passage"])
    assert len(store.lexical("restart", 5)) == 1
    milvus_server.kill()
    milvus_server.start()  # same folder, same port: an operator bringing it back
    # The same client, as a running app holds it: the next question just works.
    hit = store.search(unit_vectors(["before the restart"])[0], 1)[0]
    assert hit.chunk.text == "before the restart" and hit.score == pytest.approx(1.0, abs=1e-5)
    assert [f["source"] for f in store.list_files()] == ["a.txt"]
    add(store, "b.txt", ["after the restart"])
    assert len(store.lexical("restart", 5)) == 2
