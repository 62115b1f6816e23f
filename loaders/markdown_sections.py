"""Markdown cut at its headings: one section per heading path, each an exact slice of the text (so a
passage's offset still finds it in the file)."""

from __future__ import annotations

import re
from typing import Any

from loaders.outline import MAX_HEADING_CHARS, PATH_SEPARATOR

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_sections(text: str) -> list[dict[str, Any]]:
    """``{"text", "offset", "location", "heading"}`` per section; text before the first heading has no
    location. ATX (``## Title``) and setext (``Title`` over ``===``) headings; none inside code fences."""
    lines = text.split("\n")
    starts, cursor = [], 0
    for line in lines:
        starts.append(cursor)
        cursor += len(line) + 1
    cuts: list[tuple[int, int, str]] = []  # (line number, level, heading)
    fence = ""
    for number, line in enumerate(lines):
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            continue
        if match := _FENCE.match(line):
            fence = match.group(1)[0] * 3
            continue
        if match := _ATX.match(line):
            cuts.append((number, len(match.group(1)), (match.group(2) or "").strip()))
        elif (
            (match := _SETEXT.match(line))
            and number > 0
            and lines[number - 1].strip()
            and not _ATX.match(lines[number - 1])
            and (not cuts or cuts[-1][0] != number - 1)
        ):
            cuts.append((number - 1, 1 if match.group(1)[0] == "=" else 2, lines[number - 1].strip()))
    sections: list[dict[str, Any]] = []
    bare: list[dict[str, Any]] = []
    path: list[tuple[int, str]] = []
    bounds = [(0, 0, ""), *cuts]
    for index, (number, level, title) in enumerate(bounds):
        if index:  # the first bound is the text before any heading
            path = [(lvl, t) for lvl, t in path if lvl < level] + [
                (level, " ".join(title.split())[:MAX_HEADING_CHARS])
            ]
        start = starts[number]
        end = starts[bounds[index + 1][0]] if index + 1 < len(bounds) else len(text)
        body = text[start:end]
        heading_line = lines[number].strip() if index else ""
        if body.strip():
            location = PATH_SEPARATOR.join(t for _, t in path if t)
            section = {"text": body.rstrip(), "offset": start, "location": location, "heading": location}
            (bare if body.strip() == heading_line else sections).append(section)
    return sections or bare  # headings alone count only when the file holds nothing else
