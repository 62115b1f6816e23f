"""PPTX with python-pptx: one section a slide (``page`` is the slide number), its title, its text in
reading order (top to bottom, left to right, into groups and tables), then its speaker notes, marked.

Loaded by path inside the sandboxed worker. Not read: charts, SmartArt, text inside pictures, and
slide masters' placeholder text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

EXTRACTOR = "python-pptx"
NOTES_MARK = "Speaker notes:"


def read(path: str, request: dict[str, Any], runtime: Any) -> Iterator[dict[str, Any]]:
    from pptx import Presentation

    deck = Presentation(path)
    slides = list(deck.slides)
    yield {
        "event": "meta",
        "title": deck.core_properties.title or "",
        "extractor": EXTRACTOR,
        "total_pages": len(slides),
        "page_unit": "slide",
    }
    for number, slide in enumerate(slides, start=1):
        title_shape = slide.shapes.title
        title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
        blocks = [title] if title else []
        blocks += [text for text in _texts(slide.shapes, skip=title_shape) if text]
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                blocks.append(f"{NOTES_MARK} {notes.text.strip()}")
        if not blocks:
            continue
        location = f"slide {number}: {title}" if title else f"slide {number}"
        yield {
            "event": "section",
            "text": "\n\n".join(blocks),
            "page": number,
            "location": location,
            "heading": title,
        }


def _texts(shapes: Any, skip: Any) -> Iterator[str]:
    ordered = sorted(
        shapes, key=lambda s: (s.top if s.top is not None else 0, s.left if s.left is not None else 0)
    )
    for shape in ordered:
        if skip is not None and shape.shape_id == skip.shape_id:
            continue
        if shape.shape_type == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _texts(shape.shapes, skip)
        elif getattr(shape, "has_table", False) and shape.has_table:
            rows = [
                " | ".join(" ".join(c.text.split()) for c in row.cells).strip(" |")
                for row in shape.table.rows
            ]
            yield "\n".join(r for r in rows if r)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield shape.text_frame.text.strip()
