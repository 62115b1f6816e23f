"""Chunks keep where they stand: the section's heading path, the slide, the sheet and its row range; a
spreadsheet row is always chunked whole, under its header row (whatever ``tables`` says for PDFs)."""

from __future__ import annotations

from langchain_core.documents import Document

from loaders import load
from rag_app.ingest.chunking import ChunkingConfig, chunk_documents
from tests.fixtures import office_files as make


def test_a_sheet_is_chunked_row_by_row_under_its_header_with_its_row_range(tmp_path, minilm_counter):
    rows = [(f"Region {i}", f"Q{i % 4 + 1}", 1000 + i) for i in range(60)]
    docs = load(make.xlsx_file(tmp_path / "big.xlsx", rows=rows))
    chunks = [
        c
        for c in chunk_documents(docs, minilm_counter, ChunkingConfig(max_tokens=64))
        if "Sales" in c.metadata["location"]
    ]
    assert len(chunks) > 3
    covered = []
    for chunk in chunks:
        lines = chunk.page_content.split("\n")
        assert lines[0] == "Region | Quarter | Revenue"
        first, last = (
            int(n) for n in chunk.metadata["location"].removeprefix("sheet Sales, rows ").split("-")
        )
        assert len(lines) - 1 == last - first + 1
        assert lines[1] == f"Region {first - 2} | Q{(first - 2) % 4 + 1} | {1000 + first - 2}"
        covered += range(first, last + 1)
    assert covered == list(range(2, 62))  # every row once, in order
    notes = next(
        c
        for c in chunk_documents(docs, minilm_counter, ChunkingConfig())
        if "Notes" in c.metadata["location"]
    )
    assert notes.metadata["location"] == "sheet Notes, row 2"


def test_sections_carry_their_location_heading_context_and_file_offsets(tmp_path, minilm_counter):
    text = "# Garden\n\nRoses need sun.\n\n## Roses\n\nPrune roses in March, above an outward bud."
    (tmp_path / "garden.md").write_text(text)
    chunks = chunk_documents(load(tmp_path / "garden.md"), minilm_counter, ChunkingConfig())
    last = chunks[-1]
    assert last.metadata["location"] == "Garden > Roses" and last.metadata["context"] == "Garden > Roses"
    start = last.metadata["start_index"]
    assert text[start : start + len(last.page_content)] == last.page_content
    assert len({c.metadata["chunk_id"] for c in chunks}) == len(chunks)


def test_slides_keep_their_page_and_location(tmp_path, minilm_counter):
    chunks = chunk_documents(load(make.pptx_file(tmp_path / "deck.pptx")), minilm_counter, ChunkingConfig())
    roadmap = next(c for c in chunks if "marmalade" in c.page_content)
    assert roadmap.metadata["page"] == 3 and roadmap.metadata["location"] == "slide 3: Roadmap"
    assert roadmap.metadata["file_type"] == "pptx"


def test_a_pdf_page_has_no_location(minilm_counter):
    page = Document("Some text on a page.", metadata={"source": "a.pdf", "page": 1, "sha256": "s"})
    assert "location" not in chunk_documents([page], minilm_counter, ChunkingConfig())[0].metadata
