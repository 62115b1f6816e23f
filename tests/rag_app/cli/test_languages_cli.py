"""The design's headline, from the command line: Chinese matched by meaning on the offline default."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SAMPLE_DOCS
from tests.rag_app.cli.test_cli import rag_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("languages") / "store"
    done = rag_app("ingest", "--store", str(store), str(SAMPLE_DOCS))
    assert done.returncode == 0, done.stderr
    assert "other languages: Universal Sentence Encoder Multilingual" in done.stderr + done.stdout
    return store


@pytest.mark.parametrize("question", ["我想吃点东西", "我饿了"])
def test_hunger_finds_the_apple_by_meaning_and_is_answered_from_it(sample_store, question):
    out = rag_app("ask", "--store", str(sample_store), "--llm", "none", "--json", question)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    top = data["results"][0]
    assert top["source"] == "everyday_zh.txt" and "苹果" in top["text"]  # no word in common with the question
    assert not data["refused"] and "苹果" in data["answer"]
    assert data["citations"][0]["source"] == "everyday_zh.txt"


def test_green_tea_finds_the_chinese_passage_once_the_english_one_is_gone(sample_store):
    assert rag_app("delete", "--store", str(sample_store), "everyday.md").returncode == 0
    out = rag_app("query", "--store", str(sample_store), "--json", "How do I make green tea?")
    top = json.loads(out.stdout)["results"][0]
    assert top["source"] == "everyday_zh.txt" and "绿茶" in top["text"]
