"""Decide what a file is from its bytes, never from its name."""

from __future__ import annotations

from enum import Enum

SNIFF_BYTES = 8192

# Signatures of common binary formats we refuse outright, so a renamed executable or
# archive is rejected with its real type rather than decoded as Latin-1 gibberish.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"PK\x03\x04", "a ZIP archive (DOCX/XLSX/EPUB are not supported yet)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"),
    (b"SQLite format 3", "an SQLite database"),
)


class FileKind(str, Enum):
    PDF = "pdf"
    TEXT = "text"
    BINARY = "binary"


def sniff(head: bytes) -> tuple[FileKind, str]:
    """Classify the first bytes of a file; returns the kind and a human description."""
    # The PDF spec lets the header float within the first 1024 bytes.
    if b"%PDF-" in head[:1024]:
        return FileKind.PDF, "a PDF"
    for signature, description in _BINARY_SIGNATURES:
        if head.startswith(signature):
            return FileKind.BINARY, description
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return FileKind.TEXT, "text"
    if _looks_binary(head):
        return FileKind.BINARY, "a binary file"
    return FileKind.TEXT, "text"


def _looks_binary(head: bytes) -> bool:
    """True when the sample has many bytes that plain text never uses."""
    if not head:
        return False
    # A few stray NULs happen in badly exported text; a lot of them means binary.
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls / len(head) > 0.30
