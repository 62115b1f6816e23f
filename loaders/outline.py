"""Sections under their heading path: what every structured format (Markdown, DOCX, HTML, EPUB, ODT)
becomes, so a passage can say where it stands ("Budget > 2024 > Travel").

Standard library only: loaded by path inside the sandboxed worker as well as imported in-process.
"""

from __future__ import annotations

from typing import Any

PATH_SEPARATOR = " > "
MAX_HEADING_CHARS = 120
MAX_DEPTH = 6


class Outline:
    """Collects text blocks under the headings above them; each run of blocks under one heading path is
    a section: ``{"text", "location", "heading"}`` (the section's text begins with its heading).

    ``prefix`` stands before every path (an EPUB chapter: "chapter 2: The Sea"); the first heading that
    says the same as ``absorb`` (the chapter's own title) is text, not a step of the path. A heading with nothing
    under it before the next heading makes no section of its own: it lives on in the next one's path.
    """

    def __init__(self, prefix: str = "", *, absorb: str = "") -> None:
        self.prefix = prefix
        self.absorb = " ".join(absorb.split())
        self._path: list[tuple[int, str]] = []
        self._blocks: list[str] = []
        self._sections: list[dict[str, Any]] = []
        self._in_table = False
        self._bare: list[dict[str, Any]] = []  # headings with nothing under them

    def heading(self, level: int, text: str) -> None:
        text = " ".join(text.split())[:MAX_HEADING_CHARS]
        if not text:
            return
        if self.absorb and text == self.absorb and not self._path:
            self.absorb = ""
            self._blocks.append(text)
            return
        self._flush()
        self._in_table = False
        level = max(1, min(level, MAX_DEPTH))
        # A heading closes every heading at its level or below it.
        self._path = [(lvl, t) for lvl, t in self._path if lvl < level]
        self._path.append((level, text))
        self._blocks.append(text)

    def text(self, block: str, *, row: bool = False) -> None:
        """A paragraph; a table ``row`` joins the rows just before it, one line each (a table stays one block)."""
        block = block.strip()
        if not block:
            return
        if row and self._in_table:
            self._blocks[-1] += "\n" + block
        else:
            self._blocks.append(block)
        self._in_table = row

    def _flush(self) -> None:
        body = self._blocks
        heading_only = len(body) == 1 and bool(self._path) and body[0] == self._path[-1][1]
        if body:
            path = self.location()
            section = {"text": "\n\n".join(body), "location": path, "heading": path}
            (self._bare if heading_only else self._sections).append(section)
        self._blocks = []

    def location(self) -> str:
        parts = [self.prefix] if self.prefix else []
        parts += [t for _, t in self._path]
        return PATH_SEPARATOR.join(parts)

    def sections(self) -> list[dict[str, Any]]:
        """Every section so far, in order (a heading with no text under it makes none, unless the
        document holds nothing else)."""
        self._flush()
        return self._sections or self._bare
