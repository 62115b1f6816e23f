"""The renderers are pure functions: everything from a document or a model is escaped."""

from __future__ import annotations

import numpy as np

from rag_app.answer.citations import Citation
from rag_app.answer.pipeline import Answer
from rag_app.retrieval.results import Passage, RetrievalResult, ambiguity_verdict
from rag_app.retrieval.thresholds import MINILM
from rag_app.ui.render import render_answer, render_banner, render_passages


def result(*scores: float) -> RetrievalResult:
    passages = [
        Passage(i + 1, s, f"<img src=x onerror=alert({i})> text {i}", "<b>a.pdf</b>", i + 1, f"c{i}")
        for i, s in enumerate(scores)
    ]
    for p in passages:  # as the searcher marks them
        p.relevant = p.score >= MINILM.relevant
    return RetrievalResult(
        "q", passages, ambiguity_verdict(list(scores), MINILM.ambiguity_gap), MINILM, np.zeros(4)
    )


def test_passages_are_escaped_coloured_and_paged():
    html = render_passages(result(0.9, 0.2))
    assert "<img" not in html and "&lt;img src=x" in html and "&lt;b&gt;a.pdf&lt;/b&gt;, page 1" in html
    assert html.count("--c:#2e9d4f") == 1 and html.count("--c:#c98a00") == 1  # one relevant, one weak
    assert "Top-3 ambiguity" not in html


def test_close_scores_get_the_ambiguity_warning_and_an_empty_store_says_so():
    assert "Top-3 ambiguity" in render_passages(result(0.61, 0.60, 0.3))
    assert "knowledge base is empty" in render_passages(result())


def test_answer_lists_its_sources_what_was_left_out_and_notices():
    answer = Answer(
        "Beijing [1].",
        [Citation(1, "guide.pdf", 3, "c", attributed=True)],
        "x",
        result(0.9),
        notices=["fell back"],
        unsupported=["Since 1997 [1]."],
    )
    text = render_answer(answer)
    # The answer's [1] opens its passage (c0, rank 1 of the retrieval); the Sources line stays text.
    assert text.startswith('Beijing <a class="cite" href="#cite-c0" title="Open passage 1">[1]</a>.')
    assert "**Sources:** \\[1\\] guide.pdf, p. 3 (matched)" in text and "_fell back_" in text
    assert "Left out, not supported by the passages:** ~~“Since 1997 \\[1\\].”~~" in text


def test_model_and_document_text_cannot_become_markup():
    from rag_app.ui.render import safe_text

    shown = safe_text("See ![pixel](http://tracker.invalid/p.png) <img src=x onerror=alert(1)> **bold** [1]")
    assert "![" not in shown and "](" not in shown and "<img" not in shown and "**" not in shown
    assert (
        shown.replace("\\", "")
        == "See ![pixel](http://tracker.invalid/p.png) &lt;img src=x onerror=alert(1)&gt; **bold** [1]"
    )


def test_banner_names_the_model_and_the_fallback():
    info = {
        "name": "m<x>",
        "dimensions": 384,
        "device": "cpu",
        "dtype": "float32",
        "is_fallback": True,
        "reason": "no <Qwen3>",
    }
    banner = render_banner(info, "extractive")
    assert (
        "m&lt;x&gt; · 384 dims" in banner
        and "Offline model in use" in banner
        and "no &lt;Qwen3&gt;" in banner
    )
    assert "Other languages" not in banner
    banner = render_banner({**info, "second_model": "usem<3>"}, "extractive")
    assert "**Other languages:** usem&lt;3&gt;" in banner
    assert "Words" not in banner  # the usual word matching goes unsaid
    old_server = {**info, "lexical": "local BM25 (server v2.3<5> has none)", "lexical_fallback": True}
    assert "**Words:** local BM25 (server v2.3&lt;5&gt; has none)" in render_banner(old_server, "x")


def test_documents_table_says_what_read_each_file_and_what_it_could_not():
    from rag_app.ui.render import documents_frame

    frame = documents_frame(
        [
            {
                "source": "scan.pdf",
                "chunks": 9,
                "pages": 4,
                "extractors": {"pdfium": 2, "ocr": 1},
                "unreadable_pages": [[3, "timed out (over 30 s)"]],
            },
            {"source": "notes.md", "chunks": 2, "pages": None},
        ]
    )
    assert frame.values.tolist() == [["scan.pdf", 9, 4, "pdfium 2, ocr 1", "3"], ["notes.md", 2, "", "", ""]]


def test_the_score_that_ranked_is_shown_labelled_and_a_meaningless_cosine_is_grey():
    r = result(0.51, 0.52)
    r.rank_by = "fused"
    for p, fused in zip(r.passages, (0.83, 0.82), strict=True):
        p.rank_score = fused
    r.ambiguity = ambiguity_verdict([0.83, 0.82], 0.02, score="fused")
    html = render_passages(r)
    assert "fused score <b>0.830</b> (ranked by)" in html and "cosine <b>0.510</b>" in html
    assert "fused score gap between ranks 1 and 2" in html  # the warning names its score
    assert "a fused score gap under 0.02" in html  # and the legend uses the same figure
    r.evidence = "lexical"
    assert render_passages(r).count("not meaningful for this model") == 2


def test_the_chat_reaches_the_conversation_as_what_was_asked_and_answered():
    from rag_app.ui.conversation import plain_history

    shown = [
        {"role": "user", "content": [{"type": "text", "text": "When does the library open on Saturdays\\?"}]},
        {
            "role": "assistant",
            "content": "⚠️ **Low confidence:** close call\n\nAt ten on Saturdays. \\[1\\]\n\n**Sources:** \\[1\\] a.md",
        },
        {"role": "system", "content": "ignored"},
    ]
    assert plain_history(shown) == [
        {"role": "user", "content": "When does the library open on Saturdays?"},
        {"role": "assistant", "content": "At ten on Saturdays. [1]"},
    ]


def test_only_the_answers_own_citations_become_links_and_ids_never_carry_markup():
    answer = Answer("Beijing [1]. See [7].", [Citation(1, "guide.pdf", 3, "c0")], "x", result(0.9, 0.8))
    text = render_answer(answer)
    assert text.count('class="cite"') == 1 and "See \\[7\\]." in text  # [7] cites nothing: plain text
    hostile = result(0.9)
    hostile.passages[0].chunk_id = '"><script>x</script>'
    plain = render_answer(Answer("Beijing [1].", [Citation(1, "g", 1, "x")], "x", hostile))
    assert "<script>" not in plain and 'class="cite"' not in plain
