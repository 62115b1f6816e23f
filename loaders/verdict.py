"""Is a page's extracted text readable, or glyphs mapped to the wrong characters?

A PDF font without a usable character map makes text extractors return strings such as
``ɹɹং Θͨ͘͠ͱ͍;ݱ``: real Unicode characters, but scattered over scripts no language writes together.
The verdict looks for that and for the other signs of mis-mapping (``(cid:N)`` placeholders,
replacement and private-use characters, symbol soup), and nothing else: any text written in a
real writing system (Chinese, Japanese, Korean, Latin, Cyrillic, Greek and the rest) passes.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# (first code point, last code point, script) for the letters that matter here; anything else
# that is a letter is "other". Sorted by first code point.
_RANGES = sorted(
    [
        (0x0041, 0x024F, "latin"),
        (0x0250, 0x02AF, "ipa"),
        (0x02B0, 0x02FF, "modifier"),
        (0x0300, 0x036F, "combining"),
        (0x0370, 0x03FF, "greek"),
        (0x0400, 0x052F, "cyrillic"),
        (0x0530, 0x058F, "armenian"),
        (0x0590, 0x05FF, "hebrew"),
        (0x0600, 0x06FF, "arabic"),
        (0x0700, 0x074F, "syriac"),
        (0x0750, 0x077F, "arabic"),
        (0x0780, 0x07BF, "thaana"),
        (0x07C0, 0x07FF, "nko"),
        (0x0800, 0x089F, "samaritan-mandaic"),
        (0x08A0, 0x08FF, "arabic"),
        (0x0900, 0x097F, "devanagari"),
        (0x0980, 0x09FF, "bengali"),
        (0x0A00, 0x0A7F, "gurmukhi"),
        (0x0A80, 0x0AFF, "gujarati"),
        (0x0B00, 0x0B7F, "oriya"),
        (0x0B80, 0x0BFF, "tamil"),
        (0x0C00, 0x0C7F, "telugu"),
        (0x0C80, 0x0CFF, "kannada"),
        (0x0D00, 0x0D7F, "malayalam"),
        (0x0D80, 0x0DFF, "sinhala"),
        (0x0E00, 0x0E7F, "thai"),
        (0x0E80, 0x0EFF, "lao"),
        (0x0F00, 0x0FFF, "tibetan"),
        (0x1000, 0x109F, "myanmar"),
        (0x10A0, 0x10FF, "georgian"),
        (0x1100, 0x11FF, "hangul"),
        (0x1200, 0x139F, "ethiopic"),
        (0x13A0, 0x13FF, "cherokee"),
        (0x1400, 0x167F, "canadian"),
        (0x1680, 0x16FF, "ogham-runic"),
        (0x1700, 0x177F, "philippine"),
        (0x1780, 0x17FF, "khmer"),
        (0x1800, 0x18AF, "mongolian"),
        (0x1E00, 0x1EFF, "latin"),
        (0x1F00, 0x1FFF, "greek"),
        (0x2C60, 0x2C7F, "latin"),
        (0x3040, 0x309F, "hiragana"),
        (0x30A0, 0x30FF, "katakana"),
        (0x3100, 0x312F, "bopomofo"),
        (0x3130, 0x318F, "hangul"),
        (0x31F0, 0x31FF, "katakana"),
        (0x3400, 0x4DBF, "han"),
        (0x4E00, 0x9FFF, "han"),
        (0xA000, 0xA4CF, "yi"),
        (0xA720, 0xA7FF, "latin"),
        (0xAC00, 0xD7AF, "hangul"),
        (0xF900, 0xFAFF, "han"),
        (0xFB1D, 0xFB4F, "hebrew"),
        (0xFB50, 0xFDFF, "arabic"),
        (0xFE70, 0xFEFF, "arabic"),
        (0xFF21, 0xFF5A, "latin"),
        (0xFF66, 0xFF9F, "katakana"),
        (0x20000, 0x2FA1F, "han"),
    ]
)
_STARTS = [r[0] for r in _RANGES]

# Scripts that real text writes together. Latin rides along with every one of them (names,
# units, code); Greek letters appear in Latin-script mathematics.
_SYSTEMS = [
    {"latin", "greek", "combining"},
    {"cyrillic", "latin", "combining"},
    {"han", "latin", "bopomofo"},
    {"han", "hiragana", "katakana", "latin"},
    {"hangul", "han", "latin"},
] + [
    {script, "latin"}
    for script in (
        "armenian",
        "hebrew",
        "arabic",
        "syriac",
        "thaana",
        "devanagari",
        "bengali",
        "gurmukhi",
        "gujarati",
        "oriya",
        "tamil",
        "telugu",
        "kannada",
        "malayalam",
        "sinhala",
        "thai",
        "lao",
        "tibetan",
        "myanmar",
        "georgian",
        "ethiopic",
        "cherokee",
        "khmer",
        "mongolian",
        "yi",
    )
]
# Scripts that may share one word (no spaces between them in real text).
_WORD_COMPANIONS = [
    {"han", "hiragana", "katakana", "latin"},
    {"hangul", "han", "latin"},
    {"latin", "greek", "combining"},
    {"cyrillic", "combining"},
]

_CID = re.compile(r"\(cid:\d+\)")
MIN_LETTERS = 8
"""Below this many letters a page is judged only by its bad characters (too little to weigh scripts)."""


@dataclass(frozen=True)
class Verdict:
    readable: bool
    reason: str = ""
    """Why it is not readable; empty when it is."""

    @property
    def empty(self) -> bool:
        return self.reason == "no text"


def script_of(ch: str) -> str | None:
    """The script of a letter or combining mark, or None for anything else."""
    category = unicodedata.category(ch)
    if not (category[0] == "L" or category == "Mn"):
        return None
    code = ord(ch)
    i = bisect.bisect_right(_STARTS, code) - 1
    if i >= 0 and code <= _RANGES[i][1]:
        return _RANGES[i][2]
    return "other"


def judge(text: str) -> Verdict:
    """Readable text, or the reason it is not."""
    text = unicodedata.normalize("NFKC", text)  # decomposed accents count as their letters
    compact = "".join(text.split())
    if not compact:
        return Verdict(False, "no text")
    placeholders = sum(len(m) for m in _CID.findall(compact))
    if placeholders > 0.05 * len(compact):
        return Verdict(False, "characters the PDF's fonts do not map to text ((cid:N) placeholders)")
    bad = sum(1 for ch in compact if ch == "\ufffd" or unicodedata.category(ch) in ("Co", "Cn", "Cc", "Cs"))
    if bad > 0.05 * len(compact):
        return Verdict(False, "replacement, private-use or unassigned characters instead of text")
    scripts = Counter(s for ch in compact if (s := script_of(ch)) is not None)
    letters = sum(scripts.values())
    content = letters + sum(ch.isdigit() for ch in compact)
    if len(compact) >= 40 and content < 0.4 * len(compact):
        return Verdict(
            False, "mostly symbols where letters would be: the fonts are mapped to the wrong characters"
        )
    if letters < MIN_LETTERS:
        return Verdict(True)
    coverage = max(sum(scripts[s] for s in system) for system in _SYSTEMS) / letters
    if coverage < 0.9:
        top = ", ".join(s for s, _ in scripts.most_common(4))
        return Verdict(False, f"letters from scripts no language writes together ({top}): mis-mapped fonts")
    if _mixed_word_share(text) > 0.3:
        return Verdict(False, "words that mix scripts letter by letter: mis-mapped fonts")
    return Verdict(True)


def _mixed_word_share(text: str) -> float:
    words = [w for w in re.split(r"[\s\W\d_]+", text) if len(w) >= 2]
    if not words:
        return 0.0
    mixed = 0
    for word in words:
        scripts = {s for ch in word if (s := script_of(ch)) is not None}
        if len(scripts) > 1 and not any(scripts <= group for group in _WORD_COMPANIONS):
            mixed += 1
    return mixed / len(words)
