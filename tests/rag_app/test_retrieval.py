from __future__ import annotations

import numpy as np
import pytest

from rag_app.bm25 import BM25Index, tokenize
from rag_app.retrieval import RagRetriever, Searcher, ambiguity_verdict
from rag_app.settings import Settings


def test_verdict_flags_close_top_two():
    verdict = ambiguity_verdict([0.61, 0.60, 0.30], 0.02)
    assert verdict.ambiguous and verdict.top1_top2_gap == pytest.approx(0.01)
    assert "compare the top 3" in verdict.message
    clear = ambiguity_verdict([0.70, 0.60], 0.02)
    assert not clear.ambiguous and clear.top1_top2_gap == pytest.approx(0.10)
    assert not ambiguity_verdict([0.7], 0.02).ambiguous


def test_bm25_tokenises_chinese_into_unigrams_and_bigrams():
    assert tokenize("北京首都") == ["北", "京", "首", "都", "北京", "京首", "首都"]
    assert sorted(tokenize("The Apple, and 苹果!")) == sorted(["apple", "苹", "果", "苹果"])
    index = BM25Index(["北京是中国的首都", "苹果是水果", "gravity pulls bodies"])
    assert index.top("中国的首都是哪里", 1)[0][0] == 0
    assert index.top("gravity", 3) == [(2, pytest.approx(index.scores("gravity")[2]))]


@pytest.fixture(scope="module")
def sample_service(tmp_path_factory, bundled_embeddings):
    from rag_app.service import RagService
    from tests.conftest import SAMPLE_DOCS

    service = RagService(
        Settings(store_dir=tmp_path_factory.mktemp("samples")), embeddings=bundled_embeddings
    )
    report = service.ingest([SAMPLE_DOCS])
    assert report.exit_code == 0
    return service


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_design_demo_finds_the_apple_sentence(sample_service, mode):
    searcher = Searcher(sample_service.store, sample_service.embeddings, mode=mode)
    result = searcher.retrieve("I want something to eat", 3)
    assert any("Apples are a tasty fruit" in p.text or "苹果" in p.text for p in result.passages[:2])


def test_hybrid_scores_are_exact_cosines(sample_service):
    result = sample_service.query("When does the library open on Saturday?", 5)
    fids = {r["chunk_id"]: f for f, r in sample_service.store.all_records()}
    for passage in result.passages:
        expected = sample_service.store.cosine_to(result.query_vector, [fids[passage.chunk_id]])[0]
        assert passage.score == pytest.approx(expected, abs=1e-5)
    assert "library" in result.passages[0].text
    assert [p.rank for p in result.passages] == [1, 2, 3, 4, 5]


async def test_langchain_retriever_sync_and_async(sample_service):
    retriever = sample_service.retriever(k=3)
    assert isinstance(retriever, RagRetriever)
    docs = retriever.invoke("What is the capital of China?")
    adocs = await retriever.ainvoke("What is the capital of China?")
    assert [d.id for d in docs] == [d.id for d in adocs]
    first = docs[0].metadata
    assert "Beijing" in docs[0].page_content or "北京" in docs[0].page_content
    assert set(first) >= {"score", "rank", "source", "page", "chunk_id", "ambiguity"}
    assert -1 <= first["score"] <= 1 and first["rank"] == 1
    assert np.isclose(first["ambiguity"]["threshold"], sample_service.searcher.thresholds.ambiguity_gap)


def test_pdf_passages_carry_one_based_pages(sample_service):
    result = sample_service.query("What happens when the best two scores are too close?", 5)
    pdf = [p for p in result.passages if p.source == "rag-app-guide.pdf"]
    assert pdf and pdf[0].page == 2
