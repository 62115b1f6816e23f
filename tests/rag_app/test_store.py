from __future__ import annotations

import json
import pickle

import faiss
import numpy as np
import pytest

from rag_app.persistence import DamagedStoreError, StoreMismatchError
from rag_app.store import FaissStore
from tests.rag_app.store_helpers import DIM, chunks_for, fake_embedding, unit_vectors


def new_store(path=None, **kwargs) -> FaissStore:
    return FaissStore(fake_embedding(), dimensions=DIM, model_name="fake-model", path=path, **kwargs)


def add(store: FaissStore, source: str, texts: list[str], sha: str = "sha") -> int:
    return store.add_file(source, sha, chunks_for(source, texts, sha), unit_vectors(texts))


def test_scores_are_true_cosines():
    store = new_store()
    texts = ["alpha beta", "gamma delta", "epsilon"]
    add(store, "a.txt", texts)
    query = unit_vectors(["alpha beta"])[0]
    hits = store.search(query, 3)
    expected = unit_vectors(texts) @ query
    assert hits[0].record["text"] == "alpha beta"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert sorted(h.score for h in hits) == pytest.approx(sorted(expected), abs=1e-5)


def test_identical_chunks_are_stored_once_and_survive_deleting_one_holder():
    store = new_store()
    add(store, "a.txt", ["shared passage", "only in a"], sha="A")
    add(store, "b.txt", ["shared passage", "only in b"], sha="B")
    assert len(store) == 3
    store.delete_source("a.txt")
    assert len(store) == 2
    texts = {r["text"]: r for _, r in store.all_records()}
    assert set(texts) == {"shared passage", "only in b"}
    assert texts["shared passage"]["metadata"]["source"] == "b.txt"


def test_changed_file_replaces_its_old_chunks():
    store = new_store()
    add(store, "a.txt", ["old one", "old two"], sha="v1")
    assert store.file_state("a.txt", "v1") == "same"
    assert store.file_state("a.txt", "v2") == "changed"
    add(store, "a.txt", ["new one"], sha="v2")
    assert [r["text"] for _, r in store.all_records()] == ["new one"]
    assert store.list_sources()[0]["sha256"] == "v2"


def test_save_load_roundtrip_and_manifest(tmp_path):
    store = new_store(tmp_path / "s")
    add(store, "a.txt", ["one thing", "another thing"])
    store.save()
    loaded = FaissStore.load(tmp_path / "s", fake_embedding(), dimensions=DIM, model_name="fake-model")
    assert len(loaded) == 2 and loaded.list_sources() == store.list_sources()
    query = unit_vectors(["one thing"])[0]
    assert [h.record["text"] for h in loaded.search(query, 2)] == [
        h.record["text"] for h in store.search(query, 2)
    ]
    manifest = json.loads(next((tmp_path / "s").glob("gen-*/manifest.json")).read_text())
    assert manifest["model"] == "fake-model" and manifest["dimensions"] == DIM
    assert manifest["counts"]["vectors"] == 2 and set(manifest["checksums"]) == {
        "index.faiss",
        "docstore.json",
    }


def test_store_from_another_model_is_refused_with_rebuild_advice(tmp_path):
    store = new_store(tmp_path / "s")
    add(store, "a.txt", ["text here"])
    store.save()
    with pytest.raises(StoreMismatchError, match=r"built with fake-model \(16 dims\).*--rebuild"):
        FaissStore.load(tmp_path / "s", fake_embedding(), dimensions=1024, model_name="Qwen3-Embedding-4B")


def test_damaged_store_is_reported_not_half_loaded(tmp_path):
    store = new_store(tmp_path / "s")
    add(store, "a.txt", ["text here"])
    folder = store.save()
    index_file = folder / "index.faiss"
    index_file.write_bytes(index_file.read_bytes()[:-10])
    with pytest.raises(DamagedStoreError, match="damaged"):
        FaissStore.load(tmp_path / "s", fake_embedding(), dimensions=DIM, model_name="fake-model")


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {_Boom.marker}",))


@pytest.mark.parametrize("where", ["root", "generation", "as-docstore"])
def test_planted_pickle_is_never_unpickled(tmp_path, where):
    root = tmp_path / "s"
    store = new_store(root)
    add(store, "a.txt", ["text here"])
    folder = store.save()
    marker = tmp_path / "pwned"
    _Boom.marker = marker
    payload = pickle.dumps(_Boom())
    if where == "root":
        (root / "index.pkl").write_bytes(payload)
    elif where == "generation":
        (folder / "index.pkl").write_bytes(payload)
        (folder / "docstore.pkl").write_bytes(payload)
    else:
        (folder / "docstore.json").write_bytes(payload)
    try:
        FaissStore.load(root, fake_embedding(), dimensions=DIM, model_name="fake-model")
    except DamagedStoreError:
        assert where == "as-docstore"
    assert not marker.exists()


def test_approximate_index_above_exact_limit_has_high_recall():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3000, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [f"t{i}" for i in range(len(vectors))]
    exact = new_store()
    approx = new_store(exact_limit=1000)
    for store in (exact, approx):
        store.add_vectors(texts, vectors, [{"source": "x"}] * len(texts), texts)
    assert approx.search_kind().startswith("approximate")
    queries = rng.normal(size=(50, DIM)).astype(np.float32)
    recall = np.mean(
        [
            len({h.fid for h in exact.search(q, 10)} & {h.fid for h in approx.search(q, 10)}) / 10
            for q in queries / np.linalg.norm(queries, axis=1, keepdims=True)
        ]
    )
    assert recall >= 0.9


def test_stats_report_real_bytes_beside_the_estimate():
    store = new_store()
    add(store, "a.txt", [f"text {i}" for i in range(100)])
    stats = store.stats()
    assert stats["vectors"] == 100 and stats["estimate_bytes"] == 100 * DIM * 4
    assert stats["index_bytes"] == len(faiss.serialize_index(store._index))
    assert stats["index_bytes"] >= stats["estimate_bytes"]


def test_stats_follow_every_change_of_the_index():
    """The serialised size is cached per store version; adding or deleting must refresh it."""
    store = new_store()
    add(store, "a.txt", [f"text {i}" for i in range(10)])
    first = store.stats()["index_bytes"]
    assert store.stats()["index_bytes"] == first
    add(store, "b.txt", [f"other {i}" for i in range(10)])
    grown = store.stats()["index_bytes"]
    assert grown == len(faiss.serialize_index(store._index)) > first
    store.delete_source("b.txt")
    assert store.stats()["index_bytes"] == len(faiss.serialize_index(store._index)) < grown


def test_langchain_vectorstore_interface_and_interop():
    store = FaissStore.from_texts(
        ["apples are fruit", "trains are fast"], fake_embedding(), model_name="fake"
    )
    docs = store.similarity_search("apples are fruit", k=1)
    assert docs[0].page_content == "apples are fruit"
    ours = store.similarity_search_with_score("trains are fast", k=2)
    community = store.to_langchain_faiss()
    theirs = community.similarity_search_with_score("trains are fast", k=2)
    assert [d.page_content for d, _ in theirs] == [d.page_content for d, _ in ours]
    assert [s for _, s in theirs] == pytest.approx([s for _, s in ours], abs=1e-5)
    relevance = community.similarity_search_with_relevance_scores("trains are fast", k=1)
    assert relevance[0][1] == pytest.approx(ours[0][1], abs=1e-5)  # cosine, not the flipped default
    assert store.delete([docs[0].id]) and len(store) == 1
