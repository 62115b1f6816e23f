from __future__ import annotations

import threading

import pytest
from langchain_core.messages import HumanMessage

from rag_app.answer import build_answer_chain, stream_answer
from rag_app.chunking import split_sentences
from rag_app.llm import openai_chat, parse_backend
from tests.rag_app.openai_double import FakeChatServer

pytestmark = pytest.mark.slow


def answer_with(retrieval, backend):
    return next(value for kind, value in stream_answer(retrieval, backend) if kind == "done")


def test_bundled_smollm2_answers_and_its_citations_point_at_real_passages(sample_service):
    retrieval = sample_service.query("How long does the warranty of the demo kit last?")
    answer = answer_with(retrieval, parse_backend("smollm2"))
    assert answer.backend.startswith("SmolLM2") and answer.text.strip()
    by_rank = {p.rank: p for p in retrieval.passages}
    for citation in answer.citations:
        passage = by_rank[citation.number]
        assert (citation.source, citation.page, citation.chunk_id) == (
            passage.source,
            passage.page,
            passage.chunk_id,
        )


def test_local_llm_streams_piece_by_piece():
    chunks = [
        c.content
        for c in parse_backend("smollm2").model.stream([HumanMessage("Count from one to ten in words.")])
    ]
    assert len(chunks) > 3 and all(isinstance(c, str) for c in chunks)


def test_extractive_answer_is_verbatim_and_cited(sample_service):
    retrieval = sample_service.query("When does the library open on Saturday?")
    answer = answer_with(retrieval, parse_backend("none"))
    assert answer.backend.startswith("extractive") and answer.citations
    by_rank = {p.rank: p for p in answer.retrieval.passages}
    pieces = [piece.strip() for piece in answer.text.split("]") if piece.strip()]
    for piece in pieces:
        sentence, _, number = piece.rpartition("[")
        passage = by_rank[int(number)].text
        sentences = [passage[s:e].strip() for s, e in split_sentences(passage)]
        assert sentence.strip() in sentences
    assert "ten on Saturdays" in answer.text


def test_unrelated_question_says_the_documents_do_not_contain_it(sample_service):
    answer = answer_with(sample_service.query("Who won the 1998 football world cup?"), parse_backend("none"))
    assert not answer.grounded
    assert "do not seem to contain" in answer.text
    assert answer.retrieval.passages  # what was found is still shown


def test_openai_compatible_backend_streams_and_answers(sample_service):
    words = ["The ", "library ", "opens ", "at ", "ten ", "on ", "Saturdays ", "[1]."]
    gate = threading.Event()
    with FakeChatServer(words, gate) as server:
        backend = parse_backend(f"openai:{server.base_url}#demo-model")
        events = stream_answer(sample_service.query("When does the library open on Saturday?"), backend)
        kind, first = next(events)
        # The server holds back every word after the first until the gate opens: receiving the
        # first one now proves the answer is streamed, not buffered.
        assert (kind, first) == ("token", "The ")
        gate.set()
        answer = next(value for kind, value in events if kind == "done")
        assert answer.text == "".join(words).strip() and [c.number for c in answer.citations] == [1]
        assert server.requests[0]["model"] == "demo-model" and server.requests[0]["stream"] is True
        assert openai_chat(server.base_url, "demo-model", None).invoke("hi").content == "".join(words)


def test_openai_error_reply_is_reported_and_falls_back(sample_service):
    with FakeChatServer(["x"]) as server:
        backend = parse_backend(f"openai:{server.base_url}#missing")
        answer = answer_with(sample_service.query("When does the library open on Saturday?"), backend)
        assert answer.backend.startswith("extractive")
        assert any("model 'missing' not found" in n and "answered extractively" in n for n in answer.notices)


def test_unusable_backend_falls_back_with_a_notice():
    backend = parse_backend("hf:/no/such/model")
    assert backend.model is None and "never downloaded" in backend.notices[0]
    assert parse_backend("what").notices[0].startswith("LLM backend unavailable (unknown LLM setting")


def test_users_lcel_chain_with_our_retriever(sample_service):
    with FakeChatServer(["Beijing [1]."]) as server:
        chain = build_answer_chain(sample_service.retriever(k=2), openai_chat(server.base_url, "m", None))
        result = chain.invoke("What is the capital of China?")
        assert result["answer"] == "Beijing [1]." and len(result["documents"]) == 2
        prompt = server.requests[0]["messages"][-1]["content"]
        assert "[1]" in prompt and "capital of China" in prompt
