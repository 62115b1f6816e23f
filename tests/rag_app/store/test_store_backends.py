"""The store protocol, run against every backend: FAISS (the default), Milvus Lite, and a real
Milvus server (2.3.5, older than the Milvus Lite emulates: no sparse vectors, no BM25 function).

Every test here takes ``backend``; a behaviour FAISS has and Milvus lacks fails here, not in a
user's deployment. FAISS-only machinery (segments, compaction, locks) is in ``test_store.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rag_app.store import FaissStore, StoreMismatchError
from tests.rag_app.store.conftest import SERVER_URI_ENV
from tests.rag_app.store.store_helpers import DIM, add, chunks_for, fake_embedding, unit_vectors

BACKENDS = ["faiss", "milvus", pytest.param("milvus-server", marks=pytest.mark.server)]


def open_backend(backend: str, folder: Path, **kwargs):
    """A store of ``backend`` kept in ``folder`` (Milvus Lite's database file lives there too; on
    the server, the folder names the store's collections, as ``rag-app`` names a store folder's)."""
    kwargs.setdefault("model_name", "fake-model")
    kwargs.setdefault("dimensions", DIM)
    if backend == "faiss":
        return FaissStore(fake_embedding(), path=folder, **kwargs)
    from rag_app.store.milvus.keys import collection_for
    from rag_app.store.milvus.store import MilvusStore

    if backend == "milvus-server":
        uri, collection = os.environ[SERVER_URI_ENV], collection_for(folder)
    else:
        uri, collection = str(folder / "milvus.db"), "kb"
    return MilvusStore(fake_embedding(), uri=uri, collection=collection, path=folder, **kwargs)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "milvus-server":
        request.getfixturevalue("milvus_server")
    return request.param


def test_scores_are_true_cosines(backend, tmp_path):
    store = open_backend(backend, tmp_path)
    texts = ["alpha beta", "gamma delta", "epsilon"]
    add(store, "a.txt", texts)
    query = unit_vectors(["alpha beta"])[0]
    hits = store.search(query, 3)
    expected = unit_vectors(texts) @ query
    assert hits[0].chunk.text == "alpha beta"
    assert [h.score for h in hits] == pytest.approx(sorted(expected, reverse=True), abs=1e-5)


def test_both_backends_give_the_same_scores_on_the_same_vectors(tmp_path):
    rng = np.random.default_rng(7)
    texts = [f"passage number {i} about {w}" for i, w in enumerate(rng.choice(["tax", "rain", "code"], 60))]
    faiss_store, milvus = open_backend("faiss", tmp_path / "f"), open_backend("milvus", tmp_path / "m")
    for store in (faiss_store, milvus):
        add(store, "a.txt", texts[:30])
        add(store, "b.txt", texts[30:])
    for query in unit_vectors(["passage about tax", "rain", "code 42"]):
        ours = [(h.chunk.text, h.score) for h in faiss_store.search(query, 10)]
        theirs = [(h.chunk.text, h.score) for h in milvus.search(query, 10)]
        assert [s for _, s in theirs] == pytest.approx([s for _, s in ours], abs=1e-5)
        assert {t for t, _ in theirs} == {t for t, _ in ours}


def test_identical_chunks_are_stored_once_and_show_their_remaining_holder(backend, tmp_path):
    store = open_backend(backend, tmp_path)
    add(store, "a.txt", ["only in a", "shared passage"], sha="A")  # page 2 of a.txt
    add(store, "b.txt", ["shared passage", "only in b"], sha="B")  # page 1 of b.txt
    assert len(store) == 3
    hit = store.search(unit_vectors(["shared passage"])[0], 1)[0]
    assert hit.chunk.metadata["source"] == "a.txt"  # the earliest holder is shown
    store.delete_file("a.txt")
    assert len(store) == 2
    texts = {r.text: r for r in store.all_records()}
    assert set(texts) == {"shared passage", "only in b"}
    shared = texts["shared passage"].metadata
    assert (shared["source"], shared["page"]) == ("b.txt", 1)  # b's page, not a's


def test_changed_file_replaces_its_old_chunks(backend, tmp_path):
    store = open_backend(backend, tmp_path)
    assert store.file_state("a.txt", "v1") == "new"
    add(store, "a.txt", ["old one", "old two"], sha="v1")
    assert store.file_state("a.txt", "v1") == "same"
    assert store.file_state("a.txt", "v2") == "changed"
    add(store, "a.txt", ["new one", "old two"], sha="v2")
    assert sorted(r.text for r in store.all_records()) == ["new one", "old two"]
    [listed] = store.list_files()
    assert (listed["sha256"], listed["chunks"]) == ("v2", 2)
    assert store.source_with_content("v2") == "a.txt" and store.source_with_content("v1") is None
    assert store.verify_checksums() == []


def test_delete_leaves_other_files_and_reports_what_went(backend, tmp_path):
    store = open_backend(backend, tmp_path)
    add(store, "a.txt", ["one", "two"])
    add(store, "b.txt", ["three"])
    assert store.delete_file("a.txt") == 2
    assert store.delete_file("a.txt") == 0
    assert [f["source"] for f in store.list_files()] == ["b.txt"]
    assert [h.chunk.text for h in store.search(unit_vectors(["one"])[0], 5)] == ["three"]
    assert store.stats()["vectors"] == 1 and store.stats()["files"] == 1


def test_names_that_look_like_filter_syntax_are_only_names(backend, tmp_path):
    store = open_backend(backend, tmp_path)
    sly = 'x" or source != "y\\\' 文件.pdf'
    add(store, sly, ["first text"])
    add(store, "plain.txt", ["second text"])
    assert store.file(sly)["source"] == sly
    assert store.delete_file(sly) == 1
    assert [f["source"] for f in store.list_files()] == ["plain.txt"]


def test_lexical_search_and_exact_cosines_for_chosen_ids(backend, tmp_path):
    store = open_backend(backend, tmp_path)
    add(store, "a.txt", ["the warranty covers two years", "rain in spain", "税务申报截止日期"])
    top = store.lexical("warranty years", 3)
    assert len(top) == 1 and top[0][1] > 0
    cjk = store.lexical("申报日期", 3)
    assert len(cjk) == 1
    query = unit_vectors(["rain in spain"])[0]
    [hit] = store.hits_for(query, [cjk[0][0]])
    assert hit.chunk.text == "税务申报截止日期"
    assert hit.score == pytest.approx(float(unit_vectors(["税务申报截止日期"])[0] @ query), abs=1e-5)


def test_langchain_doors(backend, tmp_path):
    store = open_backend(backend, tmp_path)
    ids = store.add_texts(["apples are fruit", "trains are fast"], [{"source": "x"}, {"source": "y"}])
    docs = store.similarity_search("apples are fruit", k=1)
    assert docs[0].page_content == "apples are fruit" and docs[0].metadata["score"] == pytest.approx(
        1.0, abs=1e-5
    )
    assert [d.page_content for d in store.get_by_ids(ids[::-1])] == ["trains are fast", "apples are fruit"]
    assert store.delete([ids[0]]) and len(store) == 1
    assert store.as_retriever(search_kwargs={"k": 1}).invoke("trains")[0].page_content == "trains are fast"


def test_store_from_another_model_is_refused_and_a_new_one_needs_a_model(backend, tmp_path):
    add(open_backend(backend, tmp_path), "a.txt", ["text here"])
    with pytest.raises(StoreMismatchError, match=r"built with fake-model \(16 dims\).*--rebuild"):
        open_backend(backend, tmp_path, model_name="Qwen3-Embedding-4B", dimensions=1024)
    store = open_backend(backend, tmp_path / "new", model_name=None, dimensions=None)
    assert len(store) == 0 and store.list_files() == []
    with pytest.raises(Exception, match="say which model"):
        store.add_file("a.txt", "sha", chunks_for("a.txt", ["x y z"]), unit_vectors(["x y z"]))


_WRITER = """
import sys
from pathlib import Path
from tests.rag_app.store.test_store_backends import open_backend
from tests.rag_app.store.store_helpers import add
store = open_backend(sys.argv[1], Path(sys.argv[2]))
add(store, "a.txt", ["one thing", "another thing"])
add(store, "b.txt", ["a third thing"])
store.delete_file("b.txt")
print("written", flush=True)
"""


def test_every_change_survives_a_restart(backend, tmp_path):
    """Written by one process that exits without any save or close, read by this one."""
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_WRITER), backend, str(tmp_path)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.strip() == "written", done.stderr[-2000:]
    store = open_backend(backend, tmp_path)
    assert len(store) == 2 and [f["source"] for f in store.list_files()] == ["a.txt"]
    query = unit_vectors(["one thing"])[0]
    assert store.search(query, 1)[0].score == pytest.approx(1.0, abs=1e-5)
    assert store.model_name == "fake-model" and store.dimensions == DIM


def test_originals_are_kept_by_content_and_forgotten_with_their_last_file(backend, tmp_path):
    store = open_backend(backend, tmp_path / "s")
    original = tmp_path / "a.txt"
    original.write_text("one thing")
    sha = "a" * 64
    add(store, "a.txt", ["one thing"], sha=sha)
    store.keep_original(sha, original)
    add(store, "copy.txt", ["one thing"], sha=sha)
    store.delete_file("a.txt")
    assert store.original(sha).read_text() == "one thing"  # copy.txt still has it
    store.delete_file("copy.txt")
    assert store.original(sha) is None
