"""The page viewer: a passage shown where it stands in the original document.

PDF pages are drawn by PDFium in the sandboxed worker and the passage's rectangles (found at ingest
time) are painted over them; a text, Markdown or CSV passage is shown marked within its surrounding
text, escaped; a passage of any other format (Office, EPUB, HTML, images) is shown as it was read. The original comes from the store, found by the content hash of the passage's file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document

from loaders import LoaderError
from loaders.normalize import clean_text
from loaders.pdf import render_page
from loaders.text import decode_text

BASE_SCALE = 1.5  # pixels per point at zoom 1 (108 dpi): a page fits a laptop screen
CONTEXT_CHARS = 1500
HIGHLIGHT = (255, 214, 0, 96)


@dataclass(frozen=True)
class Excerpt:
    before: str
    passage: str
    after: str
    cut_before: bool
    """Text before ``before`` was left out (likewise ``cut_after``)."""
    cut_after: bool


@dataclass
class PageView:
    source: str
    page: int | None
    pages: int | None
    png: bytes | None = None
    """PDF pages: the page drawn, with the passage marked when it stands on this page."""
    excerpt: Excerpt | None = None
    """Text files: the passage within its surroundings, as plain text (the face escapes and marks it)."""
    highlighted: int = 0
    """How many rectangles were painted."""


def view_of(chunk: Document, store: Any, page: int | None, zoom: float) -> PageView:
    meta = chunk.metadata
    source = meta.get("source") or "?"
    original = store.original(meta.get("sha256", ""))
    if original is None:
        raise ValueError(f"the original of {source} is not kept (it was indexed before originals were kept)")
    file_type = meta.get("file_type", "pdf" if meta.get("page") is not None else "text")
    if file_type in ("text", "markdown", "csv"):
        return PageView(source, None, None, excerpt=_excerpt(original.read_bytes(), meta, chunk.page_content))
    if file_type != "pdf":  # Office files, EPUB, HTML, images: the passage as it was read, not re-parsed here
        return PageView(
            source, meta.get("page"), None, excerpt=Excerpt("", chunk.page_content, "", False, False)
        )
    wanted = page or meta["page"]
    try:
        image = render_page(original, wanted, scale=BASE_SCALE * max(0.25, min(zoom, 4.0)))
    except LoaderError as err:
        raise ValueError(f"cannot draw page {wanted} of {source}: {err.reason}") from err
    rects = meta.get("highlights") or [] if wanted == meta["page"] else []
    return PageView(
        source,
        wanted,
        image.pages,
        png=_paint(image.png, image.size, image.scale, rects),
        highlighted=len(rects),
    )


def _paint(png: bytes, size: list[float], scale: float, rects: list[list[float]]) -> bytes:
    """Rectangles in PDF points (origin bottom-left) painted translucent over the page image."""
    if not rects:
        return png
    from PIL import Image, ImageDraw

    page = Image.open(io.BytesIO(png)).convert("RGBA")
    layer = Image.new("RGBA", page.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    height = size[1]
    for x0, y0, x1, y1 in rects:
        draw.rectangle(
            [x0 * scale - 1, (height - y1) * scale - 1, x1 * scale + 1, (height - y0) * scale + 1],
            fill=HIGHLIGHT,
        )
    out = io.BytesIO()
    Image.alpha_composite(page, layer).convert("RGB").save(out, "PNG")
    return out.getvalue()


def _excerpt(data: bytes, meta: dict[str, Any], passage: str) -> Excerpt:
    """The passage in its text, as the loader cleaned it (so offsets match)."""
    text = clean_text(decode_text(data)[0])
    start = int(meta.get("start_index") or 0)
    if text[start : start + len(passage)] != passage:
        found = text.find(passage)
        start = found if found >= 0 else start
    end = start + len(passage)
    return Excerpt(
        text[max(0, start - CONTEXT_CHARS) : start],
        text[start:end],
        text[end : end + CONTEXT_CHARS],
        start > CONTEXT_CHARS,
        end + CONTEXT_CHARS < len(text),
    )
