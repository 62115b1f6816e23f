"""Token-aware, sentence-respecting chunking that keeps each chunk's source and page.

Units are built top-down: sentences, then clauses for a sentence too long to fit, then
words, then character slices. Chunks are packed from whole units, so a chunk boundary
falls inside a sentence only when that sentence alone exceeds the token limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from langchain_core.documents import Document

from rag_app.embeddings.tokens import TokenCounter
from rag_app.ingest.tables import Block, pack_rows, split_blocks, table_chunks
from rag_app.store.ids import chunk_id
from rag_app.text.sentences import CLAUSE_END, SENTENCE_END, split_by

_WORD = re.compile(r"\S+\s*|\s+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_NON_SPACE = re.compile(r"\S")


@dataclass(frozen=True)
class ChunkingConfig:
    """How text is cut: sizes are in the embedding model's own tokens."""

    max_tokens: int = 256
    overlap_tokens: int = 32
    min_chars: int = 5
    paragraph_min_tokens: int | None = 16
    """A blank line ends the chunk once it holds this many tokens (None: ignore paragraphs)."""
    tables: bool = False
    """Chunk tables row by row under their header (False: as prose, the default; see Settings)."""
    context: bool = True
    """Give chunks their document's title and section heading as context (embedded, not shown)."""

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8, got {self.max_tokens}")
        if not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError(
                f"overlap_tokens must be in [0, max_tokens={self.max_tokens}), got {self.overlap_tokens}"
            )


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    tokens: int
    ends_paragraph: bool = False


def chunk_text(text: str, count: TokenCounter, config: ChunkingConfig) -> list[tuple[int, int]]:
    """(start, end) character spans of the chunks of ``text``; ``text[start:end]`` has no outer spaces."""
    units = _units(text, count, config.max_tokens)
    packed = _pack(text, units, count, config)
    return _apply_floor(text, packed, units, count, config)


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without outer whitespace, in time linear in the span (found by C code,
    not a Python loop: a span may hold a million spaces)."""
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return start, start
    start = first.start()
    return start, start + len(text[start:end].rstrip())


def _units(text: str, count: TokenCounter, max_tokens: int) -> list[Span]:
    """Break the text into pieces that each fit, preferring the largest natural piece."""
    levels = (SENTENCE_END, CLAUSE_END, _WORD)
    return _refine(text, [(0, len(text))], count, max_tokens, levels)


def _refine(
    text: str,
    spans: list[tuple[int, int]],
    count: TokenCounter,
    max_tokens: int,
    levels: tuple[re.Pattern[str], ...],
) -> list[Span]:
    pieces = [piece for s, e in spans for piece in (split_by(levels[0], text, s, e) if levels else [(s, e)])]
    tokens = count([text[s:e] for s, e in pieces])
    out: list[Span] = []
    for (s, e), n in zip(pieces, tokens, strict=True):
        if n <= max_tokens:
            out.append(Span(s, e, n, _ends_paragraph(text, s, e)))
        elif len(levels) > 1:
            out.extend(_refine(text, [(s, e)], count, max_tokens, levels[1:]))
        else:
            out.extend(_slice_chars(text, s, e, count, max_tokens))
    return out


def _ends_paragraph(text: str, start: int, end: int) -> bool:
    """True when the whitespace the span ends with holds a blank line."""
    _, last = _strip(text, start, end)
    return bool(_PARAGRAPH_BREAK.search(text, last, end))


def _slice_chars(text: str, start: int, end: int, count: TokenCounter, max_tokens: int) -> list[Span]:
    """Last resort for one enormous 'word': the longest prefixes that fit.

    The search doubles its window first and bisects inside it, so each slice costs time in
    proportion to its own length, not to what is left of the word.
    """
    out = []
    while start < end:
        fits, step = start + 1, 1
        while fits < end:
            probe = min(end, start + 2 * step)
            if count([text[start:probe]])[0] > max_tokens:
                break
            fits, step = probe, 2 * step
        lo, hi = fits, min(end, start + 2 * step) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count([text[start:mid]])[0] <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        out.append(Span(start, lo, count([text[start:lo]])[0]))
        start = lo
    return out


def _pack(text: str, units: list[Span], count: TokenCounter, config: ChunkingConfig) -> list[tuple[int, int]]:
    """Greedily pack whole units into chunks, carrying trailing units over as overlap."""
    chunks: list[tuple[int, int]] = []
    current: list[int] = []  # indices into units
    total = 0
    i = 0
    while i < len(units):
        unit = units[i]
        paragraph_full = (
            config.paragraph_min_tokens is not None
            and current
            and units[current[-1]].ends_paragraph
            and total >= config.paragraph_min_tokens
        )
        if not current or (total + unit.tokens <= config.max_tokens and not paragraph_full):
            current.append(i)
            total += unit.tokens
            i += 1
            continue
        current, is_overlap = _emit(text, units, current, count, config, chunks)
        total = sum(units[j].tokens for j in current)
        if is_overlap and units[i - 1].ends_paragraph:
            current, total = [], 0  # overlap never reaches across a paragraph break
        if is_overlap:
            # Overlap must never form a chunk of its own: shed it until the next unit fits.
            while current and total + unit.tokens > config.max_tokens:
                total -= units[current.pop(0)].tokens
    while current:
        current, is_overlap = _emit(text, units, current, count, config, chunks)
        if is_overlap:
            break
    return chunks


def _emit(
    text: str,
    units: list[Span],
    current: list[int],
    count: TokenCounter,
    config: ChunkingConfig,
    chunks: list[tuple[int, int]],
) -> tuple[list[int], bool]:
    """Append the chunk made of ``current``, shrunk until its real count fits.

    Returns what the next chunk starts with and whether that is overlap (True) or units
    that did not fit and still need a chunk of their own (False).
    """
    # Sums of unit counts are an estimate: a tokenizer may merge across a boundary, so check.
    kept = list(current)
    while len(kept) > 1:
        s, e = _strip(text, units[kept[0]].start, units[kept[-1]].end)
        if count([text[s:e]])[0] <= config.max_tokens:
            break
        kept.pop()
    s, e = _strip(text, units[kept[0]].start, units[kept[-1]].end)
    if e > s:
        chunks.append((s, e))
    leftover = current[len(kept) :]
    if leftover:
        return leftover, False
    overlap: list[int] = []
    budget = config.overlap_tokens
    for j in reversed(kept[1:]):  # never carry the whole chunk over, so packing always advances
        if units[j].tokens > budget:
            break
        overlap.insert(0, j)
        budget -= units[j].tokens
    return overlap, True


def _apply_floor(
    text: str,
    chunks: list[tuple[int, int]],
    units: list[Span],
    count: TokenCounter,
    config: ChunkingConfig,
) -> list[tuple[int, int]]:
    """Drop chunks under ``min_chars``, first trying to grow a short tail backwards so nothing is lost."""
    out = []
    for s, e in chunks:
        if e - s < config.min_chars:
            s, e = _grow(text, s, e, units, count, config)
        if e - s >= config.min_chars:
            out.append((s, e))
    return out


def _grow(
    text: str,
    s: int,
    e: int,
    units: list[Span],
    count: TokenCounter,
    config: ChunkingConfig,
) -> tuple[int, int]:
    """Widen a too-short chunk to ``min_chars`` within the token limit, so its text is not lost.

    Over whole units first, backwards then forwards (the chunk then still starts and ends at
    sentence boundaries), then to the nearest character that makes it long enough, backwards
    then forwards (a short first chunk has nothing before it). Each direction tries one
    candidate: widening further only adds tokens. Every step is linear in the text, so a short
    tail after a million spaces costs one pass, not a million.
    """
    unit_starts = [u.start for u in units]
    unit_ends = [u.end for u in units]
    backwards = ((u, e) for u in reversed(unit_starts) if u < s)
    forwards = ((s, u) for u in unit_ends if u > e)
    for candidates in (backwards, forwards):
        for start, end in candidates:
            gs, ge = _strip(text, start, end)
            if ge - gs >= config.min_chars:
                if count([text[gs:ge]])[0] <= config.max_tokens:
                    return gs, ge
                break
    before = len(text[: max(0, min(s, e - config.min_chars + 1))].rstrip())  # last non-space + 1
    if before > 0:
        gs = before - 1
        if count([text[gs:e]])[0] <= config.max_tokens:
            return gs, e
    after = _NON_SPACE.search(text, s + config.min_chars - 1)
    if after is not None:
        ge = after.end()
        if count([text[s:ge]])[0] <= config.max_tokens:
            return s, ge
    return s, e


def page_pieces(
    text: str, count: TokenCounter, config: ChunkingConfig, carried_header: str = ""
) -> tuple[list[tuple[str, int]], str]:
    """(text, offset) of each chunk of one page, tables row by row under their header; and the header
    of a table the page ends with, for the next page to carry (empty when it ends with prose).

    ``carried_header``: the header of a table the previous page ended with, given to a table that
    opens this page without a header of its own.
    """
    pieces: list[tuple[str, int]] = []
    blocks = split_blocks(text) if config.tables else [Block("text", 0, len(text))]
    for number, block in enumerate(blocks):
        if block.kind == "table":
            header = block.header or (carried_header if number == 0 else "")
            pieces += table_chunks(text, block, header, count, config.max_tokens)
        else:
            pieces += [
                (text[block.start + s : block.start + e], block.start + s)
                for s, e in chunk_text(text[block.start : block.end], count, config)
            ]
    ends_in_table = bool(blocks) and blocks[-1].kind == "table"
    return pieces, (blocks[-1].header or carried_header) if ends_in_table else ""


def context_of(metadata: dict) -> str:
    """What is embedded and indexed ahead of a chunk's text, but never shown: the document's title
    and the section's heading path (or the page's heading), where the loader found them (a page seldom
    names its document)."""
    parts = [metadata.get("title"), metadata.get("heading")]
    return " — ".join(dict.fromkeys(p for p in parts if p))


def sheet_pieces(
    doc: Document, count: TokenCounter, config: ChunkingConfig
) -> list[tuple[str, int, str | None]] | None:
    """(text, offset, location) of each chunk of a spreadsheet's table: whole rows under its header row,
    located by sheet and row range ("sheet Sales, rows 2-40"); None when the lines and row numbers
    the loader gave do not match (then it is chunked as prose)."""
    header = doc.metadata.get("table_header") or ""
    numbers = doc.metadata["row_numbers"]
    lines = doc.page_content.split("\n")
    rows = lines[1:] if header else lines
    if len(rows) != len(numbers) or (header and lines[0] != header):
        return None
    offsets, cursor = [], len(lines[0]) + 1 if header else 0
    for row in rows:
        offsets.append(cursor)
        cursor += len(row) + 1
    budget = max(1, config.max_tokens - (count([header])[0] if header else 0))
    where = doc.metadata.get("location")
    pieces = []
    for group in pack_rows(count(rows), budget):
        first, last = numbers[group[0]], numbers[group[-1]]
        span = f"row {first}" if first == last else f"rows {first}-{last}"
        text = "\n".join([header, *(rows[k] for k in group)] if header else [rows[k] for k in group])
        pieces.append((text, offsets[group[0]], f"{where}, {span}" if where else span))
    return pieces


def chunk_documents(
    documents: Iterable[Document], count: TokenCounter, config: ChunkingConfig
) -> list[Document]:
    """Chunk each page-document; chunks never cross pages (or sections) so each keeps one page number
    and one location. Offsets are the section's in its file (``offset``) plus the chunk's in it."""
    out = []
    carried: dict[str, str] = {}  # source -> header of the table its last page ended with
    for doc in documents:
        source = doc.metadata.get("source")
        context = context_of(doc.metadata) if config.context else ""
        fitted = config
        if context:  # the context is embedded with every chunk: leave room for it in the model's limit
            room = max(32, config.max_tokens - count([context])[0] - 1)
            fitted = replace(config, max_tokens=room, overlap_tokens=min(config.overlap_tokens, room // 4))
        located = sheet_pieces(doc, count, fitted) if "row_numbers" in doc.metadata else None
        if located is None:
            pieces, carried[source] = page_pieces(doc.page_content, count, fitted, carried.get(source, ""))
            located = [(piece, start, doc.metadata.get("location")) for piece, start in pieces]
        offset = int(doc.metadata.get("offset") or 0)
        for index, (piece, start, location) in enumerate(located):
            meta = {
                "source": source,
                "page": doc.metadata.get("page"),
                "sha256": doc.metadata.get("sha256", ""),
                "start_index": offset + start,
                "chunk_index": index,
                "extractor": doc.metadata.get("extractor"),
            }
            if location:
                meta["location"] = location
            if doc.metadata.get("file_type"):
                meta["file_type"] = doc.metadata["file_type"]
            if context:
                meta["context"] = context
            meta["chunk_id"] = chunk_id(meta["sha256"], meta["page"], meta["start_index"], piece)
            out.append(Document(page_content=piece, metadata=meta, id=meta["chunk_id"]))
    return out
