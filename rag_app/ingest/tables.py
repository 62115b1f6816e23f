"""Tables in page text: found by their rows of figures, chunked row by row under their header.

PDF engines give a table as lines like ``Total net sales 81,797 82,959 293,787 304,182``, under
header lines that say what the columns are (``Three Months Ended``, ``July 1, 2023``...). Cut like
prose, a long table loses that header after its first chunk, and a row can be split from its label.
Here every chunk of a table is whole rows, and begins with the table's header; a table that runs
on from the previous page gets that page's header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FIGURE = re.compile(r"^\(?[-−–—]?\$?\(?[\d][\d,]*(?:\.\d+)?\)?%?\)?$|^[—–-]+$|^\$$|^%$")
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = re.compile(rf"\b{_MONTH}\.?\s+\d{{1,2}},?\s+(?:19|20)\d{{2}}\b", re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d{2}")
MAX_HEADER_LINES = 14
MAX_LABEL_CHARS = 120


@dataclass(frozen=True)
class Block:
    kind: str  # "text" or "table"
    start: int
    end: int
    header: str = ""
    """For tables: the lines above the first row (caption and column headings)."""
    rows_start: int = 0
    """For tables: where the first row begins (the header lies between ``start`` and here)."""


def trailing_figures(line: str) -> list[str]:
    """The line's last whitespace-separated cells that are figures ($, —, (265), 43.3%...), in order."""
    cells: list[str] = []
    for cell in reversed(line.split()):
        if not _FIGURE.match(cell):
            break
        if cell not in ("$", "%"):
            cells.append(cell)
    return cells[::-1]


def is_row(line: str) -> bool:
    """Two or more figures at the end of a short line; column headings of dates ("July 1, 2023 June 25,
    2022", "DECEMBER 31, 2023") or years ("Years Ended December 31, 2023 2022 2021", "Fiscal 2023 2022")
    are a header, not a row."""
    if len(line) > 240:
        return False
    figures = trailing_figures(_DATE.sub(" ", line))
    return len(figures) >= 2 and not all(_YEAR.fullmatch(f) for f in figures)


def _is_label(line: str) -> bool:
    """A short line inside or above a table: a row group ("Net sales:") or a heading, not prose."""
    stripped = line.strip()
    return 0 < len(stripped) <= MAX_LABEL_CHARS and not stripped.endswith((".", ";"))


def split_blocks(text: str) -> list[Block]:
    """The text cut into prose and tables, in order, covering all of it."""
    lines, offsets, cursor = text.split("\n"), [], 0
    for line in lines:
        offsets.append(cursor)
        cursor += len(line) + 1
    blocks: list[Block] = []
    i, text_start = 0, 0
    while i < len(lines):
        if not is_row(lines[i]):
            i += 1
            continue
        # Rows continue through label lines ("Operating expenses:") while more rows follow.
        end, j = i + 1, i + 1
        while j < len(lines):
            if is_row(lines[j]):
                end = j = j + 1
            elif (
                _is_label(lines[j])
                and j + 1 < len(lines)
                and (is_row(lines[j + 1]) or _is_label(lines[j + 1]))
            ):
                j += 1
            else:
                break
        if end - i < 2:  # one row of figures is a sentence with numbers, not a table
            i += 1
            continue
        top = i
        while (
            top > 0
            and i - top < MAX_HEADER_LINES
            and _is_label(lines[top - 1])
            and offsets[top - 1] >= text_start
        ):
            top -= 1
        while i > top and lines[i - 1].strip().endswith(":"):  # "Net sales:" heads the rows, not the columns
            i -= 1
        if offsets[top] > text_start:
            blocks.append(Block("text", text_start, offsets[top] - 1))
        table_end = offsets[end - 1] + len(lines[end - 1])
        header = "\n".join(lines[top:i]).strip()
        blocks.append(Block("table", offsets[top], table_end, header, offsets[i]))
        text_start, i = min(len(text), table_end + 1), end
    if text_start < len(text):
        blocks.append(Block("text", text_start, len(text)))
    return [b for b in blocks if text[b.start : b.end].strip()]


def table_chunks(text: str, block: Block, header: str, count, max_tokens: int) -> list[tuple[str, int]]:
    """(chunk text, offset of its first row) for a table block: ``header`` then whole rows, each
    chunk within ``max_tokens`` (a row longer than that on its own is a chunk by itself)."""
    rows_text = text[block.rows_start : block.end]
    rows, starts, cursor = [], [], block.rows_start
    for line in rows_text.split("\n"):
        if line.strip():
            rows.append(line.strip())
            starts.append(cursor)
        cursor += len(line) + 1
    budget = max(1, max_tokens - (count([header])[0] if header else 0))
    return [
        _table_chunk(header, [rows[k] for k in group], starts[group[0]])
        for group in pack_rows(count(rows), budget)
    ]


def pack_rows(sizes: list[int], budget: int) -> list[list[int]]:
    """Consecutive rows, by index, packed greedily into groups of at most ``budget`` tokens (a row larger
    than that on its own is a group by itself): how every table is cut, PDF, spreadsheet or CSV."""
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index, size in enumerate(sizes):
        if current and used + size > budget:
            groups.append(current)
            current, used = [], 0
        current.append(index)
        used += size
    if current:
        groups.append(current)
    return groups


def _table_chunk(header: str, rows: list[str], start: int) -> tuple[str, int]:
    return ("\n".join([header, *rows]) if header else "\n".join(rows)), start
