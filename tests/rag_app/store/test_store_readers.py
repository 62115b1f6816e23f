"""Reads never wait for a writer in the same process, and always see one whole commit.

Writers and readers are stopped at chosen points by events (a wrapped docstore or segment-file
method that waits until the test releases it), never by sleeping. Every ``wait`` has a generous
limit only so that a read that *does* wait fails the test instead of hanging it: the held party
is released only after that wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from rag_app.store import CompactionPolicy, FaissStore
from rag_app.store.faiss.docstore import Docstore
from rag_app.store.faiss.segments import SegmentFiles
from tests.rag_app.store.store_helpers import add, open_store, unit_vectors

GUARD_S = 60.0
NO_AUTO_COMPACTION = CompactionPolicy(dead_share=1.1, fan_in=10_000)


class Hold:
    """Holds the first call of ``cls.name`` that ``when`` picks, right after it ran, until released."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, cls: type, name: str, when: Callable[[], bool]
    ) -> None:
        self.inside, self.release = threading.Event(), threading.Event()
        original = getattr(cls, name)

        def held(obj: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(obj, *args, **kwargs)
            if when() and not self.inside.is_set():
                self.inside.set()
                self.release.wait()
            return result

        monkeypatch.setattr(cls, name, held)


def on_thread(name: str) -> Callable[[], bool]:
    return lambda: threading.current_thread().name == name


class Background(threading.Thread):
    """Runs ``fn`` in a named thread; ``outcome`` gives its result or raises its error."""

    def __init__(self, fn: Callable[[], Any], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.fn, self.done = fn, threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.set()

    def outcome(self) -> Any:
        assert self.done.wait(GUARD_S), f"{self.name} waited for the other side"
        if self.error is not None:
            raise self.error
        return self.result


def observed(store: FaissStore) -> dict[str, Any]:
    """Everything a reader can ask, for texts that the writes below touch."""
    query = unit_vectors(["bananas are yellow"])[0]
    lexical = store.lexical("bananas pears apples kept dropped", 20)
    return {
        "search": [(h.chunk.text, round(h.score, 6)) for h in store.search(query, 10)],
        "search_many": [
            [h.chunk.text for h in row] for row in store.search_many(unit_vectors(["kept 1"]), 3)
        ],
        "lexical": [(fid, round(score, 6)) for fid, score in lexical],
        "hits_for": [
            (h.chunk.text, round(h.score, 6)) for h in store.hits_for(query, [f for f, _ in lexical])
        ],
        "vectors_for": store.vectors_for([f for f, _ in lexical]).round(6).tolist(),
        "files": [(f["source"], f["sha256"]) for f in store.list_files()],
        "file": store.file("a.txt"),
        "file_state": store.file_state("a.txt", "v2"),
        "source_with_content": store.source_with_content("v2"),
        "get_by_ids": [d.page_content for d in store.get_by_ids(["a.txt:v1:0", "a.txt:v2:0"])],
        "len": len(store),
        "records": [r.text for r in store.all_records()],
        "sample": store.sample(100)[0],
        "stats": store.stats(),
    }


def test_reads_answer_from_the_last_commit_while_an_upload_is_held_mid_transaction(tmp_path, monkeypatch):
    store = open_store(tmp_path / "s")
    add(store, "a.txt", ["apples are red", "pears are green"], sha="v1")
    add(store, "b.txt", ["cherries are dark"], sha="b")
    committed = observed(store)
    # put_file runs inside add_file's transaction, after the new texts, vectors and references are
    # written: held there, the upload is half done and not committed.
    hold = Hold(monkeypatch, Docstore, "put_file", on_thread("writer"))
    writer = Background(
        lambda: add(store, "a.txt", ["bananas are yellow", "pears are green"], sha="v2"), "writer"
    )
    assert hold.inside.wait(GUARD_S)
    try:
        assert Background(lambda: observed(store), "reader").outcome() == committed
    finally:
        hold.release.set()
    writer.outcome()
    after = observed(store)
    assert after["files"] == [("a.txt", "v2"), ("b.txt", "b")]
    assert sorted(after["records"]) == ["bananas are yellow", "cherries are dark", "pears are green"]
    assert after["search"][0] == ("bananas are yellow", 1.0)
    assert after["get_by_ids"] == ["bananas are yellow"] and after["file_state"] == "same"


def test_reads_answer_from_the_last_commit_while_a_compaction_is_held_mid_transaction(tmp_path, monkeypatch):
    store = open_store(tmp_path / "s", compaction=NO_AUTO_COMPACTION)
    add(store, "a.txt", [f"kept {i}" for i in range(30)], sha="v1")
    add(store, "drop.txt", [f"dropped {i}" for i in range(20)], sha="d")
    store.delete_file("drop.txt")
    committed = observed(store)
    assert committed["stats"]["segments"] == 2 and committed["stats"]["dead_vectors"] == 20
    hold = Hold(monkeypatch, Docstore, "replace_segments", on_thread("compactor"))
    compactor = Background(lambda: store.compact(everything=True), "compactor")
    assert hold.inside.wait(GUARD_S)
    try:
        assert Background(lambda: observed(store), "reader").outcome() == committed
    finally:
        hold.release.set()
    assert compactor.outcome() == 2
    after = observed(store)
    assert after["stats"]["segments"] == 1 and after["stats"]["dead_vectors"] == 0
    assert {k: v for k, v in after.items() if k != "stats"} == {
        k: v for k, v in committed.items() if k != "stats"
    }


@pytest.mark.parametrize("change", ["delete", "compact", "replace"])
@pytest.mark.parametrize("read", ["search", "hits_for"])
def test_a_read_begun_before_a_write_finishes_on_its_own_commit(tmp_path, monkeypatch, change, read):
    """The reader is held after its read transaction began; the write then runs to the end (it
    waits for no reader), removing files the reader maps; the reader still sees one whole commit."""
    store = open_store(tmp_path / "s", compaction=NO_AUTO_COMPACTION)
    add(store, "a.txt", ["apples are red", "pears are green"], sha="v1")
    add(store, "b.txt", ["bananas are yellow"], sha="b")
    query = unit_vectors(["bananas are yellow"])[0]
    fids = [h.fid for h in store.search(query, 10)]

    def ask() -> list[tuple[str, float]]:
        hits = store.search(query, 10) if read == "search" else store.hits_for(query, fids)
        return [(h.chunk.text, round(h.score, 6)) for h in hits]

    before = ask()
    hold = Hold(monkeypatch, Docstore, "generation", on_thread("reader"))
    reader = Background(ask, "reader")
    assert hold.inside.wait(GUARD_S)
    try:
        if change == "delete":
            store.delete_file("b.txt")
        elif change == "compact":
            assert store.compact(everything=True) == 2
            assert len(list((tmp_path / "s" / "segments").iterdir())) == 1  # the reader's files are gone
        else:
            add(store, "a.txt", ["apples are green"], sha="v2")
    finally:
        hold.release.set()
    assert reader.outcome() == before
    now = {text for text, _ in ask()}
    assert (
        now
        == {
            "delete": {"apples are red", "pears are green"},
            "compact": {t for t, _ in before},
            "replace": {"apples are green", "bananas are yellow"}
            if read == "search"
            else {"bananas are yellow"},
        }[change]
    )


def test_a_stale_reader_reads_again_when_a_compaction_removes_a_file_it_was_about_to_open(
    tmp_path, monkeypatch
):
    root = tmp_path / "s"
    writer = open_store(root, compaction=NO_AUTO_COMPACTION)  # as another process would be
    add(writer, "a.txt", ["first file"], sha="a")
    reader = open_store(root)
    add(writer, "b.txt", ["second file"], sha="b")
    add(writer, "c.txt", ["third file"], sha="c")
    original, missing = SegmentFiles.open, []

    def open_after_a_compaction(files: SegmentFiles, row):  # the reader has read the list of 3 segments
        if not missing:
            missing.append(row.name)
            writer.compact(everything=True)  # merges them and removes their files
        return original(files, row)

    monkeypatch.setattr(SegmentFiles, "open", open_after_a_compaction)
    hits = reader.search(unit_vectors(["third file"])[0], 3)
    assert missing and not (root / "segments" / missing[0]).exists()
    assert hits[0].chunk.text == "third file" and len(hits) == 3
    assert reader.stats()["segments"] == 1


def test_a_stale_reader_never_takes_a_new_segment_for_an_old_one_with_the_same_id(tmp_path):
    root = tmp_path / "s"
    writer = open_store(root, compaction=CompactionPolicy(dead_share=0.3, fan_in=10_000))
    add(writer, "x.txt", ["kept text"], sha="x")
    add(writer, "y.txt", ["deleted text"], sha="y")
    reader = open_store(root)
    assert len(reader) == 2
    writer.delete_file("y.txt")  # its segment is all dead: compaction drops it, and its id is free again
    add(writer, "z.txt", ["new text"], sha="z")  # SQLite hands the new segment the freed id
    assert reader.search(unit_vectors(["new text"])[0], 1)[0].chunk.text == "new text"
    assert sorted(r.text for r in reader.all_records()) == ["kept text", "new text"] and len(reader) == 2


def test_verify_during_a_compaction_checks_the_new_segment_and_reports_nothing_missing(tmp_path, monkeypatch):
    store = open_store(tmp_path / "s", compaction=NO_AUTO_COMPACTION)
    for n in range(3):
        add(store, f"f{n}.txt", [f"file {n}"], sha=str(n))
    hold = Hold(monkeypatch, SegmentFiles, "verify", on_thread("verifier"))
    verifier = Background(store.verify_checksums, "verifier")
    assert hold.inside.wait(GUARD_S)  # one file checked, two to go: the compaction removes all three
    try:
        assert store.compact(everything=True) == 3
    finally:
        hold.release.set()
    assert verifier.outcome() == []
