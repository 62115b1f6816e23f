"""Decide what a file is from its bytes, never from its name (the name only tells plain text, Markdown
and CSV apart, which the bytes cannot)."""

from __future__ import annotations

import re
from enum import Enum

SNIFF_BYTES = 8192

# Signatures of binary formats we refuse outright, so a renamed executable or archive is rejected with
# its real type rather than decoded as Latin-1 gibberish.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"GIF8", "a GIF image (PNG, JPEG, TIFF and WebP images are read)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.doc, .xls, .ppt: save it as .docx, .xlsx, .pptx)"),
    (b"SQLite format 3", "an SQLite database"),
)
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# Markup that opens an HTML page, after an XML declaration, a doctype or comments.
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>])", re.I | re.S
)


class FileKind(str, Enum):
    PDF = "pdf"
    TEXT = "text"
    HTML = "html"
    ZIP = "zip"
    """A ZIP container: DOCX, PPTX, XLSX, EPUB, ODT (told apart by their parts, in the worker)."""
    IMAGE = "image"
    BINARY = "binary"


def sniff(head: bytes) -> tuple[FileKind, str]:
    """Classify the first bytes of a file; returns the kind and a human description."""
    # The PDF spec lets the header float within the first 1024 bytes.
    if b"%PDF-" in head[:1024]:
        return FileKind.PDF, "a PDF"
    if head.startswith(_ZIP_SIGNATURES):
        return FileKind.ZIP, "a ZIP container"
    if head.startswith(_IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return FileKind.IMAGE, "an image"
    for signature, description in _BINARY_SIGNATURES:
        if head.startswith(signature):
            return FileKind.BINARY, description
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return FileKind.TEXT, "text"
    if _HTML_START.match(head.removeprefix(b"\xef\xbb\xbf")):
        return FileKind.HTML, "an HTML page"
    if head.startswith(b"\xef\xbb\xbf"):
        return FileKind.TEXT, "text"
    if _looks_binary(head):
        return FileKind.BINARY, "a binary file"
    return FileKind.TEXT, "text"


def text_format(name: str, kind: FileKind) -> str:
    """What a text file holds, by its name: "markdown", "csv", "html" (a page without a doctype or
    ``<html>`` tag, named .html) or "text"."""
    suffix = name.lower().rpartition(".")[2] if "." in name else ""
    if kind is FileKind.HTML or suffix in ("html", "htm", "xhtml"):
        return "html"
    if suffix in ("md", "markdown", "mdown", "mkd"):
        return "markdown"
    if suffix in ("csv", "tsv"):
        return "csv"
    return "text"


def _looks_binary(head: bytes) -> bool:
    """True when the sample has many bytes that plain text never uses."""
    if not head:
        return False
    # A few stray NULs happen in badly exported text; a lot of them means binary.
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls / len(head) > 0.30
