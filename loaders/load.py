"""``load()``: any supported file to page-aware LangChain documents."""

from __future__ import annotations

import hashlib
from pathlib import Path

from langchain_core.documents import Document

from loaders.errors import (
    EmptyDocumentError,
    LoaderError,
    NoExtractableTextError,
    TooLargeError,
    UnsupportedTypeError,
)
from loaders.limits import LoadLimits
from loaders.normalize import clean_text
from loaders.pdf import extract_pdf
from loaders.sniff import SNIFF_BYTES, FileKind, sniff
from loaders.text import decode_text

DEFAULT_LIMITS = LoadLimits()


def load(
    path: str | Path,
    password: str | None = None,
    *,
    source: str | None = None,
    limits: LoadLimits = DEFAULT_LIMITS,
    sha256: str | None = None,
) -> list[Document]:
    """Read one file into documents, one per PDF page (1-based ``page``) or one per text file.

    Every document's metadata holds ``source`` (the display name: ``source`` if given, else
    the file name, never the full path), ``page`` (``None`` for text), ``sha256`` of the file
    and ``file_type``. ``sha256``, when the caller already hashed the file, saves reading it
    twice. Raises only :class:`LoaderError` subclasses, each with a reason a person can act on.
    """
    path = Path(path)
    name = source or path.name
    try:
        return _load(path, password, name, limits, sha256)
    except LoaderError as err:
        err.source = name
        raise
    except OSError as exc:
        raise LoaderError(f"cannot read the file: {exc.strerror or exc}", source=name) from exc


def _load(
    path: Path, password: str | None, name: str, limits: LoadLimits, sha256: str | None
) -> list[Document]:
    if not path.is_file():
        raise LoaderError("not a file")
    size = path.stat().st_size
    if size == 0:
        raise EmptyDocumentError("empty: the file has no content")
    if size > limits.max_file_bytes:
        raise TooLargeError(
            f"too large: {size / 2**20:.1f} MiB, the limit is {limits.max_file_bytes / 2**20:.0f} MiB"
        )
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    kind, description = sniff(head)
    if kind is FileKind.BINARY:
        raise UnsupportedTypeError(f"unsupported type: this is {description}, not a PDF or text file")
    if kind is FileKind.PDF:
        base = {"source": name, "sha256": sha256 or _sha256(path), "file_type": kind.value}
        return _pdf_documents(path, password, limits, base)
    data = path.read_bytes()  # bounded by max_file_bytes above: hashed and decoded from one read
    base = {"source": name, "sha256": hashlib.sha256(data).hexdigest(), "file_type": kind.value}
    text, encoding = decode_text(data)
    text = clean_text(text)
    if len(text) > limits.max_chars:
        text = text[: limits.max_chars]
    if not text:
        raise EmptyDocumentError("empty: the file holds only whitespace or control characters")
    return [Document(page_content=text, metadata={**base, "page": None, "encoding": encoding})]


def _pdf_documents(path: Path, password: str | None, limits: LoadLimits, base: dict) -> list[Document]:
    extracted = extract_pdf(path, password=password, limits=limits)
    documents = []
    for number, raw in enumerate(extracted.pages, start=1):
        text = clean_text(raw)
        if text:
            documents.append(
                Document(
                    page_content=text,
                    metadata={**base, "page": number, "total_pages": extracted.total_pages},
                )
            )
    if not documents:
        if extracted.total_pages == 0:
            raise EmptyDocumentError("empty: the PDF has no pages")
        if _is_blank(path, extracted.total_pages):
            raise EmptyDocumentError("empty: the PDF's pages are blank")
        raise NoExtractableTextError("no extractable text (scanned? OCR not enabled)")
    if extracted.notes:
        documents[0].metadata["notes"] = extracted.notes
    return documents


def _is_blank(path: Path, total_pages: int) -> bool:
    """A page with no text and no images is blank; one with images but no text is a scan."""
    data = path.read_bytes()
    return b"/Image" not in data and b"/XObject" not in data


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
