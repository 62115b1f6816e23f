"""Stable chunk ids: the one scheme used by the chunker and by every store."""

from __future__ import annotations

import hashlib


def chunk_id(sha256: str, page: int | None, start: int, text: str) -> str:
    """The same file, page, offset and text always give the same id (24 hex characters)."""
    key = f"{sha256}|{page}|{start}|{text}".encode()
    return hashlib.sha256(key).hexdigest()[:24]


def text_key(text: str) -> str:
    """Content key of a chunk's text: identical texts are stored once."""
    return hashlib.sha256(text.encode()).hexdigest()
