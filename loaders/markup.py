"""Markup trees (XHTML chapters, HTML pages, trafilatura's XML, ODF text) walked into an outline:
headings open sections, block elements become paragraphs, table rows become ``cell | cell`` lines.

Loaded by path inside the sandboxed worker; needs lxml, imports no package of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HeadingLevel = Callable[[Any], "int | None"]

MAX_NESTING = 256
"""libxml2's own limit without XML_PARSE_HUGE: a document nested deeper is cut there, silently."""


@dataclass(frozen=True)
class Vocabulary:
    """Which local tag names mean what in one kind of markup."""

    heading: HeadingLevel
    blocks: frozenset[str]
    rows: frozenset[str] = frozenset({"tr"})
    cells: frozenset[str] = frozenset({"td", "th"})
    skip: frozenset[str] = frozenset({"head", "script", "style", "template", "noscript"})
    breaks: frozenset[str] = frozenset({"br"})


def _html_heading(element: Any) -> int | None:
    name = local_name(element)
    return int(name[1]) if len(name) == 2 and name[0] == "h" and name[1] in "123456" else None


HTML = Vocabulary(
    heading=_html_heading,
    blocks=frozenset(
        "p div li dt dd pre blockquote figcaption caption section article aside header footer nav main "
        "ul ol dl table form fieldset address details summary".split()
    ),
)


def local_name(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def walk(root: Any, outline: Any, words: Vocabulary) -> None:
    """Feed ``outline`` (an ``outline.Outline``) the headings and paragraphs under ``root``, in order."""
    from lxml import etree

    paragraph: list[str] = []

    def flush() -> None:
        text = " ".join("".join(paragraph).split())
        paragraph.clear()
        if text:
            outline.text(text)

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        name = local_name(element)
        if event == "start":
            if not name or name in words.skip:
                walker.skip_subtree()
                continue
            level = words.heading(element)
            if level is not None:
                flush()
                outline.heading(level, "".join(element.itertext()))
                walker.skip_subtree()
                continue
            if name in words.rows:
                flush()
                cells = [
                    " ".join("".join(c.itertext()).split()) for c in element if local_name(c) in words.cells
                ]
                line = " | ".join(cells).strip(" |")
                if line:
                    outline.text(line, row=True)
                walker.skip_subtree()
                continue
            if name in words.blocks:
                flush()
            elif name in words.breaks:
                paragraph.append(" ")
            if element.text:
                paragraph.append(element.text)
        else:
            if name in words.blocks:
                flush()
            if element.tail and element is not root:
                paragraph.append(element.tail)
    flush()
