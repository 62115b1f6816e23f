"""Example questions: a stating sentence turned back into the question it answers, and only those the
app answers from their own document are offered."""

from __future__ import annotations

import pytest

from rag_app.conversation.starters import Starter, pick, question_for
from tests.conftest import SAMPLE_DOCS


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("Gravity is a force that pulls two bodies towards each other.", "What is gravity?"),
        ("The capital of China is Beijing.", "What is the capital of China?"),
        ("Apples are a tasty fruit that many people enjoy.", "What are apples?"),
        ("Green tea is made by steeping dried leaves in water.", "How is green tea made?"),
        (
            "The public library opens at nine in the morning on weekdays.",
            "When does the public library open?",
        ),
        ("长城是古代中国修建的防御工程，总长度超过两万公里。", "长城是什么？"),
        ("Ein Homöomorphismus ist eine stetige Bijektion.", "Was ist Homöomorphismus?"),
    ],
)
def test_a_stating_sentence_becomes_the_question_it_answers(sentence, question):
    assert question_for(sentence) == question


@pytest.mark.parametrize(
    "sentence",
    [
        "It is closed on Sundays.",  # "it": nothing to ask about without the sentence before
        "Every passage is shown with its cosine.",
        "highest cosine similarity are shown first.",  # a wrapped PDF line, not a sentence's start
        "Walking for half an hour a day helps keep the heart healthy.",  # states no "is" or "when"
        "Hi.",
    ],
)
def test_other_sentences_give_no_question(sentence):
    assert question_for(sentence) is None


def test_a_name_keeps_its_capital_where_the_text_writes_it_inside_a_sentence():
    context = "The capital of China is Beijing. Beijing is a very old city."
    assert question_for("Beijing is a very old city.", context) == "What is Beijing?"
    assert question_for("Gravity is a force.", "Gravity is a force. It pulls.") == "What is gravity?"


def test_only_questions_answered_from_their_own_document_are_picked_one_document_at_a_time():
    found = [Starter("What is a?", "a.md"), Starter("What is b?", "a.md"), Starter("What is c?", "c.md")]
    answers = {"What is a?": "elsewhere.md", "What is b?": "a.md", "What is c?": "c.md"}
    assert pick(found, answers.get, count=4) == ["What is c?", "What is b?"]
    assert pick(found, answers.get, count=1) == ["What is c?"]


@pytest.mark.slow
def test_the_sample_documents_offer_questions_the_app_answers_from_them(tmp_path):
    from rag_app.service import RagService
    from rag_app.settings import Settings

    service = RagService(Settings(store_dir=tmp_path / "kb", embedding_model="bundled", llm="none"))
    service.ingest([SAMPLE_DOCS])
    questions = service.example_questions(4)
    assert len(questions) == 4 and len(set(questions)) == 4
    for question in questions:
        answer = service.answer(question)
        assert not answer.refused and answer.citations, question
