"""The ingest pipeline: which files it takes, what each ends as, and input shapes that once hung it."""

from __future__ import annotations

import os

import pytest

from rag_app.ingest.pipeline import collect_files
from rag_app.service import RagService
from rag_app.settings import Settings


def test_folders_skip_hidden_entries_and_symlinks(tmp_path):
    (tmp_path / "docs" / ".git").mkdir(parents=True)
    (tmp_path / "docs" / "sub").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("a")
    (tmp_path / "docs" / "sub" / "b.md").write_text("b")
    (tmp_path / "docs" / ".hidden.txt").write_text("secret")
    (tmp_path / "docs" / ".git" / "config").write_text("x")
    (tmp_path / "outside.txt").write_text("outside")
    os.symlink(tmp_path / "outside.txt", tmp_path / "docs" / "link.txt")
    files, missing = collect_files([tmp_path / "docs", tmp_path / "nope.pdf"])
    assert [(f.source, f.path.name) for f in files] == [("a.txt", "a.txt"), ("sub/b.md", "b.md")]
    assert [(m.source, m.status, m.reason) for m in missing] == [
        ("nope.pdf", "rejected", "no such file or folder")
    ]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_outcomes_skipped_twin_replaced_and_a_megabyte_of_spaces(tmp_path, bundled_embeddings):
    service = RagService(Settings(store_dir=tmp_path / "store"), embeddings=bundled_embeddings)
    a = tmp_path / "a.txt"
    a.write_text("Koalas sleep up to twenty hours a day in eucalyptus trees.")
    twin = tmp_path / "twin" / "b.txt"
    twin.parent.mkdir()
    twin.write_bytes(a.read_bytes())
    # The chunker's worst shape, a megabyte long: a short tail after a huge run of spaces.
    gap = tmp_path / "gap.txt"
    gap.write_text("word " * 252 + "end. " + " " * 1_000_000 + "ab.")
    report = service.ingest([a, twin, gap])
    lines = {o.source: o.line() for o in report.outcomes}
    assert lines["a.txt"].startswith("indexed 1 chunk")
    assert lines["b.txt"] == "skipped: same content as a.txt"
    assert lines["gap.txt"].startswith("indexed") and report.exit_code == 0
    a.write_text("Koalas sleep up to twenty hours a day. They eat eucalyptus leaves.")
    again = {o.source: o.line() for o in service.ingest([a, gap]).outcomes}
    assert "replaced the earlier version" in again["a.txt"] and again["gap.txt"] == "skipped: already indexed"
    assert service.query("How long do koalas sleep?", 1).passages[0].source == "a.txt"


class _Embeddings:
    """Test double for the embedding model: deterministic unit vectors, and a hook per call."""

    def __init__(self, on_encode=None) -> None:
        self.on_encode = on_encode

    def encode_documents(self, texts, progress=None):
        from tests.rag_app.store.store_helpers import unit_vectors

        if self.on_encode is not None:
            self.on_encode(texts)
        return unit_vectors(list(texts))


def _pipeline(tmp_path, embeddings):
    from rag_app.ingest.chunking import ChunkingConfig
    from rag_app.ingest.pipeline import IngestPipeline
    from tests.rag_app.store.store_helpers import open_store

    def words(texts):
        return [len(t.split()) for t in texts]

    return IngestPipeline(
        open_store(tmp_path / "store"), embeddings, words, ChunkingConfig(max_tokens=64, overlap_tokens=8)
    )


def test_an_unchanged_file_is_skipped_without_being_parsed(tmp_path, monkeypatch):
    from rag_app.ingest import pipeline as ingest
    from rag_app.ingest.pipeline import InputFile

    note = tmp_path / "note.txt"
    note.write_text("Lemurs live on Madagascar and nowhere else in the wild.")
    pipeline = _pipeline(tmp_path, _Embeddings())
    assert pipeline.run([InputFile(note, "note.txt")]).outcomes[0].status == "indexed"

    def must_not_parse(*args, **kwargs):
        raise AssertionError("an unchanged file was parsed")

    monkeypatch.setattr(ingest, "load", must_not_parse)
    again = pipeline.run([InputFile(note, "note.txt")])
    assert again.outcomes[0].line() == "skipped: already indexed"


def test_the_next_file_is_parsed_while_this_one_is_embedded(tmp_path, monkeypatch):
    import threading

    from rag_app.ingest import pipeline as ingest
    from rag_app.ingest.pipeline import InputFile

    files = []
    for name in ("a.txt", "b.txt"):
        path = tmp_path / name
        path.write_text(f"File {name} talks about otters, rivers and fish.")
        files.append(InputFile(path, name))
    parsing_b = threading.Event()
    real_load = ingest.load

    def watching_load(path, *args, **kwargs):
        if path.name == "b.txt":
            parsing_b.set()
        return real_load(path, *args, **kwargs)

    overlapped = []

    def while_embedding(texts):
        if "a.txt" in texts[0]:
            # Embedding a.txt waits for b.txt's parse to begin: without overlap it never would.
            overlapped.append(parsing_b.wait(30))

    monkeypatch.setattr(ingest, "load", watching_load)
    report = _pipeline(tmp_path, _Embeddings(while_embedding)).run(files)
    assert overlapped == [True]
    assert [o.status for o in report.outcomes] == ["indexed", "indexed"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ocr_says_which_page_it_reads_of_how_many(tmp_path):
    from rag_app.ingest.pipeline import InputFile
    from tests.fixtures.pdf_writer import scanned_copy, text_pdf

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(
        scanned_copy(text_pdf(["Otters hold hands while they sleep.", "Puffins nest in burrows on cliffs."]))
    )
    pipeline = _pipeline(tmp_path, _Embeddings())
    told: list[str] = []
    pipeline.progress = lambda fraction, text: told.append(text)
    report = pipeline.run([InputFile(scan, "scan.pdf")])
    assert report.outcomes[0].line().endswith("from 2 pages (read by ocr)"), report.outcomes[0].line()
    # One line per page as its OCR begins, in page order, before the file's outcome.
    ocr = [text for text in told if "OCR" in text]
    assert ocr == ["reading scan.pdf: OCR page 1 of 2", "reading scan.pdf: OCR page 2 of 2"]
    assert told.index(ocr[-1]) < told.index(f"scan.pdf: {report.outcomes[0].line()}")
