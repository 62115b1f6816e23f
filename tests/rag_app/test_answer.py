from __future__ import annotations

import time

import pytest
from langchain_core.messages import HumanMessage

from rag_app.answer import answer_question, build_answer_chain, get_backend, stream_answer
from rag_app.chunking import split_sentences
from rag_app.llm import LLMError, OpenAICompatibleChat, parse_backend
from tests.rag_app.openai_double import FakeChatServer


def test_bundled_smollm2_answers_from_the_passage_and_cites_it(sample_service):
    answer = answer_question(
        sample_service, "How long does the warranty of the demo kit last?", llm_spec="smollm2"
    )
    assert answer.backend.startswith("SmolLM2")
    assert "24 months" in answer.text
    warranty = next(p for p in answer.retrieval.passages if "warranty" in p.text)
    assert [c.number for c in answer.citations] == [warranty.rank]
    assert answer.citations[0].source == "rag-app-guide.pdf" and answer.citations[0].page == 3
    assert f"[{warranty.rank}]" in answer.text


def test_local_llm_streams_token_by_token(sample_service):
    backend = get_backend("smollm2")
    arrivals = []
    for chunk in backend.model.stream([HumanMessage("Count from one to ten in words.")]):
        arrivals.append((time.monotonic(), chunk.content))
    assert len(arrivals) > 3
    assert arrivals[-1][0] - arrivals[0][0] > 0.05  # the first piece came well before the last


def test_extractive_answer_is_verbatim_and_cited(sample_service):
    answer = answer_question(sample_service, "When does the library open on Saturday?", llm_spec="none")
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
    answer = answer_question(sample_service, "Who won the 1998 football world cup?", llm_spec="none")
    assert not answer.grounded
    assert "do not seem to contain" in answer.text
    assert answer.retrieval.passages  # what was found is still shown


def test_openai_compatible_backend_streams_and_answers(sample_service):
    words = ["The ", "library ", "opens ", "at ", "ten ", "on ", "Saturdays ", "[1]."]
    with FakeChatServer(words, delay_s=0.15) as server:
        backend = parse_backend(f"openai:{server.base_url}#demo-model")
        retrieval = sample_service.query("When does the library open on Saturday?")
        first_token_at = None
        for kind, value in stream_answer(retrieval, backend):
            if kind == "token" and first_token_at is None:
                first_token_at = time.monotonic()
            if kind == "done":
                answer = value
        assert first_token_at is not None and first_token_at < server.last_sent_at  # streamed, not buffered
        assert answer.text == "".join(words).strip() and [c.number for c in answer.citations] == [1]
        assert server.requests[0]["model"] == "demo-model" and server.requests[0]["stream"] is True
        plain = OpenAICompatibleChat(base_url=server.base_url, model="demo-model").invoke("hi")
        assert plain.content == "".join(words)


def test_openai_error_reply_is_reported_and_falls_back(sample_service):
    with FakeChatServer(["x"]) as server:
        chat = OpenAICompatibleChat(base_url=server.base_url, model="broken")
        with pytest.raises(LLMError, match="500: model 'broken' is not loaded"):
            chat.invoke("hi")
        backend = parse_backend(f"openai:{server.base_url}#broken")
        retrieval = sample_service.query("When does the library open on Saturday?")
        answer = next(v for k, v in stream_answer(retrieval, backend) if k == "done")
        assert answer.backend.startswith("extractive")
        assert any("answered extractively" in n for n in answer.notices)


def test_unusable_backend_falls_back_with_a_notice():
    backend = parse_backend("hf:/no/such/model")
    assert backend.model is None and "never downloaded" in backend.notices[0]
    assert parse_backend("what").notices[0].startswith("LLM backend unavailable (unknown LLM setting")


def test_users_lcel_chain_with_our_retriever(sample_service):
    with FakeChatServer(["Beijing [1]."], delay_s=0) as server:
        chain = build_answer_chain(
            sample_service.retriever(k=2), OpenAICompatibleChat(base_url=server.base_url, model="m")
        )
        result = chain.invoke("What is the capital of China?")
        assert result["answer"] == "Beijing [1]." and len(result["documents"]) == 2
        prompt = server.requests[0]["messages"][-1]["content"]
        assert "[1]" in prompt and "capital of China" in prompt
