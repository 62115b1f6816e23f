"""Where OCR'd text stands on a page: lines, columns and reading order from the boxes OCR found.

Pure functions over boxes ``[text, x0, top, x1, bottom, score]`` in pixels (y down); the PDF worker
loads this file by path, so it may import only the standard library.
"""

from __future__ import annotations

import itertools
from typing import Any


def cut_at_gutters(lines: list[tuple[list[Any], list[tuple[str, float, float]]]]) -> list[list[Any]]:
    """Cut detected lines where many lines have a wide gap between words at the same x.

    The detector runs a line of the left column and the line beside it in the right column into
    one box when the gutter between them is narrow; a gap that many lines share at one place is
    that gutter, not the space between two words.
    """
    gaps = []  # (start, end) of every wide gap between consecutive words
    for box, words in lines:
        height = box[4] - box[2]
        gaps += [(a[2], b[1]) for a, b in itertools.pairwise(words) if b[1] - a[2] >= 0.5 * height]
    multiword = sum(len(words) > 3 for _, words in lines)
    cuts = []
    for start, end in sorted(gaps):
        middle = (start + end) / 2
        shared = sum(s <= middle <= e for s, e in gaps)
        if shared >= max(4, 0.15 * multiword) and not any(abs(middle - c) < 50 for c in cuts):
            cuts.append(middle)
    out = []
    for box, words in lines:
        pieces: list[list[tuple[str, float, float]]] = [[]]
        for word in words:
            if pieces[-1] and any(pieces[-1][-1][2] <= c <= word[1] for c in cuts):
                pieces.append([])
            pieces[-1].append(word)
        if len(pieces) == 1:
            out.append(box)
            continue
        for piece in pieces:
            out.append([" ".join(w[0] for w in piece), piece[0][1], box[2], piece[-1][2], box[4], box[5]])
    return out


def mostly_tall(boxes: list[list[Any]]) -> bool:
    """Most line-shaped boxes taller than wide: the text runs up or down the image.

    Judged on the detector's boxes alone, before any line is read: a box whose long side is at least
    three times its short one is a line of several characters, not a letter or a table's square cell.
    """
    spans = [(b[3] - b[1], b[4] - b[2]) for b in boxes]
    lines = [(w, h) for w, h in spans if max(w, h) >= 3 * max(min(w, h), 1e-6)]
    return bool(lines) and sum(h > w for w, h in lines) > len(lines) / 2


def mean_score(boxes: list[list[Any]]) -> float:
    return sum(b[5] * len(b[0]) for b in boxes) / max(1, sum(len(b[0]) for b in boxes))


def unturn(x: float, y: float, turns: int, cols: int, rows: int) -> tuple[float, float]:
    """A point of the image turned ``turns`` quarters counter-clockwise (np.rot90), in the original."""
    if turns == 1:
        return cols - y, x
    if turns == 2:
        return cols - x, rows - y
    if turns == 3:
        return y, rows - x
    return x, y


def reading_order(boxes: list[list[Any]]) -> list[list[Any]]:
    """OCR boxes ([text, x0, top, x1, bottom, score], pixels, y down) merged into lines in reading order.

    Text columns are found as vertical gutters few boxes cross; the boxes that do cross one
    (titles, an abstract) cut the page into bands, and within a band the columns are read left
    to right, each top to bottom. A table's short cells do not make columns: its rows stay lines.
    """
    gutters = _gutters(boxes)
    spanning = sorted((b for b in boxes if any(b[1] < g < b[3] for g in gutters)), key=lambda b: b[2])
    ordered: list[list[Any]] = []
    upper = float("-inf")
    for cut in [*spanning, None]:
        lower = cut[2] if cut is not None else float("inf")
        band = [b for b in boxes if upper <= (b[2] + b[4]) / 2 < lower and not any(b is s for s in spanning)]
        columns: list[list[list[Any]]] = [[] for _ in range(len(gutters) + 1)]
        for box in band:
            columns[sum((box[1] + box[3]) / 2 > g for g in gutters)].append(box)
        for column in columns:
            ordered += _lines(column)
        if cut is not None:
            ordered += _lines([cut])
            upper = (cut[2] + cut[4]) / 2 + 1e-6
    return ordered


def _gutters(boxes: list[list[Any]]) -> list[float]:
    """x positions of the gaps between text columns: runs that at most 10% of the boxes cross,
    in the middle of the page, with columns of line-length boxes on both sides (at most 3 columns)."""
    left, right = min(b[1] for b in boxes), max(b[3] for b in boxes)
    width = right - left
    if width <= 0 or len(boxes) < 6:
        return []
    coverage = [0] * (int(width) + 1)
    for b in boxes:
        for x in range(int(b[1] - left), int(b[3] - left) + 1):
            coverage[x] += 1
    allowed = max(1, len(boxes) // 10)
    runs, start = [], None
    for x in range(int(0.15 * width), int(0.85 * width) + 1):
        if coverage[x] <= allowed:
            start = x if start is None else start
        elif start is not None:
            runs.append((start, x))
            start = None
    if start is not None:
        runs.append((start, int(0.85 * width)))
    gutters = [left + (a + b) / 2 for a, b in runs if b - a >= max(10, 0.01 * width)][:2]
    edges = [left, *gutters, right]
    for lo, hi in itertools.pairwise(edges):
        inside = sorted(b[3] - b[1] for b in boxes if lo <= (b[1] + b[3]) / 2 < hi)
        if not inside or inside[len(inside) // 2] < 0.5 * (hi - lo):
            return []  # short cells: a table, whose rows must stay lines
    return gutters


def _lines(boxes: list[list[Any]]) -> list[list[Any]]:
    """Boxes whose middles are level form one line; lines top to bottom, each left to right.

    Each box is compared with the line's last box, not the line's union: on a skewed scan the
    union grows with every box until it swallows the lines above and below.
    """
    lines: list[list[list[Any]]] = []
    for box in sorted(boxes, key=lambda b: b[2] + b[4]):
        middle, height = (box[2] + box[4]) / 2, box[4] - box[2]
        for line in lines:
            ref = line[-1]
            if abs((ref[2] + ref[4]) / 2 - middle) < 0.5 * min(ref[4] - ref[2], height):
                line.append(box)
                break
        else:
            lines.append([box])
    merged = []
    for line in lines:
        line.sort(key=lambda b: b[1])
        merged.append(
            [
                " ".join(b[0] for b in line),
                min(b[1] for b in line),
                min(b[2] for b in line),
                max(b[3] for b in line),
                max(b[4] for b in line),
                min(b[5] for b in line),
            ]
        )
    return merged
