"""Sections a reader found (headings, slides, sheets, images) as page-aware LangChain documents."""

from __future__ import annotations

from langchain_core.documents import Document

from loaders.documents import NAMES, Extracted
from loaders.errors import EmptyDocumentError
from loaders.normalize import clean_text

SECTION_GAP = 2
"""Sections without their own offsets are counted as if joined by a blank line, so every passage of
a file has its own place in it (and so its own chunk id)."""


def section_documents(extracted: Extracted, base: dict) -> list[Document]:
    """One document a section: ``page`` where the format has pages (slides, TIFF pages), else None;
    ``location`` and ``heading`` (the path that is embedded ahead of each chunk) where the reader found
    one; ``offset`` of the section in the file's text; tables keep ``table_header`` and ``row_numbers``."""
    documents: list[Document] = []
    cursor = 0
    for section in extracted.sections:
        text = clean_text(section["text"])
        offset = int(section.get("offset", cursor))
        cursor = offset + len(section["text"]) + SECTION_GAP
        if not text:
            continue
        meta = {
            **base,
            "page": section.get("page"),
            "location": section.get("location") or None,
            "offset": offset,
        }
        if extracted.extractor:
            meta["extractor"] = extracted.extractor
        if section.get("heading"):
            meta["heading"] = section["heading"]
        if extracted.title:
            meta["title"] = extracted.title
        if extracted.total_pages:
            meta["total_pages"] = extracted.total_pages
        if "row_numbers" in section:
            meta["table_header"] = clean_text(section.get("header") or "")
            meta["row_numbers"] = section["row_numbers"]
        documents.append(Document(page_content=text, metadata=meta))
    if not documents:
        raise EmptyDocumentError(
            f"empty: no text found in the {NAMES.get(extracted.file_type, extracted.file_type)}"
        )
    first = documents[0].metadata
    if extracted.extractor:
        first["extractors"] = {extracted.extractor: len(documents)}
    if extracted.page_unit != "page":
        first["page_unit"] = extracted.page_unit
    if extracted.notes:
        first["notes"] = list(extracted.notes)
    return documents
