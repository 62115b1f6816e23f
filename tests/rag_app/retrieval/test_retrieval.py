from __future__ import annotations

import numpy as np
import pytest

from rag_app.retrieval.results import ambiguity_verdict
from rag_app.retrieval.retriever import RagRetriever
from rag_app.retrieval.searcher import Searcher

pytestmark = pytest.mark.slow  # the sample knowledge base is embedded with the bundled model


def test_verdict_flags_close_top_two():
    verdict = ambiguity_verdict([0.61, 0.60, 0.30], 0.02)
    assert verdict.ambiguous and verdict.top1_top2_gap == pytest.approx(0.01)
    assert "compare the top 3" in verdict.message
    clear = ambiguity_verdict([0.70, 0.60], 0.02)
    assert not clear.ambiguous and clear.top1_top2_gap == pytest.approx(0.10)
    assert not ambiguity_verdict([0.7], 0.02).ambiguous


@pytest.mark.parametrize("mode", ["auto", "hybrid", "dense"])
def test_design_demo_finds_the_apple_sentence(sample_service, mode):
    # With the second model the app runs with: MiniLM alone cannot read the Chinese apple passage, so
    # finding it (or not) for an English question would be luck, and such an assert could not fail.
    searcher = Searcher(
        sample_service.store, sample_service.embeddings, mode=mode, companion=sample_service.companion
    )
    result = searcher.retrieve("I want something to eat", 3)
    # By meaning, no word in common: an apple passage first (the multilingual model reads the Chinese
    # one too), and the English one among the three shown.
    assert "苹果" in result.passages[0].text or "Apples are a tasty fruit" in result.passages[0].text
    assert any("Apples are a tasty fruit" in p.text for p in result.passages[:3])


@pytest.mark.parametrize("mode", ["auto", "hybrid", "lexical"])
def test_scores_are_exact_cosines_in_every_mode(sample_service, mode):
    searcher = Searcher(sample_service.store, sample_service.embeddings, mode=mode)
    result = searcher.retrieve("When does the library open on Saturday?", 5)
    fids = {r.chunk_id: r.fid for r in sample_service.store.all_records()}
    for passage in result.passages:
        stored = sample_service.store.vectors_for([fids[passage.chunk_id]])[0]
        assert passage.score == pytest.approx(float(stored @ result.query_vector), abs=1e-5)
    assert "library" in result.passages[0].text
    assert [p.rank for p in result.passages] == [1, 2, 3, 4, 5]


async def test_langchain_retriever_sync_and_async(sample_service):
    retriever = sample_service.retriever(k=3)
    assert isinstance(retriever, RagRetriever)
    docs = retriever.invoke("What is the capital of China?")
    adocs = await retriever.ainvoke("What is the capital of China?")
    assert [d.id for d in docs] == [d.id for d in adocs]
    first = docs[0].metadata
    assert "The capital of China is Beijing" in docs[0].page_content
    assert set(first) >= {"score", "rank", "source", "page", "chunk_id", "ambiguity"}
    assert -1 <= first["score"] <= 1 and first["rank"] == 1
    assert np.isclose(first["ambiguity"]["threshold"], sample_service.searcher.thresholds.ambiguity_gap)


def test_pdf_passages_carry_one_based_pages(sample_service):
    result = sample_service.query("What happens when the best two scores are too close?", 5)
    pdf = [p for p in result.passages if p.source == "rag-app-guide.pdf"]
    assert pdf and pdf[0].page == 2


def test_english_only_model_routes_chinese_questions_to_bm25(sample_service):
    searcher = Searcher(sample_service.store, sample_service.embeddings, mode="auto")
    assert searcher.route("北京是哪个国家的首都？") == "lexical"
    assert searcher.route("日本の首都はどこですか") == "lexical"  # kana count as CJK
    assert searcher.route("What is the capital of China?") == "fused"
    result = searcher.retrieve("北京是哪个国家的首都？", 3)
    assert "北京" in result.passages[0].text


def test_unknown_mode_names_the_choices(sample_service):
    with pytest.raises(ValueError, match="auto, dense, lexical, hybrid, fused"):
        Searcher(sample_service.store, sample_service.embeddings, mode="magic")
