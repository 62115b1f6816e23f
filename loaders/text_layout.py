"""How a PDF page's text lies, from PDFium's text page: its large lines (headings) and whether it is
written vertically. Loaded by path inside the sandboxed worker (``pdf_worker.py``)."""

from __future__ import annotations

from typing import Any


def large_lines(textpage: Any, limit: int = 5) -> list[list[Any]]:
    """[size, text] of the lines set at least 1.2 times larger than the page's body text, largest
    first: its title or section headings. A line's size is the median size of its letters (a big
    checkbox glyph does not make a line a heading)."""
    import statistics

    import pypdfium2.raw as raw

    count = textpage.count_chars()
    text = textpage.get_text_range(0, count)
    if count == 0 or len(text) != count:
        return []
    sizes = [raw.FPDFText_GetFontSize(textpage, i) for i in range(count)]
    body = (
        statistics.median(s for s, ch in zip(sizes, text, strict=True) if not ch.isspace() and s > 0)
        if text.strip()
        else 0
    )
    lines, start = [], 0
    for line in text.split("\r\n"):
        letters = [s for s, ch in zip(sizes[start : start + len(line)], line, strict=True) if ch.isalpha()]
        size = statistics.median(letters) if len(letters) >= 3 else 0
        if size >= 1.2 * body > 0 and len(line.strip()) <= 150:
            lines.append((-round(size, 1), start, line.strip()))
        start += len(line) + 2
    return [[-size, line] for size, _, line in sorted(lines)[:limit]]


def vertical(textpage: Any, sample: int = 200) -> bool:
    """True when most steps from one character to the next go down the page, not across it."""
    count = min(textpage.count_chars(), sample)
    down = across = 0
    previous = None
    for i in range(count):
        box = textpage.get_charbox(i)
        if box[2] <= box[0]:
            continue  # spaces and line breaks have no box
        if previous is not None:
            dx, dy = abs(box[0] - previous[0]), abs(box[1] - previous[1])
            if dy > dx:
                down += 1
            elif dx > dy:
                across += 1
        previous = box
    return down > 2 * across and down >= 5
