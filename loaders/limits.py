"""Bounds on what one file may cost to parse."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadLimits:
    """Every file is parsed within these; exceeding one rejects or truncates with a reason."""

    max_file_bytes: int = 100 * 1024 * 1024
    timeout_s: float = 120.0
    memory_bytes: int = 2 * 1024 * 1024 * 1024
    max_pages: int = 3000
    max_chars: int = 10_000_000
