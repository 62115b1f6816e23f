"""PDF loading through the sandboxed worker process, page by page, each page on its own clock.

The worker (``pdf_worker.py``) reports every page as soon as it is read. A page that takes longer
than its budget is recorded as unreadable and a fresh worker carries on from the next page, so one
bad page never costs the rest of its file; the file as a whole gets a budget that grows with its
page count (and with each page sent to OCR), so a long report is never rejected on a busy machine,
while a file that really hangs is still stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from loaders.errors import (
    LoaderError,
    NotReadablePdfError,
    PasswordProtectedError,
    TimedOutError,
    TooLargeError,
)
from loaders.limits import LoadLimits
from loaders.sandbox import WorkerProcess, crash_error

log = logging.getLogger(__name__)
_WORKER = "pdf_worker.py"
MAX_RESTARTS = 3
"""Pages that may time out in one file before the rest of it is given up."""

PageState = Literal["text", "ocr", "blank", "unreadable"]
PageProgress = Callable[[int, int, str], None]
"""Called as ``progress(page, total_pages, what)`` while a PDF is read; ``what`` is "ocr" when a page's OCR
begins and "read" when a page is done (not its state: an OCR'd page would say "ocr" twice)."""


@dataclass
class PageResult:
    page: int
    state: PageState
    extractor: str | None
    text: str
    reason: str = ""
    lines: list[list[Any]] | None = None
    """OCR'd pages: each line's text and box in PDF points (x0, y0, x1, y1)."""
    large_lines: list[list[Any]] = field(default_factory=list)
    """[size, text] of lines set larger than the page's body text, largest first (titles, headings)."""
    size: list[float] | None = None
    """Width and height in points (when PDFium read the file)."""


@dataclass
class PdfText:
    pages: list[PageResult]
    total_pages: int
    notes: list[str] = field(default_factory=list)

    @property
    def unreadable(self) -> list[PageResult]:
        return [p for p in self.pages if p.state == "unreadable"]


def extract_pdf(
    path: Path,
    *,
    password: str | None,
    limits: LoadLimits,
    ocr: bool = True,
    progress: PageProgress | None = None,
) -> PdfText:
    """Every page's state and text, read by sandboxed workers within ``limits``."""
    request = {
        "path": str(path),
        "password": password,
        "max_pages": limits.max_pages,
        "max_chars": limits.max_chars,
        "memory_bytes": limits.memory_bytes,
        "ocr_memory_bytes": limits.ocr_memory_bytes,
        "ocr": ocr,
        "ocr_dpi": limits.ocr_dpi,
        "ocr_max_pages": limits.ocr_max_pages,
    }
    started = time.monotonic()
    pages: dict[int, PageResult] = {}
    total: int | None = None
    ocr_pages = restarts = 0
    truncated = False
    next_page = 0
    notes: list[str] = []
    log_records, first_record = 0, None
    while total is None or next_page < min(total, limits.max_pages):
        worker = WorkerProcess(
            _WORKER, {**request, "first_page": next_page, "ocr_max_pages": limits.ocr_max_pages - ocr_pages}
        )
        # Starting a worker and opening the file is not a page: it gets the file's floor.
        on_page, timeout = next_page + 1, max(limits.page_timeout_s, limits.timeout_s)
        try:
            while True:
                budget = limits.timeout_s + limits.per_page_s * (total or 0) + limits.ocr_page_s * ocr_pages
                left = budget - (time.monotonic() - started)
                if left <= 0:
                    raise _OutOfTime
                event = worker.next_event(min(timeout, left))
                if event is None:
                    raise _Crashed(worker.stop())
                kind = event["event"]
                if kind == "error":
                    raise _error_for(event["code"], event.get("detail", ""))
                if kind == "open":
                    total, timeout = int(event["total_pages"]), limits.page_timeout_s
                elif kind == "ocr":
                    ocr_pages += 1
                    timeout = limits.ocr_page_timeout_s
                    if progress is not None:
                        progress(event["page"], total or 0, "ocr")
                elif kind == "page":
                    result = PageResult(
                        event["page"],
                        event["state"],
                        event["extractor"],
                        event["text"],
                        event["reason"],
                        event.get("lines"),
                        event.get("large_lines", []),
                        event.get("size"),
                    )
                    pages[result.page] = result
                    next_page, on_page, timeout = result.page, result.page + 1, limits.page_timeout_s
                    if progress is not None:
                        progress(result.page, total or 0, "read")
                elif kind == "done":
                    truncated = bool(event["truncated_chars"])
                    log_records += int(event["log_records"])
                    first_record = first_record or event["first_log_record"]
                    next_page = total if total is not None else 0
                    break
        except TimeoutError:
            if total is None:
                raise TimedOutError(f"timed out: the PDF did not open within {timeout:g} s") from None
            pages[on_page] = PageResult(on_page, "unreadable", None, "", f"timed out (over {timeout:g} s)")
            next_page, restarts = on_page, restarts + 1
            if restarts > MAX_RESTARTS:
                _give_up(pages, next_page, total, limits, "not read: too many of the file's pages timed out")
                break
        except _OutOfTime:
            if total is None:
                raise TimedOutError(f"timed out: parsing took longer than {limits.timeout_s:g} s") from None
            _give_up(pages, next_page, total, limits, "not read: the file's time budget ran out")
            break
        except _Crashed as crash:
            if total is None or not pages:
                raise _crash_error(crash.stderr, limits) from None
            pages[on_page] = PageResult(
                on_page, "unreadable", None, "", _crash_error(crash.stderr, limits).reason
            )
            next_page, restarts = on_page, restarts + 1
            if restarts > MAX_RESTARTS:
                _give_up(pages, next_page, total, limits, "not read: the parser failed on too many pages")
                break
        finally:
            worker.stop()
    assert total is not None
    if log_records:
        # One line per file instead of the thousands some PDFs make the parsers print.
        log.info("%s: the PDF parsers reported %d problems (first: %s)", path.name, log_records, first_record)
    if total > limits.max_pages:
        notes.append(f"only the first {limits.max_pages} of {total} pages were read")
    if truncated:
        notes.append(f"text was cut at {limits.max_chars:,} characters")
    return PdfText([pages[n] for n in sorted(pages)], total, notes)


class _OutOfTime(Exception):
    pass


class _Crashed(Exception):
    def __init__(self, stderr: str) -> None:
        super().__init__(stderr)
        self.stderr = stderr


def _once(path: Path, password: str | None, limits: LoadLimits, **request: Any) -> list[dict[str, Any]]:
    """The events of one short worker job (``mode`` "geometry" or "render") within the file's floor."""
    worker = WorkerProcess(
        _WORKER,
        {
            "path": str(path),
            "password": password,
            "memory_bytes": limits.memory_bytes,
            "ocr_memory_bytes": limits.memory_bytes,
            **request,
        },
    )
    events = []
    try:
        while True:
            event = worker.next_event(limits.timeout_s)
            if event is None:
                raise _crash_error(worker.stop(), limits)
            if event["event"] == "error":
                raise _error_for(event["code"], event.get("detail", ""))
            events.append(event)
            if event["event"] in ("done", "image"):
                return events
    except TimeoutError:
        raise TimedOutError(f"timed out after {limits.timeout_s:g} s") from None
    finally:
        worker.stop()


def page_geometry(
    path: Path,
    passages: dict[int, list[str]],
    *,
    password: str | None = None,
    limits: LoadLimits | None = None,
) -> dict[int, tuple[list[float], list[list[list[float]]]]]:
    """For each page: its size in points and, per passage given for it, the rectangles it covers."""
    events = _once(
        path,
        password,
        limits or LoadLimits(),
        mode="geometry",
        pages={str(k): v for k, v in passages.items()},
    )
    return {e["page"]: (e["size"], e["rects"]) for e in events if e["event"] == "geometry"}


@dataclass
class PageImage:
    png: bytes
    size: list[float]
    """The page's width and height in points."""
    scale: float
    """Pixels per point."""
    pages: int


def render_page(
    path: Path,
    page: int,
    *,
    scale: float = 1.5,
    password: str | None = None,
    limits: LoadLimits | None = None,
) -> PageImage:
    """A page drawn by PDFium in the sandboxed worker, as PNG bytes."""
    import base64

    event = _once(path, password, limits or LoadLimits(), mode="render", page=page, scale=scale)[-1]
    return PageImage(base64.b64decode(event["png"]), event["size"], event["scale"], event["pages"])


def _give_up(pages: dict[int, PageResult], after: int, total: int, limits: LoadLimits, reason: str) -> None:
    for number in range(after + 1, min(total, limits.max_pages) + 1):
        pages.setdefault(number, PageResult(number, "unreadable", None, "", reason))


def _crash_error(stderr: str, limits: LoadLimits) -> LoaderError:
    return crash_error(stderr, limits.memory_bytes, NotReadablePdfError, "PDF")


def _error_for(code: str, detail: str) -> LoaderError:
    if code == "password_protected":
        suffix = f" ({detail})" if detail else "; supply its password"
        return PasswordProtectedError(f"password-protected{suffix}")
    if code == "too_large":
        return TooLargeError(f"too large: {detail}")
    return NotReadablePdfError(f"not a readable PDF: {detail}" if detail else "not a readable PDF")
