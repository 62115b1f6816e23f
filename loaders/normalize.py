"""Text clean-up shared by every loader."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls except tab, newline and carriage return; they confuse tokenizers and the UI.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """NFKC-normalise and strip control characters.

    NFKC turns ligatures (``ﬂ`` -> ``fl``) and CJK compatibility / Kangxi radicals
    (``⽅`` U+2F45 -> ``方``) into the ordinary characters a tokenizer knows.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # PDFium marks a word hyphenated at a line end with U+FFFE; soft hyphens are invisible too:
    # dropping both joins the word again ("adip\ufffeiscing" -> "adipiscing").
    text = text.replace("\ufffe", "").replace("\u00ad", "")
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL_CHARS.sub(" ", text)
    # Line by line, not a regex: "[ \t]+\n" backtracks over every run of spaces that no newline
    # ends, which made a megabyte of spaces take minutes (with the GIL held all along).
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()
