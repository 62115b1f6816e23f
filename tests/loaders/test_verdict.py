"""The verdict on a page's text: real writing in any script passes; mis-mapped glyphs do not."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.verdict import judge
from tests.fixtures.cjk_pdf import SAMPLES, cid_pdf

WORDS = {
    "en": "the report shows revenue grew in the third quarter while costs fell slightly".split(),
    "de": "die Straße führt über den Fluss nach Köln und weiter bis zur Grenze".split(),
    "fr": "le résumé décrit une économie où l'été apporte des congés prolongés".split(),
    "ru": "отчёт показывает что выручка выросла в третьем квартале а расходы снизились".split(),
    "el": "η έκθεση δείχνει ότι τα έσοδα αυξήθηκαν στο τρίτο τρίμηνο".split(),
    "zh": ["北京", "是", "中国", "的", "首都", "苹果", "一种", "美味", "水果", "收入", "增长", "第三季度"],
    "ja": ["東京", "は", "日本", "の", "首都", "です", "りんご", "おいしい", "コンピュータ", "売上", "増加"],
    "ko": ["서울은", "한국의", "수도입니다", "사과는", "맛있는", "과일이며", "매출이", "증가했습니다"],
}
JOINERS = {"zh": "", "ja": "", "ko": " "}
EXTRAS = ["2023", "$81,797", "Q3", "iPhone", "(1)", "—", "%", "3.14", "API", "PDF"]


@st.composite
def writing(draw) -> str:
    """Text as people write it: words of one language, sometimes with numbers and English terms."""
    language = draw(st.sampled_from(sorted(WORDS)))
    joiner = JOINERS.get(language, " ")
    sentences = []
    for _ in range(draw(st.integers(1, 6))):
        words = draw(st.lists(st.sampled_from(WORDS[language]), min_size=3, max_size=18))
        extras = draw(st.lists(st.sampled_from(EXTRAS), max_size=2))
        for extra in extras:
            words.insert(draw(st.integers(0, len(words))), f" {extra} " if joiner == "" else extra)
        end = draw(st.sampled_from(["。", "！", "？"] if joiner == "" else [".", "!", "?", ";"]))
        sentences.append(joiner.join(words) + end)
    return draw(st.sampled_from(["\n", " ", "\n\n"])).join(sentences)


@settings(max_examples=300, deadline=None)
@given(text=writing())
def test_well_formed_text_in_every_script_is_never_called_garbled(text):
    verdict = judge(text)
    assert verdict.readable, (verdict.reason, text)


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_pypdf_output_for_cid_fonts_without_tounicode_is_garbled(language):
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(cid_pdf(SAMPLES[language], language))).pages[0].extract_text()
    verdict = judge(text)
    assert not verdict.readable and not verdict.empty, text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("ɹɹং Θͨ͘͠ͱ͍;ݱ ɹɹং Θͨ͘͠ͱ͍;ݱ ɹɹং Θͨ͘͠ͱ͍", "scripts no language writes together"),
        ("(cid:12)(cid:45)(cid:77)(cid:3) hello (cid:99)", "(cid:N) placeholders"),
        ("\ue000\ue001\ue002 text \ue003\ue004\ue005\ue006", "private-use"),
        ("!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~!\"#$%&'()*+,-./:;<=>?@ ab", "mostly symbols"),
        ("Пpивeт мир, этo тeкст с лaтинскими буквaми внутри слoв", "mix scripts letter by letter"),
    ],
)
def test_signs_of_mis_mapped_fonts(text, reason):
    verdict = judge(text)
    assert not verdict.readable and reason in verdict.reason


def test_empty_and_tiny_text():
    assert judge("  \n ").empty and not judge("").readable
    assert judge("p. 4").readable  # too little to weigh: not called garbled
