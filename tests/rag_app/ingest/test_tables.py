"""Table chunking (opt-in, ``RAG_TABLE_CHUNKS=1``): rows stay whole, each chunk carries the table's
header, and a table running onto the next page keeps the header of the page it began on."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from rag_app.ingest.chunking import ChunkingConfig, chunk_documents
from rag_app.ingest.tables import is_row, split_blocks

HEADER = "CONDENSED CONSOLIDATED STATEMENTS OF OPERATIONS\nThree Months Ended\nJuly 1, 2023 June 25, 2022"
ROWS = [
    f"Segment {name} net sales {1000 + i * 37:,} {900 + i * 41:,}"
    for i, name in enumerate("ABCDEFGHIJKLMNOP")
]
PROSE = "The Company designs, manufactures and markets smartphones and personal computers."


def page(text: str, number: int) -> Document:
    return Document(text, metadata={"source": "10q.pdf", "page": number, "sha256": "s"})


def test_rows_of_figures_make_a_table_and_a_sentence_with_numbers_does_not():
    text = "\n".join([PROSE, "Revenue grew 12% to 4,200 in 2023 from 3,750 in 2022.", HEADER, *ROWS])
    blocks = split_blocks(text)
    assert [b.kind for b in blocks] == ["text", "table"]
    assert blocks[1].header == HEADER
    assert text[blocks[1].rows_start :].startswith(ROWS[0])
    assert is_row(ROWS[0]) and not is_row(PROSE)


@pytest.mark.parametrize(
    "heading",
    [
        "July 1, 2023 June 25, 2022",
        "DECEMBER 31, 2023 DECEMBER 31, 2022",
        "Years Ended December 31, 2023 2022 2021",
        "Fiscal 2023 2022",
        "2023 2022",
    ],
)
def test_date_and_year_column_headings_are_not_rows(heading):
    assert not is_row(heading)
    assert is_row("Total net sales 81,797 82,959") and is_row("Net income (loss) $ 1,204 (265)")


def test_every_table_chunk_begins_with_the_header_and_holds_whole_rows(minilm_counter):
    config = ChunkingConfig(max_tokens=64, overlap_tokens=0, tables=True, context=False)
    chunks = chunk_documents([page("\n".join([PROSE, HEADER, *ROWS]), 1)], minilm_counter, config)
    table = [c.page_content for c in chunks if c.page_content.startswith(HEADER)]
    assert len(table) >= 3  # the budget forces several chunks
    seen = [line for chunk in table for line in chunk[len(HEADER) + 1 :].split("\n")]
    assert seen == ROWS  # each row once, whole, in order
    assert all(minilm_counter([c])[0] <= 64 for c in table)
    assert any(PROSE in c.page_content for c in chunks)


def test_a_table_running_onto_the_next_page_keeps_its_header(minilm_counter):
    config = ChunkingConfig(max_tokens=64, overlap_tokens=0, tables=True, context=False)
    pages = [page("\n".join([PROSE, HEADER, *ROWS[:6]]), 1), page("\n".join(ROWS[6:]), 2)]
    second = [c for c in chunk_documents(pages, minilm_counter, config) if c.metadata["page"] == 2]
    assert second and all(c.page_content.startswith(HEADER) for c in second)
    # Prose on the next page ends the table: nothing is carried further.
    pages.append(page(PROSE + "\n" + "\n".join(ROWS[:3]), 3))
    third = [c for c in chunk_documents(pages, minilm_counter, config) if c.metadata["page"] == 3]
    assert not any(c.page_content.startswith(HEADER) for c in third)


def test_off_by_default_a_table_is_cut_like_prose(minilm_counter):
    config = ChunkingConfig(max_tokens=64, overlap_tokens=0, context=False)
    chunks = chunk_documents([page("\n".join([HEADER, *ROWS]), 1)], minilm_counter, config)
    assert sum(c.page_content.startswith(HEADER) for c in chunks) == 1


def test_a_table_across_a_page_break_in_a_real_pdf_keeps_its_header_and_labels(tmp_path, minilm_counter):
    """The PDF is written here (Helvetica, one line per row) and read by the app's own loader."""
    from loaders import load
    from tests.fixtures.pdf_writer import text_pdf

    path = tmp_path / "10q.pdf"
    path.write_bytes(text_pdf(["\n".join([PROSE, HEADER, *ROWS[:8]]), "\n".join(ROWS[8:])]))
    pages = load(path, ocr=False)
    assert [d.metadata["page"] for d in pages] == [1, 2]
    config = ChunkingConfig(max_tokens=64, overlap_tokens=0, tables=True, context=False)
    chunks = chunk_documents(pages, minilm_counter, config)
    table = [c for c in chunks if "net sales" in c.page_content]
    assert {c.metadata["page"] for c in table} == {1, 2}
    for chunk in table:
        lines = chunk.page_content.split("\n")
        assert lines[:3] == HEADER.split("\n"), chunk.page_content
        assert all(line in ROWS for line in lines[3:])  # whole rows, each with its label
    rows_seen = [line for c in table for line in c.page_content.split("\n")[3:]]
    assert rows_seen == ROWS
