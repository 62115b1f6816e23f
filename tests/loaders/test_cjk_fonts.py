"""Chinese, Japanese and Korean PDFs whose CID fonts carry no ToUnicode map are read right.

The PDFs are written by tests/fixtures/cjk_pdf.py: Type0 fonts with /Identity-H or /Identity-V in
Adobe's GB1, Japan1 and Korea1 collections, the text written as the collections' CIDs.
"""

from __future__ import annotations

import difflib
import io
import unicodedata

import pytest

from loaders import load
from tests.fixtures.cjk_pdf import SAMPLES, cid_pdf

CASES = [(language, vertical) for language in sorted(SAMPLES) for vertical in (False, True)]


def accuracy(got: str, written: str) -> float:
    """Character accuracy, ignoring whitespace; the written text as the loader normalises it (NFKC)."""
    want = "".join(unicodedata.normalize("NFKC", written).split())
    have = "".join(got.split())
    matcher = difflib.SequenceMatcher(None, have, want, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(len(want), len(have))


@pytest.mark.parametrize(("language", "vertical"), CASES)
def test_load_reads_the_written_text(tmp_path, language, vertical):
    path = tmp_path / f"{language}.pdf"
    path.write_bytes(cid_pdf(SAMPLES[language], language, vertical=vertical, pages=2))
    docs = load(path)
    assert [d.metadata["page"] for d in docs] == [1, 2]
    for doc in docs:
        assert accuracy(doc.page_content, "".join(SAMPLES[language])) >= 0.99, doc.page_content
    # Vertical writing goes to pdfminer.six first: PDFium orders its lines the wrong way round.
    assert {d.metadata["extractor"] for d in docs} == {"pdfminer" if vertical else "pdfium"}


@pytest.mark.parametrize(("language", "vertical"), CASES)
def test_pypdf_alone_gets_them_wrong(language, vertical):
    from pypdf import PdfReader

    data = cid_pdf(SAMPLES[language], language, vertical=vertical)
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert accuracy(text, "".join(SAMPLES[language])) < 0.2, text
