"""Limits per person, and which folder a person's knowledge base lives in."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from rag_app.ingest.pipeline import IngestReport, InputFile
from rag_app.service import RagService
from rag_app.settings import Settings
from rag_app.sharing.limits import LimitExceeded, NotAllowed, PersonLimits, Usage
from rag_app.sharing.people import People, Person, person_id


class Clock:
    """An injected clock: the questions-per-minute window moves when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Stands in for RagService's own work (retrieval, indexing) behind a real Person's limits."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.hold = threading.Event()
        self.holding = threading.Event()


def person(monkeypatch, can_write=True, clock=None, **limits) -> tuple[Person, Recorder]:
    rec = Recorder()

    def fake_query(self, question, k=None, history=None):
        rec.calls.append("query")

    def fake_ingest_uploads(self, files, password=None, progress=None):
        rec.calls.append("ingest")
        rec.holding.set()
        rec.hold.wait(30)
        return IngestReport()

    monkeypatch.setattr(RagService, "query", fake_query)
    monkeypatch.setattr(RagService, "ingest_uploads", fake_ingest_uploads)
    monkeypatch.setattr(RagService, "delete", lambda self, source: rec.calls.append("delete") or 1)
    defaults = {
        "files_per_upload": 20,
        "bytes_per_upload": 10**8,
        "uploads_in_flight": 1,
        "questions_per_minute": 20,
    }
    usage = Usage(clock=clock) if clock else Usage()
    p = Person(Settings(), PersonLimits(**{**defaults, **limits}), usage, can_write=can_write)
    return p, rec


def files(tmp_path: Path, n: int, size: int = 10) -> list[InputFile]:
    out = []
    for i in range(n):
        path = tmp_path / f"f{i}.txt"
        path.write_bytes(b"x" * size)
        out.append(InputFile(path, path.name))
    return out


def test_questions_per_minute_window_expires_on_the_clock(monkeypatch):
    clock = Clock()
    p, rec = person(monkeypatch, clock=clock, questions_per_minute=3)
    for _ in range(3):
        p.query("a question")
        clock.now += 10
    with pytest.raises(LimitExceeded, match=r"at most 3 questions a minute: ask again in 30 s"):
        p.query("one too many")
    clock.now += 30  # the first question is now a minute old: one more is allowed, not two
    p.query("again")
    with pytest.raises(LimitExceeded):
        p.query("and again")
    assert rec.calls == ["query"] * 4


def test_an_answer_counts_as_one_question(monkeypatch):
    p, _ = person(monkeypatch, questions_per_minute=1)
    monkeypatch.setattr(
        RagService, "stream_answer", lambda self, q, k=None, history=None: iter([("done", "x")])
    )
    list(p.stream_answer("one"))
    with pytest.raises(LimitExceeded):
        list(p.stream_answer("two"))


def test_question_length_is_one_rule_for_everyone():
    from rag_app.answer.pipeline import checked_question

    with pytest.raises(ValueError, match="limited to 50 characters; this one has 51"):
        checked_question("x" * 51, 50)
    with pytest.raises(ValueError, match="Type a question first"):
        checked_question("   ", 50)
    assert checked_question("  fine  ", 50) == "fine"


def test_files_and_bytes_per_upload(monkeypatch, tmp_path):
    p, rec = person(monkeypatch, files_per_upload=2, bytes_per_upload=100)
    with pytest.raises(LimitExceeded, match="at most 2 files per upload; you sent 3"):
        p.ingest_uploads(files(tmp_path, 3))
    with pytest.raises(LimitExceeded, match="MB per upload"):
        p.ingest_uploads(files(tmp_path, 2, size=60))
    assert rec.calls == []


def test_one_upload_in_flight_per_person(monkeypatch, tmp_path):
    p, rec = person(monkeypatch)
    first = threading.Thread(target=p.ingest_uploads, args=(files(tmp_path, 1),))
    first.start()
    assert rec.holding.wait(10)
    with pytest.raises(LimitExceeded, match="previous upload is still being indexed"):
        p.ingest_uploads(files(tmp_path, 1))
    rec.hold.set()
    first.join()
    p.ingest_uploads(files(tmp_path, 1))  # free again
    assert rec.calls == ["ingest", "ingest"]


def test_a_visitor_may_search_but_never_write(monkeypatch, tmp_path):
    p, rec = person(monkeypatch, can_write=False)
    p.query("fine")
    with pytest.raises(NotAllowed, match="uploads are off"):
        p.ingest_uploads(files(tmp_path, 1))
    with pytest.raises(NotAllowed, match="nothing to delete"):
        p.delete("anything")
    with pytest.raises(NotAllowed, match="by uploading"):
        p.ingest([tmp_path])
    assert p.documents() == [] and rec.calls == ["query"]


def test_a_persons_folder_is_derived_from_the_name_never_the_name():
    assert person_id("alice") == person_id("alice") != person_id("bob")
    assert all(ch in "0123456789abcdef" for ch in person_id("../../etc/passwd"))


def test_people_give_each_person_their_own_folder_and_usage(tmp_path):
    people = People(Settings(store_dir=tmp_path / "root"))
    alice, bob = people.for_user("alice"), people.for_user("bob")
    assert people.for_user("alice") is alice and alice is not bob
    assert alice.settings.store_dir == tmp_path / "root" / "people" / person_id("alice")
    assert alice.usage is not bob.usage and alice.can_write
    with pytest.raises(NotAllowed, match="no public library"):
        people.for_user(None)


def test_the_vector_inspector_shares_the_questions_limit(monkeypatch):
    p, rec = person(monkeypatch, questions_per_minute=2, clock=Clock())
    monkeypatch.setattr(RagService, "embed_queries", lambda self, texts: rec.calls.append("embed"))
    p.embed_queries(["one"])
    p.query("two")
    with pytest.raises(LimitExceeded, match="at most 2 questions a minute"):
        p.embed_queries(["three"])
    assert rec.calls == ["embed", "query"]


def test_an_inspected_text_over_the_question_limit_is_refused_before_embedding():
    class Never:
        def encode_queries(self, texts):
            raise AssertionError("embedded a text over the limit")

    service = RagService(Settings(limit_question_chars=100), embeddings=Never())
    with pytest.raises(ValueError, match="limited to 100 characters; this one has 3,000,000"):
        service.embed_queries(["ok", "x" * 3_000_000])


def test_pages_drawn_have_their_own_limit(monkeypatch):
    clock = Clock()
    p, rec = person(monkeypatch, pages_per_minute=3, clock=clock)
    monkeypatch.setattr(RagService, "page_view", lambda self, *a: rec.calls.append("page"))
    for _ in range(3):
        p.page_view("c1", None, 1.0)
    with pytest.raises(LimitExceeded, match="at most 3 pages a minute: turn again in 60 s"):
        p.page_view("c1", 2, 1.0)
    p.query("pages do not count as questions")
    clock.now += 60
    p.page_view("c1", 2, 1.0)
    assert rec.calls == ["page"] * 3 + ["query", "page"]
