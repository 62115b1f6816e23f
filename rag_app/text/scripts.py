"""Which characters are Chinese, Japanese or Korean: one definition for every module that asks.

Chunking (sentence ends next to CJK text), BM25 (CJK runs become character n-grams) and
retrieval (routing a CJK question) must agree, or a Japanese question is routed to BM25 whose
tokenizer then treats each kana run as one long word.
"""

from __future__ import annotations

import re

# Han ideographs (extension A, the main block, compatibility ideographs, extensions B-F),
# kana (hiragana, katakana, phonetic extensions, half-width katakana) and Hangul
# (syllables, jamo, compatibility jamo). The long vowel mark ー (U+30FC) is inside katakana.
CJK_RANGES = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
    "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
)
"""A regex character-class body (without brackets)."""

CJK_CHAR = re.compile(f"[{CJK_RANGES}]")
CJK_RUN = re.compile(f"[{CJK_RANGES}]+")


def cjk_share(text: str) -> float:
    """Share of the letters and digits in ``text`` that are CJK (0.0 for text without any)."""
    letters = [ch for ch in text if ch.isalnum()]
    if not letters:
        return 0.0
    return sum(bool(CJK_CHAR.match(ch)) for ch in letters) / len(letters)
