"""Is a line prose a person would quote, or the furniture of a document?

An answer that quotes "44 2.3." (a page header), "# Team notes" (a Markdown heading) or "Nam ipsum
ligula ..." (filler text) as cited fact tells the person nothing. These checks name each kind, so
the extractive answer skips them and the answer benchmark counts them as junk.
"""

from __future__ import annotations

import re

from rag_app.text.scripts import CJK_CHAR

# Filler text (Lorem ipsum and its usual continuations): words that are not English, German or
# any language people write documents in.
_LOREM = frozenset(
    (
        "lorem ipsum dolor sit amet consectetuer consectetur adipiscing elit sed diam nonummy nibh euismod "
        "tincidunt ut laoreet dolore magna aliquam erat volutpat wisi enim ad minim veniam quis nostrud "
        "exerci tation ullamcorper suscipit lobortis nisl aliquip ex ea commodo consequat duis autem vel eum "
        "iriure in hendrerit vulputate velit esse molestie illum eu feugiat nulla facilisis at vero eros et "
        "accumsan iusto odio dignissim qui blandit praesent luptatum zzril delenit augue te feugait facilisi "
        "nam liber tempor cum soluta nobis eleifend option congue nihil imperdiet doming id quod mazim "
        "placerat facer possim assum curabitur dictum gravida mauris arcu libero donec vehicula neque "
        "pellentesque habitant morbi tristique senectus netus malesuada fames ac turpis egestas leo cras "
        "viverra metus rhoncus sem lectus urna fringilla ultrices phasellus tellus tortor integer sapien est "
        "iaculis pretium viverra nunc aenean faucibus pulvinar mollis auctor semper varius orci risus mi "
        "sagittis dui ligula sodales sollicitudin justo lacus ultricies aliquet ornare hac habitasse platea "
        "dictumst tempus convallis etiam fermentum vestibulum quam maecenas lacinia proin purus fusce "
        "venenatis suspendisse massa ante sociis natoque penatibus magnis dis parturient montes nascetur "
        "ridiculus mus porttitor felis luctus nullam cursus primis cubilia curae posuere scelerisque "
        "condimentum interdum nec mattis porta quisque class aptent taciti sociosqu litora torquent per "
        "conubia nostra inceptos hymenaeos rutrum pede vitae eget elementum lobortis"
    ).split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LABELLED = re.compile(r"\S[:：]\s*\S")  # "password: asdfzxcv" states a fact, not a title
_TERMINAL = re.compile(r"[.!?。！？;；:：]\s*[\"'”’)\]]*\s*$")
_MARKUP = re.compile(r"^\s*(#{1,6}\s|```|~~~|-{3,}\s*$|\*{3,}\s*$|_{3,}\s*$|\|?\s*:?-{3,}:?\s*\||!\[)")
_NUMBERS_ONLY = re.compile(r"^[\s\d.,:;()\[\]/–—-]*$")
# "44 2.3." or "47 3.1. HOMOTOPIE VON WEGEN" or "Page 3 of 10": what a page's head or foot says.
_RUNNING_HEAD = re.compile(r"^\s*(\d+\s+)?\d+(\.\d+)+\.?(\s+[^\sa-z][^a-z]*)?$")
_PAGE_OF = re.compile(r"^\s*(page|seite)\s+\d+(\s+(of|von)\s+\d+)?\s*$", re.I)
# A table of contents' entry: "1.2 Metrische Räume . . . . . 6", "2 Mannigfaltigkeiten und ... 24".
_CONTENTS = re.compile(r"(\.\s?){3,}\s*\d+\s*$|^\s*\d+(\.\d+)*\s+[^\d.!?]{3,80}\s+\d{1,4}\s*$")
_BOILERPLATE = re.compile(
    r"all rights reserved|copyright ©|©\s*\d{4}|table of contents|inhaltsverzeichnis|^\s*(abstract|contents)\s*$",
    re.I,
)


def lorem_share(text: str) -> float:
    """Share of the words of ``text`` that are filler-text words."""
    words = [w.lower() for w in _WORD.findall(text)]
    return sum(w in _LOREM for w in words) / len(words) if words else 0.0


def is_markup(line: str) -> bool:
    """A Markdown heading, rule, code fence, table separator or image."""
    return bool(_MARKUP.match(line))


def is_running_head(line: str) -> bool:
    """A page number, a section number with its page, or a "Page n of m" line."""
    stripped = line.strip()
    return bool(stripped) and any(p.match(stripped) for p in (_NUMBERS_ONLY, _RUNNING_HEAD, _PAGE_OF))


def is_heading(line: str) -> bool:
    """A short line that states a title rather than a fact: no sentence end, no figure, few words
    (e.g. "Everyday notes", "Definition 43", "KOMPAKTHEIT"); CJK lines count characters as words."""
    stripped = line.strip().lstrip("#").strip()
    if not stripped or _TERMINAL.search(stripped) or _LABELLED.search(stripped):
        return False
    if any(ch.isdigit() for ch in stripped) and not re.fullmatch(r"[^\d]*\d+(\.\d+)*\.?", stripped):
        return False  # a line with figures is a fact or a table row ("October 14, 1998"), not a title
    cjk = len(CJK_CHAR.findall(stripped))
    words = len(_WORD.findall(stripped)) + cjk
    shouted = stripped.isupper() and words <= 14  # "RISKS RELATING TO THE EVOLUTION OF OUR BUSINESS"
    return shouted or (cjk and cjk <= 12 and words <= 14) or (not cjk and words <= 7 and len(stripped) <= 70)


def is_boilerplate(text: str) -> bool:
    return bool(_BOILERPLATE.search(text)) or lorem_share(text) >= 0.3


def non_prose_reason(text: str) -> str | None:
    """Why ``text`` is no answer sentence ("heading", "page header", "markup", "filler", "boilerplate",
    "number"), or None for prose."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if is_markup(stripped):
        return "markup"
    if _NUMBERS_ONLY.match(stripped):
        return "number"
    if is_running_head(stripped):
        return "page header"
    if _CONTENTS.search(stripped):
        return "contents"
    if lorem_share(stripped) >= 0.3:
        return "filler"
    if _BOILERPLATE.search(stripped):
        return "boilerplate"
    if "\n" not in stripped and is_heading(stripped):
        return "heading"
    if _CUT_START.match(stripped):
        return "fragment"
    if symbol_share(stripped) >= SYMBOLS:
        return "formula"
    if _FOOTER.search(stripped) and len(_WORD.findall(stripped)) <= 10:
        return "page footer"
    if not _TERMINAL.search(stripped) and _DANGLING.search(stripped):
        return "fragment"
    return None


# "Apple Inc. | Q1 2023 Form 10-Q | 15": a page's foot as a PDF table engine gives it, ending in "| 15".
_FOOTER = re.compile(r"\|\s*\d{1,4}\s*$")
# A line cut before its end, as a PDF column or a chunk boundary leaves it: "... describe the significant
# accounting policies and" ends on a word no sentence ends on.
_DANGLING = re.compile(
    r"\b(and|or|of|the|a|an|to|in|for|with|by|from|that|which|as|at|on|is|are|was|were|"
    r"und|oder|der|die|das|des|dem|den|ein|eine|einer|von|zu|mit|für|auf|ist|sind|dass)\s*,?$",
    re.IGNORECASE,
)


SYMBOLS = 0.2
"""Share of mathematical signs and brackets from which a line is notation, not a sentence to quote
("H = { z ∈ C | =z > 0 }": 0.33; a definition in words with its formula, "Sei f: [a, b] → R stetig.",
0.16, stays quotable; prose with a number range or a parenthesis stays under 0.05)."""
_SYMBOL = re.compile(r"[=<>≤≥∈∉⊂⊆∪∩∀∃∑∏∫√±×÷∞→←↔⇒⇔{}\[\]^~]")  # not "|": table rows
_CUT_START = re.compile(r"^(?:(?:[一-鿿]{1,2}|[a-z]{1,2})[,，、;；]|[}\])）】])")  # not "b)": a list item
"""A sentence starting one or two letters before a comma, or with a closing bracket: the tail of a word
or a formula cut at a chunk boundary ("式,是一种表示…", "} Primzahlen H = …")."""


def symbol_share(text: str) -> float:
    """Share of the non-space characters that are mathematical signs or brackets."""
    visible = [c for c in text if not c.isspace()]
    return sum(bool(_SYMBOL.match(c)) for c in visible) / len(visible) if visible else 0.0
