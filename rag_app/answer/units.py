"""A passage cut into what an answer may quote: sentences, and table rows under their header.

PDF text comes as lines: prose wrapped at the column's edge, titles on lines of their own, tables
one row a line. Lines are first told apart (a row of figures, a title, a page's furniture, prose),
then prose lines are joined and cut into sentences, and each table row becomes a unit that carries
the lines above its table (the column headings), so "Finland 5.5 338,424 Helsinki" is quoted with
"Country Population (millions) Area (km2) Capital Official Language".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag_app.retrieval.results import Passage
from rag_app.text.prose import is_heading, non_prose_reason
from rag_app.text.sentences import split_sentences

_FIGURE = re.compile(r"(?<![\w.])[-−(]?\$?\d[\d,.]*%?\)?(?![\w])")
_TERMINAL = re.compile(r"[.!?。！？]\s*[\"'”’)\]]*\s*$")
_SENTENCE_INSIDE = re.compile(r"[a-z][.!?]\s+[A-Z]|[。！？]")
MAX_ROW_CHARS = 200
MAX_HEADER_LINES = 3

UnitKind = Literal["sentence", "row", "heading", "furniture"]


@dataclass(frozen=True)
class Unit:
    passage: Passage
    start: int
    end: int
    """Where the unit stands in ``passage.text``."""
    kind: UnitKind
    header: str = ""
    """For a table row: the lines above its table, quoted before it."""

    @property
    def text(self) -> str:
        return " ".join(self.passage.text[self.start : self.end].split())

    @property
    def quote(self) -> str:
        """What an answer shows: the unit, a row with its header ("header: row")."""
        return f"{self.header}: {self.text}" if self.header else self.text

    @property
    def skip(self) -> str | None:
        """Why this unit is never quoted (a heading, a page header, filler text, a cut-off line), or None.

        Read as a person reads the answer: every sentence of the quote (a row with its header), and for
        a table row the row alone too, where only a short cell line may look like a heading. A row line of a filing
        often carries a sentence's cut-off end ("... Microsoft 365. Windows OEM revenue") or the report's
        letterhead, which a row of figures alone never does."""
        if self.kind in ("heading", "furniture"):
            return self.kind
        if self.quote.rstrip().endswith(("?", "？")):
            return "question"  # a document's own question (a title, an FAQ's heading) answers nothing
        if self.kind == "row":
            reason = non_prose_reason(self.text)
            if reason is not None and reason != "heading":
                return reason
        for start, end in split_sentences(self.quote):
            reason = non_prose_reason(self.quote[start:end])
            if reason is not None:
                return reason
        return None


def _lines(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for line in text.split("\n"):
        end = start + len(line)
        if line.strip():
            out.append((start, end))
        start = end + 1
    return out


def _is_figure_line(line: str) -> bool:
    """A table row as PDF engines give it: a short line with two figures or more and no sentence
    end in it or at its end."""
    stripped = line.strip()
    return (
        len(stripped) <= MAX_ROW_CHARS
        and not _TERMINAL.search(stripped)
        and not _SENTENCE_INSIDE.search(stripped)
        and len(_FIGURE.findall(stripped)) >= 2
    )


def units_of(passage: Passage) -> list[Unit]:
    """The passage's units in document order."""
    text = passage.text
    lines = _lines(text)
    kinds: list[str] = []
    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        reason = non_prose_reason(line)
        if reason in ("number", "page header", "contents", "markup"):  # filler is judged by the sentence
            kinds.append("furniture")
        elif _is_figure_line(line) and _next_is_figure(text, lines, i):
            kinds.append("row")
        elif is_heading(line) and _stands_alone(text, lines, i):
            kinds.append("heading")
        else:
            kinds.append("prose")
    # A figure line directly after a row is a row too (the last row of a table).
    for i in range(1, len(kinds)):
        if kinds[i] == "prose" and kinds[i - 1] == "row" and _is_figure_line(text[slice(*lines[i])]):
            kinds[i] = "row"
    units: list[Unit] = []
    i = 0
    while i < len(lines):
        kind = kinds[i]
        if kind == "prose":
            j = i
            while j + 1 < len(lines) and kinds[j + 1] == "prose":
                j += 1
            start, end = lines[i][0], lines[j][1]
            units += [
                Unit(passage, start + a, start + b, "sentence")
                for a, b in _stripped(split_sentences(text[start:end]), text[start:end])
            ]
            i = j + 1
            continue
        s, e = lines[i]
        if kind == "row":
            units.append(Unit(passage, s, e, "row", _header(text, lines, kinds, i)))
        else:
            units.append(Unit(passage, s, e, kind))  # type: ignore[arg-type]
        i += 1
    return units


def _next_is_figure(text: str, lines: list[tuple[int, int]], i: int) -> bool:
    neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(lines)]
    return any(_is_figure_line(text[slice(*lines[j])]) for j in neighbours)


def _stands_alone(text: str, lines: list[tuple[int, int]], i: int) -> bool:
    """A title is its own line: the next line starts anew (a capital, a digit, a symbol, CJK)
    instead of carrying on a wrapped sentence in lower case."""
    if i + 1 >= len(lines):
        return True
    following = text[slice(*lines[i + 1])].lstrip()
    return not following[:1].islower()


def _header(text: str, lines: list[tuple[int, int]], kinds: list[str], row: int) -> str:
    """The column headings of the table a row belongs to: the non-row lines right above its first
    row (up to three, no prose sentence among them)."""
    first = row
    while first > 0 and kinds[first - 1] == "row":
        first -= 1
    header: list[str] = []
    j = first - 1
    while j >= 0 and len(header) < MAX_HEADER_LINES:
        line = " ".join(text[slice(*lines[j])].split())
        if kinds[j] == "furniture" or _TERMINAL.search(line) or len(line) > MAX_ROW_CHARS:
            break
        header.insert(0, line)
        j -= 1
    return " ".join(header)


def _stripped(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    out = []
    for a, b in spans:
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if b - trail > a + lead:
            out.append((a + lead, b - trail))
    return out
