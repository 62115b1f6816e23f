"""Office files, EPUB, ODT, HTML pages and images through the sandboxed ``doc_worker.py``, on one clock
for the whole file (plus time for each image page sent to OCR), within the PDF worker's memory caps."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loaders.errors import (
    LoaderError,
    NotReadableDocumentError,
    PasswordProtectedError,
    TimedOutError,
    TooLargeError,
    UnsafeFileError,
    UnsupportedTypeError,
)
from loaders.limits import LoadLimits
from loaders.sandbox import WorkerProcess, crash_error

NAMES = {
    "docx": "DOCX",
    "pptx": "PPTX",
    "xlsx": "XLSX",
    "epub": "EPUB",
    "odt": "ODT",
    "html": "HTML page",
    "image": "image",
    "zip": "ZIP container",
}


@dataclass
class Extracted:
    """What the worker read: sections in order (``text``, ``location``, ``heading``, maybe ``page``, and for
    tables ``header`` and ``row_numbers``), and what it says about the whole file."""

    file_type: str
    sections: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""
    extractor: str = ""
    total_pages: int | None = None
    page_unit: str = "page"
    notes: list[str] = field(default_factory=list)


def extract_document(
    path: Path,
    kind: str,
    limits: LoadLimits,
    *,
    ocr: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> Extracted:
    """``kind``: "zip" (the worker tells DOCX, PPTX, XLSX, EPUB and ODT apart), "html" or "image"."""
    request = {
        "path": str(path),
        "format": kind,
        "max_chars": limits.max_chars,
        "memory_bytes": limits.memory_bytes,
        "ocr_memory_bytes": limits.ocr_memory_bytes if kind == "image" else limits.memory_bytes,
        "ocr_dpi": limits.ocr_dpi,
        "limits": {
            "max_zip_parts": limits.max_zip_parts,
            "max_part_bytes": limits.max_part_bytes,
            "max_unpacked_bytes": limits.max_unpacked_bytes,
            "max_compression_ratio": limits.max_compression_ratio,
        },
    }
    out = Extracted(kind)
    started, ocr_pages, timeout = time.monotonic(), 0, limits.timeout_s
    worker = WorkerProcess("doc_worker.py", request)
    try:
        while True:
            budget = limits.timeout_s + limits.ocr_page_s * ocr_pages
            left = budget - (time.monotonic() - started)
            try:
                event = worker.next_event(max(0.0, min(timeout, left)))
            except TimeoutError:
                what = (
                    f"the file's budget of {budget:g} s"
                    if left <= timeout
                    else f"{timeout:g} s without progress"
                )
                raise TimedOutError(f"timed out: reading the {NAMES[out.file_type]} took {what}") from None
            if event is None:
                raise crash_error(
                    worker.stop(), limits.memory_bytes, NotReadableDocumentError, NAMES[out.file_type]
                )
            name = event["event"]
            if name == "error":
                raise _error(event["code"], event.get("detail", ""), NAMES[out.file_type])
            if name == "open":
                out.file_type = event["format"]
            elif name == "meta":
                out.title = event.get("title") or ""
                out.extractor = event.get("extractor") or ""
                out.total_pages = event.get("total_pages")
                out.page_unit = event.get("page_unit") or "page"
            elif name == "ocr":
                ocr_pages += 1
                timeout = limits.ocr_page_timeout_s
                if progress is not None:
                    progress(event["page"], out.total_pages or 1, "ocr")
            elif name == "section":
                event.pop("event")
                out.sections.append(event)
                timeout = limits.timeout_s
            elif name == "done":
                if event.get("truncated_chars"):
                    out.notes.append(f"text was cut at {limits.max_chars:,} characters")
                return out
    finally:
        worker.stop()


def _error(code: str, detail: str, what: str) -> LoaderError:
    if code == "not_readable":
        return NotReadableDocumentError(
            f"not a readable {what}: {detail}" if detail else f"not a readable {what}"
        )
    if code == "password_protected":
        return PasswordProtectedError(f"password-protected ({detail})")
    if code == "unsupported":
        return UnsupportedTypeError(detail)
    if code == "too_large":
        return TooLargeError(f"too large: {detail}")
    return UnsafeFileError(f"refused: {detail}")  # unsafe, macros
