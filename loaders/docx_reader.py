"""DOCX with python-docx: paragraphs and tables in document order, cut at the headings (paragraph styles
"Title", "Heading 1" to "Heading 9", or an outline level set on the paragraph).

Loaded by path inside the sandboxed worker. Not read: text boxes, headers and footers, footnotes,
comments, and charts or SmartArt (their text lives outside the body's paragraphs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

EXTRACTOR = "python-docx"
_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título|titolo)\s*(\d)$", re.IGNORECASE)


def read(path: str, request: dict[str, Any], runtime: Any) -> Iterator[dict[str, Any]]:
    import docx
    from docx.table import Table

    document = docx.Document(path)
    yield {"event": "meta", "title": document.core_properties.title or "", "extractor": EXTRACTOR}
    outline = runtime.sibling("outline").Outline()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for line in _rows(block):
                outline.text(line, row=True)
            continue
        level = _heading_level(block)
        if level is not None:
            outline.heading(level, block.text)
        else:
            outline.text(block.text)
    for section in outline.sections():
        yield {"event": "section", **section}


def _heading_level(paragraph: Any) -> int | None:
    style = paragraph.style
    while style is not None:  # a custom style based on "Heading 2" is a heading 2
        name = style.name or ""
        if name == "Title":
            return 1
        if match := _HEADING_STYLE.match(name):
            return max(1, int(match.group(1)))
        style = style.base_style
    properties = paragraph._p.pPr
    level = properties.find("{*}outlineLvl") if properties is not None else None
    if level is not None:
        value = level.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val", "9")
        return int(value) + 1 if value.isdigit() and int(value) < 9 else None
    return None


def _rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:  # a merged cell comes back once per column it spans: keep it once
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text:
                cells.append(text)
        line = " | ".join(cells).strip(" |")
        if line:
            yield line
