"""Every real PDF in ../shared/fixtures/pdfs ends as MANIFEST.md says it must."""

from __future__ import annotations

import os
import time

import pytest

from loaders import (
    EmptyDocumentError,
    LoadLimits,
    NoExtractableTextError,
    NotReadablePdfError,
    PasswordProtectedError,
    load,
)

LIMITS = LoadLimits(timeout_s=60)

# file -> (expected page numbers, a substring of page 1) for files that must index
INDEXABLE = {
    "single-page-text.pdf": ([1], "crazy"),
    "multipage-4-pages.pdf": ([1, 2, 3, 4], None),
    "two-column.pdf": ([1, 2, 3], None),
    "chinese-product-table.pdf": ([1], None),
    "chinese-kangxi-radicals.pdf": ([1], "方程式"),
    "encrypted-empty-password-aes256.pdf": ([1], None),
}
REJECTED = {
    "encrypted-password-openpassword.pdf": (PasswordProtectedError, "password-protected"),
    "image-only-grayscale.pdf": (NoExtractableTextError, "no extractable text (scanned? OCR not enabled)"),
    "scanned-4-pages-no-text.pdf": (NoExtractableTextError, "no extractable text (scanned? OCR not enabled)"),
    "blank-page.pdf": (EmptyDocumentError, "empty"),
    "broken-pages-tree.pdf": (NotReadablePdfError, "not a readable PDF"),
    "invalid-44-bytes.pdf": (NotReadablePdfError, "not a readable PDF"),
}


@pytest.mark.parametrize("name", sorted(INDEXABLE))
def test_indexable_pdf_gives_pages_in_order(pdf_fixtures, name):
    pages, snippet = INDEXABLE[name]
    docs = load(pdf_fixtures / name, limits=LIMITS)
    assert [d.metadata["page"] for d in docs] == pages
    assert all(d.metadata["source"] == name for d in docs)
    assert len({d.metadata["sha256"] for d in docs}) == 1
    assert all(d.page_content.strip() for d in docs)
    if snippet:
        assert snippet in docs[0].page_content.lower() or snippet in docs[0].page_content


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_bad_pdf_is_rejected_with_its_reason(pdf_fixtures, name):
    error_type, reason = REJECTED[name]
    started = time.monotonic()
    with pytest.raises(error_type) as info:
        load(pdf_fixtures / name, limits=LIMITS)
    assert str(info.value).startswith(reason)
    assert info.value.source == name
    assert time.monotonic() - started < LIMITS.timeout_s


def test_password_opens_protected_pdf(pdf_fixtures):
    docs = load(pdf_fixtures / "encrypted-password-openpassword.pdf", password="openpassword", limits=LIMITS)
    assert docs and docs[0].metadata["page"] == 1


def test_wrong_password_is_reported(pdf_fixtures):
    with pytest.raises(PasswordProtectedError, match="wrong"):
        load(pdf_fixtures / "encrypted-password-openpassword.pdf", password="nope", limits=LIMITS)


def test_long_pdf_all_pages_nfkc_and_no_log_flood(pdf_fixtures, caplog):
    caplog.set_level("INFO")
    docs = load(pdf_fixtures / "long-117-pages-german.pdf", limits=LIMITS)
    assert docs[-1].metadata["page"] <= 117
    assert len(docs) > 100
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


def test_timeout_is_enforced(pdf_fixtures):
    from loaders import TimedOutError

    with pytest.raises(TimedOutError, match="timed out"):
        load(pdf_fixtures / "long-117-pages-german.pdf", limits=LoadLimits(timeout_s=0.5))


def test_memory_limit_is_enforced(pdf_fixtures):
    from loaders import TooLargeError

    # The 117-page file needs more than 60 MiB of address space to parse; the cap must bite.
    with pytest.raises(TooLargeError, match="memory"):
        load(pdf_fixtures / "long-117-pages-german.pdf", limits=LoadLimits(memory_bytes=60 * 2**20))
    assert load(pdf_fixtures / "long-117-pages-german.pdf", limits=LoadLimits(memory_bytes=2**30))


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_sharing_a_file_give_the_pages_of_one_worker(pdf_fixtures, workers):
    from loaders.pdf import extract_pdf

    path = pdf_fixtures / "multipage-4-pages.pdf"
    alone = extract_pdf(path, password=None, limits=LIMITS, workers=1)
    shared = extract_pdf(path, password=None, limits=LIMITS, workers=workers)
    assert shared.pages == alone.pages and len(alone.pages) == 4
    assert shared.total_pages == alone.total_pages and shared.notes == alone.notes == []


def test_character_cap_applies_to_the_whole_file_across_workers(pdf_fixtures):
    from loaders.pdf import extract_pdf

    path = pdf_fixtures / "multipage-4-pages.pdf"
    full = "".join(extract_pdf(path, password=None, limits=LIMITS, workers=1).pages)
    cap = len(full) // 2
    capped = extract_pdf(path, password=None, limits=LoadLimits(timeout_s=60, max_chars=cap), workers=2)
    assert "".join(capped.pages) == full[:cap]
    assert capped.notes == [f"text was cut at {cap:,} characters"]


def test_big_files_are_parsed_on_every_core(pdf_fixtures):
    from loaders.pdf import parse_workers

    assert parse_workers(pdf_fixtures / "single-page-text.pdf") == 1
    assert parse_workers(pdf_fixtures / "long-117-pages-german.pdf") == min(4, os.cpu_count() or 1)
