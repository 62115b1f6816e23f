"""Plain text and Markdown: decode with sensible fallbacks."""

from __future__ import annotations

import codecs

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes to text; returns (text, encoding used).

    Order: a BOM if present, strict UTF-8, GB18030 (covers GBK/GB2312 Chinese files),
    then Latin-1, which never fails, so nothing is lost to a decoding error.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        candidate = data.decode("gb18030")
    except UnicodeDecodeError:
        candidate = None
    if candidate is not None and _looks_like_chinese(candidate):
        return candidate, "gb18030"
    return data.decode("latin-1"), "latin-1"


def _looks_like_chinese(text: str) -> bool:
    """GB18030 accepts many Latin-1 byte pairs (``r\xe9s`` decodes to a hanzi), so require that
    most non-ASCII characters are common GB2312 hanzi/punctuation (both bytes >= 0xA1)."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True
    common = 0
    for ch in non_ascii:
        encoded = ch.encode("gb18030")
        if len(encoded) == 2 and encoded[0] >= 0xA1 and encoded[1] >= 0xA1:
            common += 1
    return common / len(non_ascii) >= 0.8
