"""Answers on a person's own documents: the fixture PDFs and the sample documents, the bundled model,
the app's own service. Each case is one a new user met: refused with the answer ranked first, junk
quoted as cited fact, scores that contradict each other."""

from __future__ import annotations

import re
import shutil

import pytest

from rag_app.retrieval.thresholds import MULTILINGUAL
from rag_app.service import RagService
from rag_app.settings import Settings
from rag_app.text.scripts import cjk_share
from rag_app.ui.render import GREEN, render_passages
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
SAMPLES = ROOT / "sample_docs"


@pytest.fixture(scope="module")
def own(tmp_path_factory, bundled_embeddings, pdf_fixtures):
    folder = tmp_path_factory.mktemp("own-docs")
    for name in ("two-column.pdf", "scanned-4-pages-no-text.pdf"):
        shutil.copy(pdf_fixtures / name, folder / name)
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, folder / sample.name)
    (folder / "team.md").write_text("# Team notes\n\nThe team meets every Monday at noon in room 4.\n")
    (folder / "filler.txt").write_text(
        "Nam ipsum ligula, eleifend at, accumsan nec, suscipit a, ipsum. Morbi blandit ligula feugiat magna. "
        "Nunc eleifend consequat lorem. Sed lacinia nulla vitae enim.\n"
    )
    service = RagService(
        Settings(store_dir=tmp_path_factory.mktemp("own-store"), llm="none"), embeddings=bundled_embeddings
    )
    report = service.ingest([folder])
    assert not report.rejected, [o.line() for o in report.rejected]
    return service


def test_the_capital_of_finland_is_answered_from_the_table_on_page_3(own):
    answer = own.answer("What is the capital of Finland?")
    assert not answer.refused and "Helsinki" in answer.text
    assert answer.citations[0].source == "two-column.pdf" and answer.citations[0].page == 3


def test_the_green_tea_answer_quotes_no_train(own):
    answer = own.answer("How long should green tea steep?")
    assert "two to three minutes" in answer.text
    assert "train" not in answer.text.lower()


def test_how_many_tracks_quotes_the_32_track_line_of_the_scan(own):
    answer = own.answer("How many tracks does the LinnSequencer have?")
    assert not answer.refused and re.search(r"\b32\b", answer.text)
    assert answer.citations[0].source == "scanned-4-pages-no-text.pdf" and answer.citations[0].page == 1


def test_the_scan_answers_what_the_linnsequencer_is(own):
    answer = own.answer("What is the LinnSequencer?")
    assert not answer.refused and "LinnSequencer" in answer.text
    assert answer.citations[0].page == 1


def test_a_markdown_heading_is_never_quoted(own):
    answer = own.answer("When does the team meet?")
    assert "Monday" in answer.text and "#" not in answer.text and "Team notes" not in answer.text


def test_filler_text_is_never_quoted(own):
    answer = own.answer("What does the note about ligula and magna say?")
    assert "ipsum" not in answer.text.lower() and "ligula" not in answer.text.lower()


def test_the_ambiguity_question_quotes_the_guide_not_a_page_header(own):
    answer = own.answer("When does the app show a Top-3 ambiguity warning?")
    assert "0.02" in answer.text and not re.search(r"\b\d+ \d+\.\d+\.", answer.text)


def test_an_unrelated_question_is_refused_saying_nothing_relevant_was_found(own):
    answer = own.answer("Who won the 2018 football world cup?")
    assert answer.refused and "Nothing relevant was found" in answer.text


def test_no_passage_is_green_for_a_cosine_the_model_cannot_produce(own, english_only_service):
    # English-only: MiniLM's cosines for Chinese mean nothing, so the words decide the colour.
    result = english_only_service.query("长城有多长？")
    assert result.evidence == "lexical"
    html = render_passages(result)
    assert html.count("not meaningful for this model") == len(result.passages)
    segments = html.split("<div class='passage'")[1:]
    for p, segment in zip(result.passages, segments, strict=True):  # green by the words, never the cosine
        assert (f"--c:{GREEN}" in segment) == p.relevant
    # With the multilingual model beside it: every Chinese passage shows that model's cosine, and is
    # green exactly when that cosine clears the model's own relevance line.
    result = own.query("长城有多长？")
    assert result.evidence == "dense" and "not meaningful for this model" not in render_passages(result)
    segments = render_passages(result).split("<div class='passage'")[1:]
    main_model = own.embeddings.resolved.name
    for p, segment in zip(result.passages, segments, strict=True):
        if cjk_share(p.text) >= 0.3:
            assert p.scored_by != main_model
        assert p.relevant == (
            p.score >= MULTILINGUAL.relevant if p.scored_by != main_model else p.score >= 0.35
        )
        assert (f"--c:{GREEN}" in segment) == p.relevant
