"""The real Qwen3 code path, on a tiny Qwen3 built at test time and loaded like a real one."""

from __future__ import annotations

import numpy as np
import pytest

from prompts.embedding import DEFAULT_QUERY_TASK, format_query
from rag_app.embeddings.local import LocalEmbeddings, Qwen3Embeddings, embeddings_for
from rag_app.embeddings.models import ModelNotFoundError


@pytest.fixture(scope="module")
def qwen(tiny_qwen3_dir):
    return embeddings_for(str(tiny_qwen3_dir), dimensions=None, dtype="float32")


def test_resolves_as_qwen3_with_last_token_pooling(qwen):
    info = qwen.model_info()
    assert isinstance(qwen, Qwen3Embeddings)
    assert info["pooling"] == "last" and info["instruction_aware"] is True
    assert qwen.tokenizer.padding_side == "left"


def test_text_alone_equals_text_in_a_batch_of_longer_texts(qwen):
    short = "The capital of China is Beijing."
    longer = [
        short + " Gravity is a force that attracts two bodies towards each other." * n for n in (1, 3, 6)
    ]
    alone = qwen.encode([short])[0]
    batched = qwen.encode([*longer, short])[-1]
    assert np.max(np.abs(alone - batched)) < 1e-4


def test_dimensions_cut_is_normalised_prefix(tiny_qwen3_dir, qwen):
    full = qwen.encode(["Apples are a tasty fruit."])[0]
    cut = embeddings_for(str(tiny_qwen3_dir), dimensions=16, dtype="float32").encode(
        ["Apples are a tasty fruit."]
    )[0]
    assert cut.shape == (16,)
    assert np.isclose(np.linalg.norm(cut), 1.0, atol=1e-6)
    np.testing.assert_allclose(cut, full[:16] / np.linalg.norm(full[:16]), atol=1e-5)


def test_instruction_reaches_queries_and_never_documents(qwen):
    text = "What is the capital of China?"
    assert qwen.query_text(text) == f"Instruct: {DEFAULT_QUERY_TASK}\nQuery:{text}"
    as_query = np.array(qwen.embed_query(text))
    as_document = np.array(qwen.embed_documents([text])[0])
    raw_instructed = qwen.encode([format_query(DEFAULT_QUERY_TASK, text)])[0]
    np.testing.assert_allclose(as_query, raw_instructed, atol=1e-5)
    assert not np.allclose(as_query, as_document, atol=1e-3)


def test_custom_task_is_used(tiny_qwen3_dir):
    emb = embeddings_for(str(tiny_qwen3_dir), query_task="Find recipes")
    assert emb.query_text("soup") == "Instruct: Find recipes\nQuery:soup"


def test_invalid_dimensions_name_the_valid_range(tiny_qwen3_dir):
    with pytest.raises(ValueError, match=r"choose 1\.\.64"):
        embeddings_for(str(tiny_qwen3_dir), dimensions=1024)


def test_construction_needs_no_weights():
    emb = Qwen3Embeddings(model="/nonexistent/Qwen3-Embedding-4B")
    with pytest.raises(ModelNotFoundError, match="never downloads"):
        emb.embed_query("hello")


def test_qwen3_class_refuses_other_architectures():
    with pytest.raises(ValueError, match="not a Qwen3 model"):
        Qwen3Embeddings(model="bundled").embed_query("x")


def test_progress_callback_reports_each_batch(tiny_qwen3_dir):
    seen: list[tuple[int, int]] = []
    emb = embeddings_for(str(tiny_qwen3_dir), batch_size=2, progress=lambda d, t: seen.append((d, t)))
    emb.embed_documents([f"text number {i}" for i in range(5)])
    assert seen == [(2, 5), (4, 5), (5, 5)]


async def test_async_matches_sync(qwen):
    assert np.allclose(await qwen.aembed_query("hi there"), qwen.embed_query("hi there"), atol=1e-6)


def test_bundled_model_is_an_encoder_without_instruction(bundled_embeddings):
    assert isinstance(bundled_embeddings, LocalEmbeddings)
    assert bundled_embeddings.query_text("x") == "x"
    assert bundled_embeddings.model_info()["is_fallback"] is True


def test_progress_argument_overrides_the_field_and_reaches_only_its_caller(tiny_qwen3_dir):
    field_calls: list[tuple[int, int]] = []
    mine: list[tuple[int, int]] = []
    emb = embeddings_for(str(tiny_qwen3_dir), batch_size=2, progress=lambda d, t: field_calls.append((d, t)))
    emb.encode_documents(["a b", "c d", "e f"], progress=lambda d, t: mine.append((d, t)))
    assert mine == [(2, 3), (3, 3)]
    assert field_calls == []
    emb.encode_queries(["a question"])  # queries report nothing
    assert field_calls == []


@pytest.mark.parametrize("budget", [1, 7, 16, 10_000])
def test_token_budget_batches_cover_every_text_once_within_limits(tiny_qwen3_dir, budget):
    emb = embeddings_for(str(tiny_qwen3_dir), batch_size=3, batch_tokens=budget)
    lengths = [9, 1, 4, 4, 12, 2, 7, 3]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches = emb._batches(order, lengths)
    assert [i for b in batches for i in b] == order
    for b in batches:
        assert 1 <= len(b) <= 3
        assert len(b) == 1 or max(lengths[i] for i in b) * len(b) <= budget


def test_token_budget_does_not_change_the_vectors(tiny_qwen3_dir):
    texts = [("word " * n).strip() for n in (40, 3, 17, 1, 25, 8, 60, 2)]
    # fp32 whatever the CPU: in bf16 (the auto choice where the CPU computes it) padding alone
    # moves values by ~1e-3, which is bf16's precision and not what this test is about.
    small = embeddings_for(str(tiny_qwen3_dir), batch_tokens=16, dtype="float32").embed_documents(texts)
    large = embeddings_for(str(tiny_qwen3_dir), batch_tokens=100_000, dtype="float32").embed_documents(texts)
    assert np.abs(np.array(small) - np.array(large)).max() < 1e-4
