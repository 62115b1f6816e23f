"""Limits per person, and which folder a person's knowledge base lives in."""

from __future__ import annotations

import threading

import pytest

from rag_app.ingest.pipeline import IngestReport, InputFile
from rag_app.settings import Settings
from rag_app.sharing.people import LimitExceeded, Person, PersonLimits, _Usage, person_id


class StubService:
    """Test double for a person's RagService: records calls; an upload can be held open."""

    def __init__(self) -> None:
        self.settings = Settings()
        self.calls: list[str] = []
        self.hold = threading.Event()
        self.holding = threading.Event()

    def ingest_uploads(self, files, password=None, progress=None):
        self.calls.append("ingest")
        self.holding.set()
        self.hold.wait(30)
        return IngestReport()

    def query(self, question, k=None):
        self.calls.append("query")

    def delete(self, source):
        self.calls.append("delete")
        return 1


def person(tmp_path, can_write=True, **limits) -> tuple[Person, StubService]:
    stub = StubService()
    return Person(stub, PersonLimits(**limits), _Usage(), can_write=can_write), stub


def files(tmp_path, n, size=10) -> list[InputFile]:
    out = []
    for i in range(n):
        path = tmp_path / f"f{i}.txt"
        path.write_bytes(b"x" * size)
        out.append(InputFile(path, path.name))
    return out


def test_questions_per_minute_and_question_length(tmp_path):
    p, stub = person(tmp_path, questions_per_minute=3, question_chars=50)
    for _ in range(3):
        p.query("a question")
    with pytest.raises(LimitExceeded, match=r"at most 3 questions a minute: ask again in \d+ s"):
        p.query("one too many")
    with pytest.raises(LimitExceeded, match="limited to 50 characters; this one has 51"):
        p.query("x" * 51)
    assert stub.calls == ["query"] * 3


def test_files_and_bytes_per_upload(tmp_path):
    p, stub = person(tmp_path, files_per_upload=2, bytes_per_upload=100)
    with pytest.raises(LimitExceeded, match="at most 2 files per upload; you sent 3"):
        p.ingest_uploads(files(tmp_path, 3))
    with pytest.raises(LimitExceeded, match="MB per upload"):
        p.ingest_uploads(files(tmp_path, 2, size=60))
    assert stub.calls == []


def test_one_upload_in_flight_per_person(tmp_path):
    p, stub = person(tmp_path)
    first = threading.Thread(target=p.ingest_uploads, args=(files(tmp_path, 1),))
    first.start()
    assert stub.holding.wait(10)
    with pytest.raises(LimitExceeded, match="previous upload is still being indexed"):
        p.ingest_uploads(files(tmp_path, 1))
    stub.hold.set()
    first.join()
    p.ingest_uploads(files(tmp_path, 1))  # free again
    assert stub.calls == ["ingest", "ingest"]


def test_a_visitor_may_search_but_never_write(tmp_path):
    p, stub = person(tmp_path, can_write=False)
    p.query("fine")
    with pytest.raises(LimitExceeded, match="uploads are off"):
        p.ingest_uploads(files(tmp_path, 1))
    with pytest.raises(LimitExceeded, match="nothing to delete"):
        p.delete("anything")
    assert p.documents() == [] and stub.calls == ["query"]


def test_a_persons_folder_is_derived_from_the_name_never_the_name():
    assert person_id("alice") == person_id("alice") != person_id("bob")
    assert all(ch in "0123456789abcdef" for ch in person_id("../../etc/passwd"))
