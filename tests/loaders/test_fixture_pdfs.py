"""Every real PDF in ../shared/fixtures/pdfs ends as MANIFEST.md says it must."""

from __future__ import annotations

import pytest

from loaders import (
    EmptyDocumentError,
    LoadLimits,
    NoExtractableTextError,
    NotReadablePdfError,
    PasswordProtectedError,
    TimedOutError,
    TooLargeError,
    load,
)

LIMITS = LoadLimits(timeout_s=60)

# file -> (expected page numbers, a substring of page 1, the engine that reads it)
INDEXABLE = {
    "single-page-text.pdf": ([1], "crazy", "pdfium"),
    "multipage-4-pages.pdf": ([1, 2, 3, 4], None, "pdfium"),
    "two-column.pdf": ([1, 2, 3], None, "pdfium"),
    "chinese-product-table.pdf": ([1], "商品编码", "pdfium"),
    "chinese-kangxi-radicals.pdf": ([1], "方程式", "pdfium"),
    "encrypted-empty-password-aes256.pdf": ([1], "encryption test", "pdfium"),
    # PDFium and pypdf refuse its damaged page tree; pdfminer.six recovers the page.
    "broken-pages-tree.pdf": ([1], "Rotary Potentiomete", "pdfminer"),
}
REJECTED = {
    "encrypted-password-openpassword.pdf": (PasswordProtectedError, "password-protected"),
    "image-only-grayscale.pdf": (
        NoExtractableTextError,
        "no extractable text (an image without legible text (OCR found none))",
    ),
    "blank-page.pdf": (EmptyDocumentError, "empty: the PDF's pages are blank"),
    "invalid-44-bytes.pdf": (NotReadablePdfError, "not a readable PDF: data format error"),
}


@pytest.mark.parametrize("name", sorted(INDEXABLE))
def test_indexable_pdf_gives_pages_in_order(pdf_fixtures, name):
    pages, snippet, engine = INDEXABLE[name]
    docs = load(pdf_fixtures / name, limits=LIMITS)
    assert [d.metadata["page"] for d in docs] == pages
    assert all(d.metadata["source"] == name and d.metadata["extractor"] == engine for d in docs)
    assert len({d.metadata["sha256"] for d in docs}) == 1
    assert all(d.page_content.strip() for d in docs)
    assert (
        docs[0].metadata["extractors"] == {engine: len(pages)} and docs[0].metadata["unreadable_pages"] == []
    )
    if snippet:
        assert snippet in docs[0].page_content.lower() or snippet in docs[0].page_content


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_bad_pdf_is_rejected_with_its_reason(pdf_fixtures, name):
    error_type, reason = REJECTED[name]
    with pytest.raises(error_type) as info:
        load(pdf_fixtures / name, limits=LIMITS)
    assert str(info.value).startswith(reason)  # the reader's own reason, not the budget running out
    assert info.value.source == name


@pytest.mark.slow
def test_scanned_pages_are_read_by_ocr(pdf_fixtures):
    docs = load(pdf_fixtures / "scanned-4-pages-no-text.pdf", limits=LIMITS)
    assert [d.metadata["page"] for d in docs] == [1, 2, 3, 4]
    assert all(d.metadata["extractor"] == "ocr" for d in docs)
    assert docs[0].page_content.startswith("The LinnSequencer\n32 Track MIDI Sequence Recorder")
    assert "TEMPO" in docs[1].page_content  # page 2 is landscape
    lines = docs[0].metadata["ocr_lines"]
    assert (
        lines[0][0] == "The LinnSequencer"
        and 0 <= lines[0][1] < lines[0][3] <= 612
        and 0 <= lines[0][2] < lines[0][4] <= 792
    )


def test_scanned_pages_without_ocr_are_rejected_saying_why(pdf_fixtures):
    with pytest.raises(
        NoExtractableTextError,
        match=r"no extractable text \(a scanned page without a text layer \(OCR is off\)\)",
    ):
        load(pdf_fixtures / "scanned-4-pages-no-text.pdf", limits=LIMITS, ocr=False)


def test_password_opens_protected_pdf(pdf_fixtures):
    docs = load(pdf_fixtures / "encrypted-password-openpassword.pdf", password="openpassword", limits=LIMITS)
    assert docs and docs[0].metadata["page"] == 1


def test_wrong_password_is_reported(pdf_fixtures):
    with pytest.raises(PasswordProtectedError, match="wrong"):
        load(pdf_fixtures / "encrypted-password-openpassword.pdf", password="nope", limits=LIMITS)


def test_long_pdf_all_pages_nfkc_and_no_log_flood(pdf_fixtures, caplog):
    caplog.set_level("INFO")
    docs = load(pdf_fixtures / "long-117-pages-german.pdf", limits=LIMITS)
    assert [d.metadata["page"] for d in docs] == list(range(1, 118))
    text = "".join(d.page_content for d in docs)
    assert "ﬂ" not in text and "ﬁ" not in text  # ligatures normalised by NFKC
    assert len(caplog.records) <= 2  # one summary line, not thousands of warnings


def test_kangxi_radicals_become_ordinary_cjk(pdf_fixtures):
    text = load(pdf_fixtures / "chinese-kangxi-radicals.pdf", limits=LIMITS)[0].page_content
    assert not any(0x2F00 <= ord(ch) <= 0x2FDF for ch in text)
    assert "方" in text


def test_page_cap_truncates_with_a_note(pdf_fixtures):
    docs = load(pdf_fixtures / "long-117-pages-german.pdf", limits=LoadLimits(max_pages=3))
    assert [d.metadata["page"] for d in docs] == [1, 2, 3]
    assert "only the first 3 of 117 pages" in docs[0].metadata["notes"][0]


def test_character_cap_applies_to_the_whole_file(pdf_fixtures):
    path = pdf_fixtures / "multipage-4-pages.pdf"
    full = load(path, limits=LIMITS)
    cap = sum(len(d.page_content) for d in full) // 2
    capped = load(path, limits=LoadLimits(max_chars=cap))
    assert sum(len(d.page_content) for d in capped) <= cap + len(capped)  # + whitespace stripped per page
    assert any(n.startswith("text was cut at") for n in capped[0].metadata["notes"])


def test_a_file_whose_every_page_times_out_is_rejected_as_timed_out(pdf_fixtures):
    with pytest.raises(TimedOutError, match="timed out"):
        load(pdf_fixtures / "long-117-pages-german.pdf", limits=LoadLimits(page_timeout_s=0.001))


def test_memory_limit_is_enforced(pdf_fixtures):
    # Python, PDFium and this file need more than 25 MiB of address space; the cap must bite.
    with pytest.raises(TooLargeError, match="memory"):
        load(pdf_fixtures / "long-117-pages-german.pdf", limits=LoadLimits(memory_bytes=25 * 2**20))
    assert load(pdf_fixtures / "long-117-pages-german.pdf", limits=LoadLimits(memory_bytes=2**30))


def test_a_page_that_hangs_costs_only_itself(tmp_path):
    from tests.fixtures.pdf_writer import text_pdf

    heavy = b"0 0 m 1 1 l S\n" * 6_000_000  # six million path operators: every engine chokes on it
    path = tmp_path / "three.pdf"
    path.write_bytes(text_pdf(["The first page is about apples.", heavy, "The third page is about pears."]))
    docs = load(path, limits=LoadLimits(page_timeout_s=2.0))
    assert [d.metadata["page"] for d in docs] == [1, 3]
    assert docs[0].metadata["unreadable_pages"] == [[2, "timed out (over 2 s)"]]
    assert docs[0].metadata["notes"] == ["page 2 unreadable: timed out (over 2 s)"]


def test_ocr_resolution_is_capped_for_huge_pages():
    from loaders.ocr import MAX_OCR_PIXELS, ocr_scale

    assert ocr_scale(612, 792, 200) == pytest.approx(200 / 72)  # a letter page at the full 200 dpi
    scale = ocr_scale(35_000, 2_000, 200)  # a 35,000-point-wide drawing
    assert 35_000 * 2_000 * scale**2 <= MAX_OCR_PIXELS * 1.0001 and scale < 200 / 72
