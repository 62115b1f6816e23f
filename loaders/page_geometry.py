"""Where a passage stands on its page: its characters found among the page's, as rectangles.

Matching tolerates what the loader changed on the way (whitespace, NFKC, PDFium's line-end hyphen
marks), and a passage that is not one run of the page's text (a table chunk under its header) is
found line by line. Rectangles are in PDF points, origin bottom-left, one per line of the passage.
The PDF worker loads this file by path: standard library only; the text page is PDFium's.
"""

from __future__ import annotations

import unicodedata
from typing import Any

_DROPPED = {"\ufffe", "\u00ad"}


def normalised(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace and hyphen marks, NFKC, lower case; and for each character of the
    result, the index of the character of ``text`` it came from."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace() or ch in _DROPPED:
            continue
        for piece in unicodedata.normalize("NFKC", ch).lower():
            if not piece.isspace():
                out.append(piece)
                index.append(i)
    return "".join(out), index


def locate(page_text: str, passage: str) -> list[int]:
    """Indices of the page's characters that make up ``passage`` (empty when it cannot be found)."""
    page_norm, page_index = normalised(page_text)
    whole, _ = normalised(passage)
    if not whole:
        return []
    at = page_norm.find(whole)
    if at >= 0:
        return sorted(set(page_index[at : at + len(whole)]))  # a ligature is one character, two letters
    found: list[int] = []
    cursor = 0
    for line in passage.splitlines():
        part, _ = normalised(line)
        if len(part) < 2:
            continue
        at = page_norm.find(part, cursor)
        if at < 0:
            at = page_norm.find(part)  # a header repeated from above the rows, or from the page before
        if at >= 0:
            found += page_index[at : at + len(part)]
            cursor = at + len(part)
    return sorted(set(found))


def line_rects(boxes: list[tuple[float, float, float, float]]) -> list[list[float]]:
    """Character boxes (left, bottom, right, top) merged into one rectangle per line, in order."""
    rects: list[list[float]] = []
    for left, bottom, right, top in boxes:
        if right <= left:
            continue
        if rects:
            last = rects[-1]
            height = min(last[3] - last[1], top - bottom)
            same_line = min(last[3], top) - max(last[1], bottom) > 0.5 * height
            if same_line and left >= last[0] - height and left - last[2] < 3 * height:
                last[0], last[1] = min(last[0], left), min(last[1], bottom)
                last[2], last[3] = max(last[2], right), max(last[3], top)
                continue
        rects.append([left, bottom, right, top])
    return [[round(v, 2) for v in r] for r in rects]


def passage_rects(textpage: Any, passage: str) -> list[list[float]]:
    """Rectangles covering ``passage`` on a PDFium text page."""
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count)
    if len(text) != count:  # characters outside the BMP shift indices: match on what lines up
        text = text[:count]
    return line_rects([textpage.get_charbox(i) for i in locate(text, passage)])


def ocr_rects(lines: list[list[Any]], passage: str) -> list[list[float]]:
    """For an OCR'd page: the boxes of the OCR lines the passage is made of."""
    wanted, _ = normalised(passage)
    return [
        [round(v, 2) for v in line[1:5]] for line in lines if (n := normalised(line[0])[0]) and n in wanted
    ]
