"""Every format end to end through the CLI: one mixed folder ingested (hostile and unsupported files
among them, each with its line), then a unique phrase of each format found by `query --json` with
its location (and page, for slides)."""

from __future__ import annotations

import json

import pytest

from rag_app.cli.main import main
from tests.fixtures import hostile_files as hostile
from tests.fixtures import office_files as make
from tests.fixtures.pdf_writer import text_pdf
from tests.rag_app.cli.test_cli import rag_app, status_lines

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# file: (question, expected location, expected page, words the passage holds)
FOUND = {
    "budget.docx": (
        "Who approved the travel costs of the saffron lantern committee?",
        "Budget > 2024 > Travel",
        None,
        "saffron-lantern committee",
    ),
    "deck.pptx": ("When does the quantum marmalade ship?", "slide 3: Roadmap", 3, "Quantum marmalade"),
    "page.html": (
        "What did the zebra-violet quorum approve?",
        "Budget > 2024 > Travel",
        None,
        "zebra-violet",
    ),
    "tales.epub": (
        "Where does the lighthouse keeper sing?",
        "chapter 2: The Sea > Storms",
        None,
        "lighthouse keeper",
    ),
    "mill.odt": ("Where do copper herons nest?", "Mill > History", None, "Copper herons"),
    "garden.md": ("When should the moonlit roses be pruned?", "Garden > Roses", None, "moonlit roses"),
    "report.docx": ("When do harbour pilots board ships?", None, 1, "Harbour pilots"),
    "note.png": ("What is the pelican invoice number?", None, None, "4417"),
}
REJECTED = {
    "bomb.docx": "rejected: refused: a zip bomb: part 'word/media/image1.bin'",
    "laughs.xlsx": "rejected: refused: part 'xl/worksheets/sheet1.xml' declares XML entities",
    "deep.html": "rejected: refused: HTML nested more than 256 elements deep",
    "archive.gz": "rejected: unsupported type: this is a gzip archive",
    "photo.gif": "rejected: unsupported type: this is a GIF image",
}


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    kb = root / "kb"
    kb.mkdir()
    make.docx_file(kb / "budget.docx", "The saffron-lantern committee approved the travel costs.")
    make.pptx_file(kb / "deck.pptx", notes="Remind the board about the velvet-anchor contract.")
    make.xlsx_file(kb / "sales.xlsx")
    (kb / "page.html").write_text(make.html_page("The zebra-violet quorum approved the conference budget."))
    make.epub_file(kb / "tales.epub")
    make.odt_file(kb / "mill.odt")
    (kb / "garden.md").write_text(
        "# Garden\n\nA small garden.\n\n## Roses\n\nPrune the moonlit roses in March.\n"
    )
    (kb / "prices.csv").write_text("Fruit,Price\nMango,3\nDurian,17\nLychee,5\n")
    (kb / "report.docx").write_bytes(text_pdf(["Harbour pilots board ships at dawn."]))
    make.image_file(kb / "note.png", ["Pelican invoice number 4417"])
    good = make.docx_file(root / "good.docx")
    hostile.zip_bomb(good, kb / "bomb.docx")
    hostile.entities(make.xlsx_file(root / "good.xlsx"), kb / "laughs.xlsx", "xl/worksheets/sheet1.xml")
    (kb / "deep.html").write_bytes(hostile.deep_html())
    (kb / "archive.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(64))
    (kb / "photo.gif").write_bytes(b"GIF89a" + bytes(64))
    store = root / "store"
    return store, rag_app("ingest", "--store", str(store), str(kb))


def query(store, question: str, monkeypatch, capsys) -> list[dict]:
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "bundled")
    assert main(["query", "--store", str(store), "--json", "-k", "3", question]) == 0
    return json.loads(capsys.readouterr().out)["results"]


def test_every_file_of_the_batch_has_its_line_and_the_hostile_ones_are_rejected(mixed_store):
    _, ingest = mixed_store
    assert ingest.returncode == 2, ingest.stderr
    lines = status_lines(ingest.stdout)
    assert len(lines) == len(FOUND) + len(REJECTED) + 2  # + sales.xlsx, prices.csv
    for name, reason in REJECTED.items():
        assert lines[name].startswith(reason), (name, lines[name])
    for name in [*FOUND, "sales.xlsx", "prices.csv"]:
        assert lines[name].startswith("indexed"), (name, lines[name])
    assert lines["deck.pptx"].endswith("from 3 slides (read by python-pptx)")
    assert lines["report.docx"].endswith("from 1 page (read by pdfium)")  # a PDF, whatever its name


@pytest.mark.parametrize("name", list(FOUND))
def test_a_unique_phrase_of_each_format_is_found_with_its_location(mixed_store, name, monkeypatch, capsys):
    store, _ = mixed_store
    question, location, page, words = FOUND[name]
    top = query(store, question, monkeypatch, capsys)[0]
    assert top["source"] == name and words in top["text"]
    assert top["location"] == location and top["page"] == page


def test_speaker_notes_are_indexed_and_marked(mixed_store, monkeypatch, capsys):
    store, _ = mixed_store
    top = query(store, "What about the velvet-anchor contract?", monkeypatch, capsys)[0]
    assert top["source"] == "deck.pptx" and top["page"] == 3
    assert "Speaker notes: Remind the board about the velvet-anchor contract." in top["text"]


@pytest.mark.parametrize(
    ("question", "source", "location", "header", "row"),
    [
        (
            "What was the revenue of North in Q3?",
            "sales.xlsx",
            "sheet Sales, rows 2-5",
            "Region | Quarter | Revenue",
            "North | Q3 | 4711",
        ),
        ("What is the price of durian?", "prices.csv", "rows 2-4", "Fruit | Price", "Durian | 17"),
    ],
)
def test_a_table_row_is_answered_with_its_header(
    mixed_store, monkeypatch, capsys, question, source, location, header, row
):
    store, _ = mixed_store
    top = query(store, question, monkeypatch, capsys)[0]
    assert top["source"] == source and top["location"] == location
    assert top["text"].split("\n")[0] == header and row in top["text"].split("\n")


def test_serve_watch_needs_a_library(tmp_path):
    out = rag_app("serve", "--store", str(tmp_path / "s"), "--watch", str(tmp_path))
    assert out.returncode == 1 and "--watch FOLDER needs --library STORE" in out.stderr
