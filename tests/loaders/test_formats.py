"""Every format read right and located: files built at test time with the libraries that read them."""

from __future__ import annotations

import pytest

from loaders import EmptyDocumentError, load
from tests.fixtures import office_files as make


def by_location(docs):
    return {d.metadata["location"]: d for d in docs}


def test_docx_sections_follow_the_heading_path(tmp_path):
    docs = load(make.docx_file(tmp_path / "budget.docx"))
    found = by_location(docs)
    assert list(found) == ["Budget", "Budget > 2024", "Budget > 2024 > Travel", "Budget > 2025"]
    travel = found["Budget > 2024 > Travel"]
    assert "zebra-violet quorum" in travel.page_content and travel.metadata["page"] is None
    assert (
        travel.metadata["heading"] == "Budget > 2024 > Travel"
        and travel.metadata["title"] == "Company budget"
    )
    assert "Region | Plan\nNorth | Hold" in found["Budget > 2025"].page_content  # a table, row by row
    assert docs[0].metadata["file_type"] == "docx" and docs[0].metadata["extractors"] == {"python-docx": 4}


def test_pptx_one_document_a_slide_with_its_number_title_and_marked_notes(tmp_path):
    docs = load(make.pptx_file(tmp_path / "deck.pptx", notes="Ask finance before promising dates."))
    assert [d.metadata["page"] for d in docs] == [1, 2, 3]
    assert [d.metadata["location"] for d in docs] == [
        "slide 1: Welcome",
        "slide 2: Results",
        "slide 3: Roadmap",
    ]
    roadmap = docs[2].page_content
    assert roadmap.startswith("Roadmap") and "Quantum marmalade" in roadmap
    assert "Speaker notes: Ask finance before promising dates." in roadmap
    assert "A text box on the results slide." in docs[1].page_content
    assert docs[0].metadata["total_pages"] == 3 and docs[0].metadata["page_unit"] == "slide"


def test_xlsx_one_table_a_sheet_with_header_and_row_numbers(tmp_path):
    docs = load(make.xlsx_file(tmp_path / "sales.xlsx"))
    sales, notes = docs
    assert sales.metadata["location"] == "sheet Sales" and notes.metadata["location"] == "sheet Notes"
    assert sales.metadata["table_header"] == "Region | Quarter | Revenue"
    assert sales.metadata["row_numbers"] == [2, 3, 4, 5]
    assert sales.page_content.splitlines()[3] == "North | Q3 | 4711"


def test_csv_and_tsv_are_tables_too(tmp_path):
    (tmp_path / "a.csv").write_text("Region,Revenue\nNorth,12\n\nSouth,13\n")
    (tmp_path / "b.tsv").write_text("Region\tRevenue\nEast\t7\n")
    csv_doc = load(tmp_path / "a.csv")[0]
    assert csv_doc.page_content == "Region | Revenue\nNorth | 12\nSouth | 13"
    assert csv_doc.metadata["row_numbers"] == [2, 4] and csv_doc.metadata["location"] is None
    assert load(tmp_path / "b.tsv")[0].page_content == "Region | Revenue\nEast | 7"


def test_html_main_content_without_menus_by_heading(tmp_path):
    (tmp_path / "page.html").write_text(make.html_page())
    docs = load(tmp_path / "page.html")
    found = by_location(docs)
    assert (
        "Budget > 2024 > Travel" in found
        and "zebra-violet quorum" in found["Budget > 2024 > Travel"].page_content
    )
    text = " ".join(d.page_content for d in docs)
    assert "Newsletter signup" not in text and "Cookie policy" not in text and "Site banner" not in text
    assert docs[0].metadata["title"] == "Travel guide" and docs[0].metadata["file_type"] == "html"


def test_html_is_sniffed_from_its_bytes_whatever_its_name(tmp_path):
    (tmp_path / "page.txt").write_text(make.html_page())
    assert load(tmp_path / "page.txt")[0].metadata["file_type"] == "html"


def test_epub_chapters_named_by_the_table_of_contents(tmp_path):
    docs = load(make.epub_file(tmp_path / "tales.epub"))
    locations = [d.metadata["location"] for d in docs]
    assert locations == ["chapter 1: The Shore", "chapter 2: The Sea", "chapter 2: The Sea > Storms"]
    assert "lighthouse keeper" in docs[2].page_content and docs[0].metadata["title"] == "Tales of the coast"


def test_odt_by_heading(tmp_path):
    docs = load(make.odt_file(tmp_path / "mill.odt"))
    assert by_location(docs)["Mill > History"].page_content.endswith(
        "Copper herons nest beside the old mill."
    )


def test_markdown_is_cut_at_its_headings_into_exact_slices(tmp_path):
    text = "Intro line.\n\n# Budget\n\nAll of it.\n\n## 2024\n\n```\n# not a heading\n```\n\nSetext\n------\n\nlast."
    (tmp_path / "notes.md").write_text(text)
    docs = load(tmp_path / "notes.md")
    assert [d.metadata["location"] for d in docs] == [None, "Budget", "Budget > 2024", "Budget > Setext"]
    for doc in docs:
        offset = doc.metadata["offset"]
        assert text[offset : offset + len(doc.page_content)] == doc.page_content


def test_plain_text_stays_one_document(tmp_path):
    (tmp_path / "a.txt").write_text("# not markdown\n\nplain")
    (doc,) = load(tmp_path / "a.txt")
    assert doc.metadata["page"] is None and "location" not in doc.metadata


def test_a_docx_that_is_really_a_pdf_is_read_as_a_pdf(tmp_path):
    from tests.fixtures.pdf_writer import text_pdf

    (tmp_path / "report.docx").write_bytes(text_pdf(["Harbour pilots board ships at dawn."]))
    (doc,) = load(tmp_path / "report.docx")
    assert (
        doc.metadata["file_type"] == "pdf"
        and doc.metadata["page"] == 1
        and "Harbour pilots" in doc.page_content
    )


def test_a_document_without_text_is_empty(tmp_path):
    import docx

    docx.Document().save(tmp_path / "blank.docx")
    with pytest.raises(EmptyDocumentError, match="no text found in the DOCX"):
        load(tmp_path / "blank.docx")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_images_are_read_by_ocr_and_a_tiff_page_by_page(tmp_path):
    png = load(make.image_file(tmp_path / "note.png", ["Pelican invoice number 4417"]))
    assert "Pelican" in png[0].page_content and png[0].metadata["page"] is None
    assert png[0].metadata["extractor"] == "ocr" and png[0].metadata["file_type"] == "image"
    tiff = load(make.image_file(tmp_path / "scan.tiff", ["Walrus ledger page"], frames=2, fmt="TIFF"))
    assert [d.metadata["page"] for d in tiff] == [1, 2] and "Walrus" in tiff[1].page_content


def test_an_epub_whose_chapters_are_encrypted_is_refused_but_obfuscated_fonts_are_not(tmp_path):
    from loaders import NotReadableDocumentError
    from tests.fixtures.hostile_files import rewritten

    book = make.epub_file(tmp_path / "book.epub")

    def encryption(uri: str) -> bytes:
        return (
            '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:CipherData>'
            f'<enc:CipherReference URI="{uri}"/></enc:CipherData></enc:EncryptedData></encryption>'
        ).encode()

    fonts = rewritten(
        book, tmp_path / "fonts.epub", add={"META-INF/encryption.xml": encryption("OEBPS/f.otf")}
    )
    assert len(load(fonts)) == 3
    drm = rewritten(
        book, tmp_path / "drm.epub", add={"META-INF/encryption.xml": encryption("OEBPS/two.xhtml")}
    )
    with pytest.raises(NotReadableDocumentError, match="DRM-protected"):
        load(drm)
