"""Where each PDF chunk stands on its page: rectangles found at ingest, for the page viewer."""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document

from loaders import LoaderError, LoadLimits
from loaders.page_geometry import ocr_rects
from loaders.pdf import page_geometry


def locate_on_pages(
    path: Path, password: str | None, pages: list[Document], chunks: list[Document], limits: LoadLimits
) -> None:
    """Give each PDF chunk its page size and the rectangles it covers there (``page_size``,
    ``highlights``: PDF points, origin bottom-left), for the page viewer and the JSON output.

    OCR'd pages use their OCR line boxes; the others ask PDFium, in the sandboxed worker. A page that
    cannot be measured simply has no highlights: the passage is indexed all the same.
    """
    ocr_lines = {d.metadata["page"]: d.metadata["ocr_lines"] for d in pages if d.metadata.get("ocr_lines")}
    sizes = {d.metadata["page"]: d.metadata["page_size"] for d in pages if d.metadata.get("page_size")}
    wanted: dict[int, list[str]] = {}
    for chunk in chunks:
        page = chunk.metadata["page"]
        if page in ocr_lines:
            chunk.metadata["highlights"] = ocr_rects(ocr_lines[page], chunk.page_content)
        else:
            wanted.setdefault(page, []).append(chunk.page_content)
    try:
        geometry = page_geometry(path, wanted, password=password, limits=limits) if wanted else {}
    except LoaderError:
        geometry = {}
    cursor: dict[int, int] = {}
    for chunk in chunks:
        page = chunk.metadata["page"]
        if page in geometry:
            chunk.metadata["highlights"] = geometry[page][1][cursor.get(page, 0)]
            cursor[page] = cursor.get(page, 0) + 1
        if page in sizes:
            chunk.metadata["page_size"] = sizes[page]
