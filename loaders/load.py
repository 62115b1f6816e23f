"""``load()``: any supported file to page-aware LangChain documents."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from loaders.documents import Extracted, extract_document
from loaders.errors import (
    EmptyDocumentError,
    LoaderError,
    NoExtractableTextError,
    TimedOutError,
    TooLargeError,
    UnsupportedTypeError,
)
from loaders.limits import LoadLimits
from loaders.markdown_sections import markdown_sections
from loaders.normalize import clean_text
from loaders.pdf import PageProgress, PageResult, extract_pdf
from loaders.sections import section_documents
from loaders.sheets import csv_sections
from loaders.sniff import SNIFF_BYTES, FileKind, sniff, text_format
from loaders.text import decode_text

DEFAULT_LIMITS = LoadLimits()


def load(
    path: str | Path,
    password: str | None = None,
    *,
    source: str | None = None,
    limits: LoadLimits = DEFAULT_LIMITS,
    sha256: str | None = None,
    ocr: bool = True,
    progress: PageProgress | None = None,
) -> list[Document]:
    """Read one file into documents: one per PDF page or slide (1-based ``page``), per TIFF page, per
    section under a heading path (Markdown, DOCX, HTML, EPUB, ODT), per sheet (XLSX, CSV), or one per
    text file or image.

    Every document's metadata holds ``source`` (the display name: ``source`` if given, else
    the file name, never the full path), ``page`` (``None`` for files without pages), ``sha256`` of the
    file, ``file_type`` (pdf, text, markdown, csv, html, docx, pptx, xlsx, epub, odt, image),
    ``location`` where a person can follow it ("Budget > 2024 > Travel", "slide 3: Roadmap", "sheet
    Sales"; None where the page says it all) and ``extractor`` (the engine whose text passed the
    verdict, "ocr", or the library that read the file). The first document also carries ``extractors`` (pages per engine), ``unreadable_pages``
    and ``notes``. ``sha256``, when the caller already hashed the file, saves reading it twice;
    ``progress(page, total, what)`` hears about each PDF page. Raises only :class:`LoaderError`
    subclasses, each with a reason a person can act on; a file with some unreadable pages is
    returned with the rest.
    """
    path = Path(path)
    name = source or path.name
    try:
        return _load(path, password, name, limits, sha256, ocr, progress)
    except LoaderError as err:
        err.source = name
        raise
    except OSError as exc:
        raise LoaderError(f"cannot read the file: {exc.strerror or exc}", source=name) from exc


def _load(
    path: Path,
    password: str | None,
    name: str,
    limits: LoadLimits,
    sha256: str | None,
    ocr: bool,
    progress: PageProgress | None,
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
        raise UnsupportedTypeError(f"unsupported type: this is {description}, not a format that is read")
    if kind is FileKind.PDF:
        base = {"source": name, "sha256": sha256 or file_sha256(path), "file_type": kind.value}
        return _pdf_documents(path, password, limits, base, ocr, progress)
    if kind in (FileKind.ZIP, FileKind.IMAGE):
        if kind is FileKind.IMAGE and not ocr:
            raise NoExtractableTextError("no extractable text (an image, and OCR is off)")
        extracted = extract_document(path, kind.value, limits, progress=progress)
        base = {"source": name, "sha256": sha256 or file_sha256(path), "file_type": extracted.file_type}
        return section_documents(extracted, base)
    fmt = text_format(name, kind)
    if fmt == "html":
        extracted = extract_document(path, "html", limits)
        base = {"source": name, "sha256": sha256 or file_sha256(path), "file_type": "html"}
        return section_documents(extracted, base)
    data = path.read_bytes()  # bounded by max_file_bytes above: hashed and decoded from one read
    base = {"source": name, "sha256": hashlib.sha256(data).hexdigest(), "file_type": fmt}
    text, encoding = decode_text(data)
    text = clean_text(text)
    notes = []
    if len(text) > limits.max_chars:
        text = text[: limits.max_chars]
        notes.append(f"text was cut at {limits.max_chars:,} characters")
    if not text:
        raise EmptyDocumentError("empty: the file holds only whitespace or control characters")
    base["encoding"] = encoding
    if fmt == "text":
        return [
            Document(
                page_content=text, metadata={**base, "page": None, **({"notes": notes} if notes else {})}
            )
        ]
    sections = markdown_sections(text) if fmt == "markdown" else csv_sections(text)
    return section_documents(Extracted(fmt, sections, notes=notes), base)


def _pdf_documents(
    path: Path, password: str | None, limits: LoadLimits, base: dict, ocr: bool, progress: PageProgress | None
) -> list[Document]:
    extracted = extract_pdf(path, password=password, limits=limits, ocr=ocr, progress=progress)
    first = next((p for p in extracted.pages if p.page == 1), None)
    title = _title(first.large_lines) if first is not None else ""
    documents, heading = [], ""
    for page in extracted.pages:
        text = clean_text(page.text)
        # A page's heading is its largest line; a page without one is still under the last heading.
        heading = clean_text(page.large_lines[0][1]) if page.large_lines and page.page > 1 else heading
        if page.state in ("text", "ocr") and text:
            meta = {
                **base,
                "page": page.page,
                "total_pages": extracted.total_pages,
                "extractor": page.extractor,
            }
            if title:
                meta["title"] = title
            if heading and heading != title:
                meta["heading"] = heading
            if page.lines:
                meta["ocr_lines"] = page.lines
            if page.size:
                meta["page_size"] = page.size
            documents.append(Document(page_content=text, metadata=meta))
    unreadable = extracted.unreadable
    if not documents:
        if extracted.total_pages == 0:
            raise EmptyDocumentError("empty: the PDF has no pages")
        if not unreadable:
            raise EmptyDocumentError("empty: the PDF's pages are blank")
        if all(p.reason.startswith(("timed out", "not read")) for p in unreadable):
            raise TimedOutError(f"timed out: {unreadable[0].reason}")
        raise NoExtractableTextError(f"no extractable text ({unreadable[0].reason})")
    first = documents[0].metadata
    first["extractors"] = dict(Counter(d.metadata["extractor"] for d in documents))
    first["unreadable_pages"] = [[p.page, p.reason] for p in unreadable]
    notes = [*extracted.notes, *_unreadable_notes(unreadable)]
    if notes:
        first["notes"] = notes
    return documents


def _title(large_lines: list[list[Any]]) -> str:
    """The document's title: the lines of the largest size on its first page (at most three)."""
    top = [text for size, text in large_lines if large_lines and size == large_lines[0][0]]
    return clean_text(" ".join(top[:3]))[:150]


def _unreadable_notes(pages: list[PageResult]) -> list[str]:
    """'pages 3, 7 unreadable: reason', one line per reason."""
    by_reason: dict[str, list[int]] = {}
    for page in pages:
        by_reason.setdefault(page.reason, []).append(page.page)
    return [
        f"{'page' if len(numbers) == 1 else 'pages'} {_ranges(numbers)} unreadable: {reason}"
        for reason, numbers in by_reason.items()
    ]


def _ranges(numbers: list[int]) -> str:
    out, start = [], numbers[0]
    for previous, current in zip(numbers, [*numbers[1:], None], strict=True):
        if current != previous + 1:
            out.append(str(start) if start == previous else f"{start}-{previous}")
            start = current
    return ", ".join(out)


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in 1 MiB blocks: how a file is recognised, whatever its name."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
