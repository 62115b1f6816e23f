"""Bounds on what one file may cost to parse."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadLimits:
    """Every file is parsed within these; exceeding one rejects, truncates or skips a page, with a reason."""

    max_file_bytes: int = 100 * 1024 * 1024
    timeout_s: float = 120.0
    """The floor of a PDF's time budget; the budget grows by ``per_page_s`` a page and ``ocr_page_s``
    an OCR'd page, so a long report on a busy machine is never cut short."""
    per_page_s: float = 2.0
    ocr_page_s: float = 60.0
    page_timeout_s: float = 30.0
    """One page's text; past it the page is recorded as unreadable and the next one is read."""
    ocr_page_timeout_s: float = 180.0
    """One page's OCR (13-30 s is usual on two busy CPU cores)."""
    ocr_max_pages: int = 200
    ocr_dpi: int = 200
    memory_bytes: int = 2 * 1024 * 1024 * 1024
    ocr_memory_bytes: int = 4 * 1024 * 1024 * 1024
    """Address space while a page is OCR'd (ONNX Runtime maps about 2 GB; the pages use ~1 GB)."""
    max_pages: int = 3000
    max_chars: int = 10_000_000
    max_zip_parts: int = 10_000
    """Office files and EPUBs are ZIP containers: more parts than this is refused, as are parts that claim
    more than ``max_part_bytes`` unpacked, all parts together more than ``max_unpacked_bytes``, or a part
    over 1 MiB that unpacks more than ``max_compression_ratio`` times its packed size (a zip bomb)."""
    max_part_bytes: int = 512 * 1024 * 1024
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    max_compression_ratio: int = 200
