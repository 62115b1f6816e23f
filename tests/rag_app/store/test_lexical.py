"""Tokens for BM25 in every CJK script, and the store's own BM25 index (SQLite FTS5)."""

from __future__ import annotations

from rag_app.text.words import tokenize
from tests.rag_app.store.store_helpers import add, open_store


def test_bm25_tokenises_cjk_into_unigrams_and_bigrams():
    assert tokenize("北京首都") == ["北", "京", "首", "都", "北京", "京首", "首都"]
    assert sorted(tokenize("The Apple, and 苹果!")) == sorted(["apple", "苹", "果", "苹果"])
    # Kana and Hangul are CJK runs too: a Japanese or Korean word is not one opaque token.
    assert tokenize("とうきょう") == ["と", "う", "き", "ょ", "う", "とう", "うき", "きょ", "ょう"]
    assert "서울" in tokenize("서울은 수도")


def test_the_stores_lexical_index_ranks_by_bm25():
    store = open_store()
    add(store, "a.txt", ["北京是中国的首都", "苹果是水果", "gravity pulls bodies", "東京は日本の首都です"])
    texts = {r.fid: r.text for r in store.all_records()}
    assert texts[store.lexical("中国的首都是哪里", 1)[0][0]] == "北京是中国的首都"
    assert texts[store.lexical("日本の首都はどこ", 1)[0][0]] == "東京は日本の首都です"
    assert [texts[f] for f, _ in store.lexical("gravity", 3)] == ["gravity pulls bodies"]
    assert store.lexical("the of and", 3) == []  # stopwords only: nothing to match
