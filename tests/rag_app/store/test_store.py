"""The FAISS store's own machinery: files on disk, segments, locking, compaction, legacy stores.

What every backend must do (cosines, shared texts, replace, delete) is in ``test_store_backends.py``."""

from __future__ import annotations

import json
import pickle
import threading

import faiss
import numpy as np
import pytest

from rag_app.store import DamagedStoreError, FaissStore, StoreBusyError, StoreMismatchError
from rag_app.store.lock import WriterLock
from tests.rag_app.store.store_helpers import DIM, add, fake_embedding, open_store, unit_vectors


def test_every_change_is_on_disk_without_a_save(tmp_path):
    store = open_store(tmp_path / "s")
    add(store, "a.txt", ["one thing", "another thing"])
    again = FaissStore.load(tmp_path / "s", fake_embedding(), model_name="fake-model", dimensions=DIM)
    assert len(again) == 2 and again.list_files() == store.list_files()
    query = unit_vectors(["one thing"])[0]
    assert [(h.fid, h.score) for h in again.search(query, 2)] == [
        (h.fid, h.score) for h in store.search(query, 2)
    ]
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["model"] == "fake-model" and manifest["dimensions"] == DIM


def test_store_from_another_model_is_refused_with_rebuild_advice(tmp_path):
    add(open_store(tmp_path / "s"), "a.txt", ["text here"])
    with pytest.raises(StoreMismatchError, match=r"built with fake-model \(16 dims\).*--rebuild"):
        FaissStore.load(tmp_path / "s", fake_embedding(), dimensions=1024, model_name="Qwen3-Embedding-4B")
    listed = FaissStore.load(tmp_path / "s")  # without a model: read-only uses still work
    assert [f["source"] for f in listed.list_files()] == ["a.txt"] and listed.model_name == "fake-model"


def test_truncated_segment_is_reported_not_half_loaded(tmp_path):
    add(open_store(tmp_path / "s"), "a.txt", ["text here"])
    segment = next((tmp_path / "s" / "segments").glob("seg-*.faiss"))
    segment.write_bytes(segment.read_bytes()[:-10])
    with pytest.raises(DamagedStoreError, match="damaged"):
        FaissStore.load(tmp_path / "s", fake_embedding(), model_name="fake-model", dimensions=DIM)


def test_verify_finds_a_flipped_byte(tmp_path):
    store = open_store(tmp_path / "s")
    add(store, "a.txt", ["text here", "and more"])
    assert store.verify_checksums() == []
    segment = next((tmp_path / "s" / "segments").glob("seg-*.faiss"))
    data = bytearray(segment.read_bytes())
    data[-5] ^= 0xFF  # inside the last vector: same size, different content
    segment.write_bytes(bytes(data))
    assert store.verify_checksums() == [f"segment {segment.name}: checksum mismatch"]


def test_verify_reports_a_missing_segment_file(tmp_path):
    store = open_store(tmp_path / "s")
    add(store, "a.txt", ["text here"])
    segment = next((tmp_path / "s" / "segments").glob("seg-*.faiss"))
    segment.unlink()
    assert store.verify_checksums() == [f"segment {segment.name}: file missing"]


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {_Boom.marker}",))


@pytest.mark.parametrize("where", ["root", "segments", "as-docstore"])
def test_planted_pickle_is_never_unpickled(tmp_path, where):
    root = tmp_path / "s"
    add(open_store(root), "a.txt", ["text here"])
    marker = tmp_path / "pwned"
    _Boom.marker = marker
    payload = pickle.dumps(_Boom())
    if where == "root":
        (root / "index.pkl").write_bytes(payload)
    elif where == "segments":
        (root / "segments" / "index.pkl").write_bytes(payload)
    else:
        for extra in root.glob("docstore.sqlite-*"):
            extra.unlink()
        (root / "docstore.sqlite").write_bytes(payload)
    try:
        FaissStore.load(root, fake_embedding(), model_name="fake-model", dimensions=DIM).list_files()
    except DamagedStoreError:
        assert where == "as-docstore"
    assert not marker.exists()


def test_approximate_index_above_exact_limit_is_built_off_the_query_path():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3000, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [f"t{i}" for i in range(len(vectors))]
    exact, approx = open_store(), open_store(exact_limit=1000)
    for store in (exact, approx):
        store.add_vectors(texts, vectors, [{"source": "x"}] * len(texts), texts)
    queries = rng.normal(size=(50, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    first = approx.search(queries[0], 10)  # answered exactly while the copy is built
    assert [h.fid for h in first] == [h.fid for h in exact.search(queries[0], 10)]
    assert approx.derived.ready.wait(60)
    assert approx.search_kind().startswith("approximate")
    recall = np.mean(
        [
            len({h.fid for h in exact.search(q, 10)} & {h.fid for h in approx.search(q, 10)}) / 10
            for q in queries
        ]
    )
    assert recall >= 0.9


def test_stats_report_the_bytes_on_disk(tmp_path):
    store = open_store(tmp_path / "s")
    add(store, "a.txt", [f"text {i}" for i in range(100)])
    add(store, "b.txt", [f"more {i}" for i in range(10)], sha="b")
    stats = store.stats()
    on_disk = sum(p.stat().st_size for p in (tmp_path / "s" / "segments").glob("seg-*.faiss"))
    assert stats["vectors"] == 110 and stats["segments"] == 2
    assert stats["index_bytes"] == on_disk > stats["estimate_bytes"]


def test_deleting_a_file_marks_its_vectors_dead_in_one_step_and_compaction_keeps_results(tmp_path):
    store = open_store(tmp_path / "s", compaction=_no_auto_compaction())
    texts = [f"kept {i}" for i in range(60)]
    add(store, "keep.txt", texts)
    add(store, "drop.txt", [f"dropped {i}" for i in range(40)], sha="d")
    queries = unit_vectors(["kept 3", "dropped 5", "kept 59"])
    removed = store.delete_file("drop.txt")
    assert removed == 40 and store.stats()["dead_vectors"] == 40
    before = [[(h.fid, round(h.score, 6), h.chunk.text) for h in store.search(q, 8)] for q in queries]
    assert all(not t.startswith("dropped") for row in before for _, _, t in row)
    assert store.compact(everything=True) == 2
    assert store.stats()["dead_vectors"] == 0 and store.stats()["segments"] == 1
    after = [[(h.fid, round(h.score, 6), h.chunk.text) for h in store.search(q, 8)] for q in queries]
    assert after == before


def _no_auto_compaction():
    from rag_app.store import CompactionPolicy

    return CompactionPolicy(dead_share=1.1, fan_in=10_000)


def test_small_segments_are_merged_so_there_are_never_many(tmp_path):
    from rag_app.store import CompactionPolicy

    store = open_store(tmp_path / "s", compaction=CompactionPolicy(fan_in=4))
    for i in range(20):
        add(store, f"f{i}.txt", [f"file {i} text {j}" for j in range(3)], sha=str(i))
    assert store.stats()["segments"] <= 3 * 4
    assert len(store) == 60
    assert all(
        store.search(unit_vectors([f"file {i} text 1"])[0], 1)[0].chunk.text == f"file {i} text 1"
        for i in range(20)
    )


def test_a_second_writer_waits_with_a_message_then_gives_up_clearly(tmp_path):
    store = open_store(tmp_path / "s", lock_timeout_s=0.3)
    add(store, "a.txt", ["first"])
    heard: list[str] = []
    store.on_wait = heard.append
    with WriterLock(tmp_path / "s").held():  # another writer, as another process would hold it
        with pytest.raises(StoreBusyError, match="another process has been writing"):
            add(store, "b.txt", ["second"], sha="b")
        # Readers never wait for the writer.
        assert store.search(unit_vectors(["first"])[0], 1)[0].chunk.text == "first"
    assert heard and "waiting for another process" in heard[0]
    add(store, "b.txt", ["second"], sha="b")  # the lock is free again
    assert len(store) == 2


def test_a_running_reader_sees_what_another_writer_added(tmp_path):
    reader = open_store(tmp_path / "s")
    assert reader.search(unit_vectors(["x"])[0], 1) == []
    writer = open_store(tmp_path / "s")
    add(writer, "a.txt", ["added elsewhere"])
    assert reader.search(unit_vectors(["added elsewhere"])[0], 1)[0].chunk.text == "added elsewhere"
    assert [f["source"] for f in reader.list_files()] == ["a.txt"]


def test_a_query_during_a_delete_never_fails(tmp_path):
    store = open_store(tmp_path / "s")
    for i in range(30):
        add(store, f"f{i}.txt", [f"file {i} part {j}" for j in range(5)], sha=str(i))
    errors: list[BaseException] = []
    done = threading.Event()

    def ask() -> None:
        query = unit_vectors(["file 3 part 2"])[0]
        try:
            while not done.is_set():
                store.search(query, 5)
                store.hits_for(query, list(range(150)))
                store.sample(50)
        except BaseException as exc:
            errors.append(exc)

    asker = threading.Thread(target=ask)
    asker.start()
    for i in range(30):
        store.delete_file(f"f{i}.txt")
    done.set()
    asker.join()
    assert errors == [] and len(store) == 0


def test_a_legacy_store_is_converted_in_place(tmp_path):
    root = tmp_path / "old"
    generation = root / "gen-000003"
    generation.mkdir(parents=True)
    vectors = unit_vectors(["old passage one", "old passage two"])
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    index.add_with_ids(vectors, np.array([0, 1], dtype=np.int64))
    faiss.write_index(index, str(generation / "index.faiss"))
    records = {
        str(i): {
            "chunk_id": f"c{i}",
            "text": t,
            "metadata": {"source": "old.txt", "page": None, "chunk_id": f"c{i}"},
            "refs": [["old.txt", f"c{i}"]],
        }
        for i, t in enumerate(["old passage one", "old passage two"])
    }
    (generation / "docstore.json").write_text(
        json.dumps(
            {
                "records": records,
                "files": {"old.txt": {"sha256": "s", "chunk_ids": ["c0", "c1"], "pages": None}},
                "next_id": 2,
            }
        )
    )
    (generation / "manifest.json").write_text(json.dumps({"model": "fake-model", "dimensions": DIM}))
    (root / "CURRENT").write_text("gen-000003")
    store = open_store(root)
    assert [f["source"] for f in store.list_files()] == ["old.txt"]
    assert store.search(vectors[1], 1)[0].chunk.text == "old passage two"
    assert (root / ".format-1-backup" / "CURRENT").is_file()


def test_a_legacy_pointer_outside_the_store_is_refused(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    (root / "CURRENT").write_text("../../etc")
    with pytest.raises(DamagedStoreError, match=r"names '\.\./\.\./etc'"):
        open_store(root)


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
    assert store.get_by_ids([docs[0].id])[0].page_content == "apples are fruit"
    assert store.delete([docs[0].id]) and len(store) == 1
