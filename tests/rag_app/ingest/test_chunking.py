"""Property tests of the chunker with the bundled model's real tokenizer."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document

from rag_app.ingest.chunking import ChunkingConfig, chunk_documents, chunk_text
from rag_app.text.sentences import split_sentences

TERMINATORS = "。！？；.!?"
EN_WORDS = ["apple", "tasty", "fruit", "capital", "Beijing", "gravity", "force", "the", "is", "a", "of"]
ZH_WORDS = ["苹果", "是", "一种", "美味", "的", "水果", "北京", "中国", "首都", "引力"]

en_sentence = st.builds(
    lambda ws, end: " ".join(ws).capitalize() + end,
    st.lists(st.sampled_from(EN_WORDS), min_size=1, max_size=25),
    st.sampled_from([".", "!", "?"]),
)
zh_sentence = st.builds(
    lambda ws, end: "".join(ws) + end,
    st.lists(st.sampled_from(ZH_WORDS), min_size=1, max_size=30),
    st.sampled_from(["。", "！", "？", "；"]),
)
sentences = st.lists(st.one_of(en_sentence, zh_sentence), min_size=1, max_size=30)
separators = st.sampled_from([" ", "\n", "", "  "])
configs = st.builds(
    ChunkingConfig, max_tokens=st.integers(16, 120), overlap_tokens=st.integers(0, 15), min_chars=st.just(5)
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def join(parts, sep):
    return sep.join(parts)


@SETTINGS
@given(parts=sentences, sep=separators, config=configs)
def test_every_character_lands_in_a_chunk(minilm_counter, parts, sep, config):
    text = join(parts, sep)
    assume(len(text.strip()) >= config.min_chars)  # a whole text under the floor is dropped by design
    spans = chunk_text(text, minilm_counter, config)
    covered = [False] * len(text)
    for s, e in spans:
        for i in range(s, e):
            covered[i] = True
    missing = [text[i] for i, c in enumerate(covered) if not c and not text[i].isspace()]
    assert not missing


@SETTINGS
@given(parts=sentences, sep=separators, config=configs)
def test_no_chunk_exceeds_the_token_limit(minilm_counter, parts, sep, config):
    text = join(parts, sep)
    spans = chunk_text(text, minilm_counter, config)
    counts = minilm_counter([text[s:e] for s, e in spans])
    assert all(n <= config.max_tokens for n in counts)
    assert all(e - s >= config.min_chars for s, e in spans)


@SETTINGS
@given(parts=sentences, sep=separators, config=configs)
def test_boundaries_fall_at_sentence_ends_when_sentences_fit(minilm_counter, parts, sep, config):
    # "fruit.Apple" is not a sentence end (it could be "3.14" or "e.g."): only whitespace or a
    # CJK terminator separates sentences, so glued Latin sentences are outside this claim.
    assume(sep or all(p[-1] in "。！？；" for p in parts[:-1]))
    # A sentence under the 5-character floor that fits with no neighbour is widened by characters
    # (its text must not be lost), so the claim is for sentences of at least that length.
    assume(all(len(p) >= config.min_chars for p in parts))
    text = join(parts, sep)
    if max(minilm_counter(parts)) > config.max_tokens:
        return  # a sentence longer than the limit must be cut inside; the claim is for fitting ones
    spans = chunk_text(text, minilm_counter, config)
    for s, e in spans:
        assert text[e - 1] in TERMINATORS, (text[s:e], config)
        assert s == 0 or text[s - 1].isspace() or text[s - 1] in TERMINATORS


@SETTINGS
@given(parts=sentences, sep=separators)
def test_ids_are_stable(minilm_counter, parts, sep):
    doc = Document(page_content=join(parts, sep), metadata={"source": "a.txt", "page": 3, "sha256": "ab"})
    config = ChunkingConfig(max_tokens=40, overlap_tokens=8)
    first = chunk_documents([doc], minilm_counter, config)
    second = chunk_documents([doc], minilm_counter, config)
    assert [c.metadata["chunk_id"] for c in first] == [c.metadata["chunk_id"] for c in second]
    assert len({c.metadata["chunk_id"] for c in first}) == len(first)
    assert all(c.metadata["page"] == 3 and c.metadata["source"] == "a.txt" for c in first)


def test_overlap_repeats_trailing_sentences(minilm_counter):
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    spans = chunk_text(text, minilm_counter, ChunkingConfig(max_tokens=40, overlap_tokens=12))
    assert len(spans) > 2
    for (_, e1), (s2, _) in itertools.pairwise(spans):
        assert s2 < e1  # the next chunk starts inside the previous one


def test_long_unbroken_text_is_sliced_within_limit(minilm_counter):
    text = "没有标点" * 400
    spans = chunk_text(text, minilm_counter, ChunkingConfig(max_tokens=50, overlap_tokens=0))
    assert "".join(text[s:e] for s, e in spans) == text
    assert max(minilm_counter([text[s:e] for s, e in spans])) <= 50


@pytest.mark.timeout(60)
def test_a_short_tail_after_a_huge_gap_is_chunked_in_linear_time(minilm_counter):
    # The shape that once took 18.6 s at n = 20,000 (quadratic): a short tail that the previous
    # chunk cannot absorb, separated from it by n spaces. Linear, n = 200,000 takes well under a
    # second; quadratic it would run for hours, far past this test's time limit.
    n = 200_000
    text = "word " * 252 + "end. " + " " * n + "ab."
    config = ChunkingConfig(max_tokens=254, overlap_tokens=32)
    spans = chunk_text(text, minilm_counter, config)
    assert text[spans[-1][0] : spans[-1][1]].endswith("ab.")  # the tail is kept, not dropped
    assert max(minilm_counter([text[s:e] for s, e in spans])) <= 254


@pytest.mark.timeout(60)
def test_one_enormous_word_is_sliced_in_linear_time(minilm_counter):
    text = "没有标点" * 50_000  # 200,000 characters, no break anywhere
    spans = chunk_text(text, minilm_counter, ChunkingConfig(max_tokens=254, overlap_tokens=0))
    assert "".join(text[s:e] for s, e in spans) == text


def test_tiny_text_below_floor_is_dropped(minilm_counter):
    assert chunk_text("Hi.", minilm_counter, ChunkingConfig()) == []


def test_chinese_sentences_split_at_chinese_punctuation():
    text = "北京是首都。苹果好吃！你喜欢吗？是的；谢谢"
    pieces = [text[s:e] for s, e in split_sentences(text)]
    assert pieces == ["北京是首都。", "苹果好吃！", "你喜欢吗？", "是的；", "谢谢"]


def test_decimal_points_do_not_end_sentences():
    text = "Pi is 3.14 roughly. Next one."
    assert [text[s:e] for s, e in split_sentences(text)] == ["Pi is 3.14 roughly. ", "Next one."]


@pytest.mark.parametrize("bad", [dict(max_tokens=4), dict(max_tokens=32, overlap_tokens=32)])
def test_config_rejects_nonsense(bad):
    with pytest.raises(ValueError, match=re.escape(next(iter(bad)))):
        ChunkingConfig(**bad)
