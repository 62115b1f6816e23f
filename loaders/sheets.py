"""Spreadsheets (XLSX with openpyxl, CSV with the standard library) as tables: one section a sheet, its
first non-empty row the header, every other row one ``cell | cell`` line with its row number, so
chunking can keep rows whole under their header and say which rows a passage holds.

Loaded by path inside the sandboxed worker (XLSX) and imported in-process (CSV); imports no package of
ours. Not read: charts, images, comments, and formulas whose result was never saved (they read empty).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

EXTRACTOR = "openpyxl"
CELL_SEPARATOR = " | "
MAX_CELL_CHARS = 2000


def read(path: str, request: dict[str, Any], runtime: Any) -> Iterator[dict[str, Any]]:
    """XLSX: formulas give their saved results (``data_only``), read row by row (``read_only``)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        yield {"event": "meta", "title": book.properties.title or "", "extractor": EXTRACTOR}
        for sheet in book.worksheets:
            rows = enumerate(sheet.iter_rows(values_only=True), start=1)
            section = table_section(rows, f"sheet {sheet.title}")
            if section is not None:
                yield {"event": "section", **section}
    finally:
        book.close()


def csv_sections(text: str) -> list[dict[str, Any]]:
    """A CSV or TSV file's one table (the delimiter sniffed from its first lines)."""
    sample = text[:20_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = enumerate(csv.reader(text.splitlines(), dialect), start=1)
    section = table_section(rows, "")
    return [section] if section is not None else []


def table_section(rows: Iterable[tuple[int, Iterable[Any]]], location: str) -> dict[str, Any] | None:
    """``{"text", "location", "heading", "header", "row_numbers"}``: the header line, then one line a
    non-empty row; ``row_numbers[i]`` is the spreadsheet's number of the i-th line after the header."""
    header, header_number = "", 0
    lines: list[str] = []
    numbers: list[int] = []
    for number, values in rows:
        cells = [_cell(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        if not any(cells):
            continue
        line = CELL_SEPARATOR.join(cells)
        if not header and not lines:
            header, header_number = line, number
            continue
        lines.append(line)
        numbers.append(number)
    if not header:
        return None
    if not lines:  # one row only: it is data, not a header
        lines, numbers, header = [header], [header_number], ""
    text = "\n".join([header, *lines]) if header else "\n".join(lines)
    return {"text": text, "location": location, "heading": location, "header": header, "row_numbers": numbers}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return (
            value.isoformat(sep=" ", timespec="minutes")
            if value.time() != dt.time()
            else value.date().isoformat()
        )
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())[:MAX_CELL_CHARS]
