"""The page viewer, through the service: originals kept by content, pages drawn with the passage marked."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest
from PIL import Image

from rag_app.service import RagService
from rag_app.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture
def service(tmp_path, bundled_embeddings, pdf_fixtures):
    service = RagService(Settings(store_dir=tmp_path / "store", llm="none"), embeddings=bundled_embeddings)
    (tmp_path / "docs").mkdir()
    shutil.copy(pdf_fixtures / "two-column.pdf", tmp_path / "docs")
    (tmp_path / "docs" / "notes.md").write_text(
        "# Notes\n\nFirst paragraph <b>about</b> owls.\n\nOtters hold hands when they sleep.\n"
    )
    assert service.ingest([tmp_path / "docs"]).exit_code == 0
    return service


def test_pdf_passages_carry_their_page_geometry_and_the_page_is_drawn_marked(service):
    result = service.query("Lorem ipsum dolor sit amet consectetuer adipiscing", 3)
    passage = next(p for p in result.passages if p.source == "two-column.pdf")
    width, height = passage.page_size
    assert (round(width), round(height)) == (595, 842) and passage.highlights
    assert all(0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height for x0, y0, x1, y1 in passage.highlights)
    view = service.page_view(passage.chunk_id, zoom=1.0)
    assert view.page == passage.page and view.pages == 3 and view.highlighted == len(passage.highlights)
    marked = np.asarray(Image.open(io.BytesIO(view.png)).convert("RGB")).astype(int)
    plain_view = service.page_view(
        passage.chunk_id, page=passage.page % 3 + 1
    )  # another page: nothing marked
    assert plain_view.highlighted == 0
    # The highlight is yellow paint: pixels where blue is well below red and green.
    yellow = (marked[:, :, 0] > 180) & (marked[:, :, 1] > 150) & (marked[:, :, 2] < marked[:, :, 0] - 40)
    assert yellow.mean() > 0.005


def test_a_text_passage_is_marked_in_its_text_escaped(service):
    passage = next(p for p in service.query("Do otters hold hands?", 3).passages if p.source == "notes.md")
    view = service.page_view(passage.chunk_id)
    from rag_app.ui.render import excerpt_html

    shown = excerpt_html(view)
    assert view.png is None and "Otters hold hands" in view.excerpt.passage
    assert "<mark>" in shown and "<b>about</b>" not in shown and "&lt;b&gt;about&lt;/b&gt;" in shown


def test_originals_are_kept_once_by_content_and_go_with_their_last_file(service, tmp_path, pdf_fixtures):
    blobs = tmp_path / "store" / "blobs"
    assert len(list(blobs.iterdir())) == 2
    copy = tmp_path / "again" / "same-columns.pdf"
    copy.parent.mkdir()
    shutil.copy(pdf_fixtures / "two-column.pdf", copy)
    assert service.ingest([copy]).outcomes[0].line() == "skipped: same content as two-column.pdf"
    assert len(list(blobs.iterdir())) == 2
    service.delete("two-column.pdf")
    assert len(list(blobs.iterdir())) == 1  # only notes.md's


def test_a_chunk_id_from_elsewhere_shows_nothing(service):
    with pytest.raises(ValueError, match="not in your documents"):
        service.page_view("0123456789abcdef01234567")
