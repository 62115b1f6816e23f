"""What the extractive answer may quote, and the verdict on whether to answer, on hand-built passages."""

from __future__ import annotations

import numpy as np
import pytest

from rag_app.answer.extractive import choose, extractive_answer, score_units
from rag_app.answer.gate import judge
from rag_app.answer.units import units_of
from rag_app.retrieval.results import Passage, RetrievalResult, ambiguity_verdict
from rag_app.retrieval.thresholds import MINILM
from rag_app.text.prose import non_prose_reason
from rag_app.text.words import content_words

EU_TABLE = (
    "Table 1: EU Countries Information\n"
    "Country Population (millions) Area (km2\n"
    ") Capital Official Language\n"
    "Austria 8.9 83,879 Vienna German\n"
    "Denmark 5.8 42,951 Copenhagen Danish\n"
    "Finland 5.5 338,424 Helsinki Finnish, Swedish\n"
    "3"
)
LOREM = "Nam ipsum ligula, eleifend at, accumsan nec, suscipit a, ipsum. Morbi blandit ligula feugiat magna."


def passage(
    rank: int, score: float, text: str, *, relevant: bool | None = None, page: int | None = 1
) -> Passage:
    p = Passage(rank, score, text, f"doc{rank}.pdf", page, f"c{rank}")
    p.relevant = score >= MINILM.relevant if relevant is None else relevant
    return p


def result(question: str, *passages: Passage, evidence: str = "dense") -> RetrievalResult:
    verdict = ambiguity_verdict([p.score for p in passages], MINILM.ambiguity_gap)
    return RetrievalResult(question, list(passages), verdict, MINILM, None, "cosine", evidence)  # type: ignore[arg-type]


def quoted(question: str, *passages: Passage, vectors=None) -> str:
    return extractive_answer(choose(score_units(question, result(question, *passages), vectors)))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("44 2.3.", "number"),
        ("47 3.1. HOMOTOPIE VON WEGEN", "page header"),
        ("Page 3 of 10", "page header"),
        ("1.2 Metrische Räume . . . . . . . . 6", "contents"),
        ("# Team notes", "markup"),
        ("Everyday notes", "heading"),
        (LOREM, "filler"),
    ],
)
def test_the_furniture_of_a_document_is_named(line, reason):
    assert non_prose_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "The public library opens at nine.",
        "October 14, 1998",
        "password: asdfzxcv",
        "Finland 5.5 338,424 Helsinki Finnish, Swedish",
        "This is a sample document with two columns filled with Lorem Ipsum text.",
        "北京是中华人民共和国的首都。",
    ],
)
def test_facts_are_prose_even_when_short(line):
    assert non_prose_reason(line) is None


def test_a_table_row_is_quoted_with_its_column_headings():
    answer = quoted("What is the capital of Finland?", passage(1, 0.30, EU_TABLE))
    assert "Helsinki" in answer and answer.endswith("[1]")
    assert "Capital Official Language" in answer  # the header comes with the row
    assert "Austria" not in answer and "Denmark" not in answer


def test_headings_page_headers_and_markdown_are_never_quoted():
    text = (
        "# Team notes\n\n47 3.1. HOMOTOPIE VON WEGEN\n44 2.3.\nThe team meets every Monday at noon in room 4."
    )
    units = units_of(passage(1, 0.6, text))
    assert [u.text for u in units if u.skip is None] == ["The team meets every Monday at noon in room 4."]
    answer = quoted("When does the team meet?", passage(1, 0.6, text))
    assert answer == "The team meets every Monday at noon in room 4. [1]"


def test_lorem_ipsum_is_never_quoted_even_when_it_ranks():
    answer = quoted(
        "What does the note say about ligula?",
        passage(1, 0.5, "The note is short. It says the project starts in May."),
        passage(2, 0.45, LOREM),
    )
    assert "ipsum" not in answer.lower() and "ligula" not in answer.lower()


def test_a_passage_under_the_relevance_line_is_not_quoted_unless_it_ranks_first():
    tea = passage(
        1, 0.69, "Green tea is made by steeping dried leaves in hot water, for two to three minutes."
    )
    train = passage(2, 0.185, "The city train leaves the central station every thirty minutes.")
    answer = quoted("How long should green tea steep?", tea, train)
    assert "two to three minutes" in answer and "train" not in answer


def test_how_many_prefers_the_sentence_holding_the_number():
    text = (
        "The LinnSequencer is a composition and performance tool for the professional musician. "
        "Each of the 100 sequences contains 32 simultaneous, polyphonic tracks."
    )
    answer = quoted("How many tracks does the LinnSequencer have?", passage(1, 0.46, text))
    assert answer == "Each of the 100 sequences contains 32 simultaneous, polyphonic tracks. [1]"


def test_a_second_sentence_must_address_the_question_too():
    text = "The public library opens at ten on Saturdays. Bread keeps best in a paper bag."
    answer = quoted("When does the library open on Saturdays?", passage(1, 0.8, text))
    assert answer == "The public library opens at ten on Saturdays. [1]"


def test_meaning_picks_a_sentence_that_shares_no_word_when_vectors_say_so():
    text = "Apples are a tasty fruit. The train leaves every hour."
    fruit, train = np.array([1.0, 0.0]), np.array([0.0, 1.0])

    def vectors(texts):
        return np.stack([fruit if "Apples" in t else train for t in texts])

    question = "I want something to eat"
    r = result(question, passage(1, 0.5, text))
    r.query_vector = np.array([0.9, 0.1])
    chosen = choose(score_units(question, r, vectors))
    assert [s.unit.text for s in chosen] == ["Apples are a tasty fruit."]


def test_content_words_ignore_question_words_in_several_languages():
    assert content_words("Was ist ein zusammengesetzter Weg?") == {"zusammengesetzter", "weg"}
    assert content_words("How long should green tea steep?") == {"green", "tea", "steep"}
    assert content_words("Green tea is made by steeping leaves") >= {"green", "tea", "steep"}


def test_the_gate_answers_a_low_but_first_table_row_with_low_confidence_not_a_refusal():
    question = "What is the capital of Finland?"
    r = result(question, passage(1, 0.30, EU_TABLE))
    scored = score_units(question, r)
    verdict = judge(r, scored[0])
    assert verdict.state == "low_confidence" and "0.30" in verdict.reason


def test_the_gate_refuses_only_when_nothing_relevant_was_found():
    question = "Who won the 2018 football world cup?"
    r = result(question, passage(1, 0.16, "The public library opens at ten on Saturdays."))
    assert judge(r, (score_units(question, r) or [None])[0]).state == "refused"


def test_the_gate_answers_a_clear_match():
    question = "When does the library open on Saturdays?"
    r = result(question, passage(1, 0.83, "The public library opens at ten on Saturdays."))
    assert judge(r, score_units(question, r)[0]).state == "answered"


def test_a_language_the_model_cannot_read_is_judged_by_its_words():
    question = "图书馆周日开门吗？"
    hit = passage(1, 0.12, "图书馆周一至周五早上九点开门,周六十点开门,周日闭馆。", relevant=True, page=None)
    r = result(question, hit, evidence="lexical")
    assert judge(r, score_units(question, r)[0]).state == "answered"
    miss = passage(1, 0.9, "长城是古代中国修建的防御工程。", relevant=False, page=None)
    r = result(question, miss, evidence="lexical")
    verdict = judge(r, (score_units(question, r) or [None])[0])
    assert verdict.state == "refused" and "cannot compare this language by meaning" in verdict.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("} Primzahlen H = { z ∈ C | =z > 0 } obere Halbebene I = [0, 1]", "fragment"),  # cut at a chunk edge
        ("式,是一种表示化合物中各原子最简单整数比例的化学式。", "fragment"),
        ("H = { z ∈ C | =z > 0 }", "formula"),
        ("Sei f: [a, b] → R stetig.", None),  # a definition in words with its formula stays quotable
        ("It, however, works as the guide says.", None),
        ("b) r heißt Retraktion, wenn r|A = idA ist.", None),  # a list item, not a cut word
        ("Finland | Helsinki | 5.5 million", None),
        ("Apple Inc. | Q1 2023 Form 10-Q | 15", "page footer"),  # a filing's page foot
        ("Form 10-Q and in the Notes describe the significant accounting policies and", "fragment"),
        ("Die Abbildung f ist auf dem ganzen Intervall [a, b] stetig und", "fragment"),
        ("Cash paid for interest $ 2,590 $ 1,910", None),
    ],
)
def test_formulas_and_fragments_cut_at_a_chunk_edge_are_not_quoted(text, reason):
    from rag_app.text.prose import non_prose_reason

    assert non_prose_reason(text) == reason


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("The Reverend Mr. Black is a 1963 song. It was recorded in 1963.", 2),
        ("Drama flourished from c. 700 BC. Athens was its centre.", 2),
        ("J. R. R. Tolkien wrote it. He taught at Oxford.", 2),
        ("The rate was lower due to the U.S. federal rules. Then it rose.", 2),
        ("Das gilt z.B. hier. Dort nicht.", 2),
        ("We moved to the U.S. The rest is history.", 2),
        ("It ends here.\n\nA new paragraph.", 2),
    ],
)
def test_a_full_stop_after_an_abbreviation_or_initial_does_not_end_the_sentence(text, sentences):
    from rag_app.text.sentences import split_sentences

    assert len(split_sentences(text)) == sentences


def test_a_quote_is_never_cut_at_an_abbreviation():
    question = "Who wrote the song The Reverend Mr. Black?"
    text = "The Reverend Mr. Black is a 1963 song by Billy Edd Wheeler. It was recorded by The Kingston Trio."
    assert "by Billy Edd Wheeler" in quoted(question, passage(1, 0.7, text))


def test_a_best_sentence_sharing_no_word_and_far_in_meaning_is_a_refusal():
    # "Was ist eine Primzahl?" met a symbol table at 0.22 and quoted it as the answer.
    question = "Who won the 2018 football world cup?"
    r = result(question, passage(1, 0.5, "The public library opens at ten on Saturdays."))
    vectors = lambda texts: np.array([[0.2, (1 - 0.04) ** 0.5]] * len(texts), dtype=np.float32)  # noqa: E731
    r.query_vector = np.array([1.0, 0.0], dtype=np.float32)
    scored = score_units(question, r, vectors)
    assert scored[0].lexical == 0 and scored[0].semantic == pytest.approx(0.2)
    verdict = judge(r, scored[0])
    assert verdict.state == "refused" and "holds any of the question's words" in verdict.reason
    # close in meaning, it answers (marked low confidence: it shares no word)
    close = lambda texts: np.array([[0.6, 0.8]] * len(texts), dtype=np.float32)  # noqa: E731
    assert judge(r, score_units(question, r, close)[0]).state != "refused"


def test_a_question_about_a_quantity_prefers_the_row_holding_its_figure():
    question = "What effective tax rate did Apple report?"
    text = (
        "The effective tax rate was lower than the statutory rate due to foreign earnings.\n"
        "Effective tax rate 12.5 % 15.7 % 14.6 % 16.3 %\n"
    )
    assert "12.5" in quoted(question, passage(1, 0.7, text))


def test_a_row_line_carrying_a_cut_off_sentence_is_not_quoted():
    # SEC filings: figure lines that end in the next sentence's first words were quoted as fact.
    question = "How did Windows revenue change in the quarter?"
    cut_line = (
        "Windows Commercial revenue increased 8% driven by demand for Microsoft 365. Windows OEM revenue"
    )
    text = (
        "Windows revenue grew 5% in the quarter, driven by Windows Commercial.\n"
        "Windows revenue 5,100 4,846\n"
        f"{cut_line}\n"
    )
    units = {u.text: u for u in units_of(passage(1, 0.6, text))}
    assert units[cut_line].kind == "row" and units[cut_line].skip == "heading"  # it ends in a cut-off heading
    answer = quoted(question, passage(1, 0.6, text))
    assert "grew 5% in the quarter" in answer and "Windows OEM revenue" not in answer
    # a one-word cell is still a row worth quoting (the capital of Finland)
    assert "Helsinki" in quoted("What is the capital of Finland?", passage(1, 0.30, EU_TABLE))


def test_a_word_that_is_a_function_word_elsewhere_counts_in_an_english_question():
    # "war" and "die" are German function words: dropped from every question, "What caused the war?"
    # had no content word left, and "priced" never met "price".
    assert "war" in content_words("What caused the war?")
    assert "son" in content_words("how many chapters are in son by lois lowry")
    assert content_words("Wann war die Mauer hoch?") == {"mauer", "hoch"}
    assert content_words("price of ps3") & content_words("priced at US $499")
    assert content_words("tables") == content_words("table")


def test_a_documents_own_question_is_never_quoted_as_its_answer():
    # ClapNQ: "what are the sirens in o brother where art thou" was answered "O Brother, Where Art Thou? [1]".
    text = "O Brother, Where Art Thou?\nThe sirens are three women washing clothes in a river and singing."
    answer = quoted("what are the sirens in o brother where art thou", passage(1, 0.7, text))
    assert "Where Art Thou?" not in answer and "three women washing clothes" in answer


def test_a_first_passage_of_filler_gives_way_to_the_first_with_text():
    # two-column.pdf: a Lorem ipsum column ranked first, above the abstract that answers.
    question = "What is the two-column sample document filled with?"
    abstract = "This is a sample document with two columns filled with Lorem Ipsum text."
    answer = quoted(question, passage(1, 0.37, LOREM), passage(2, 0.27, abstract))
    assert answer == f"{abstract} [2]"
    # a passage under the line after one with text is still not quoted
    assert "Lorem Ipsum text" not in quoted(
        question, passage(1, 0.5, "The sample has two columns."), passage(2, 0.27, abstract)
    )


def test_a_wordless_best_sentence_under_a_title_naming_the_question_is_not_refused():
    # ClapNQ "where did the movie safe haven take place": the plot names no word of it, its title does.
    question = "where did the movie safe haven take place"
    text = "Safe Haven (film)\nA frightened woman flees her house in Boston, holding a bloody knife."
    r = result(question, passage(1, 0.55, text))
    far = lambda texts: np.array([[0.2, (1 - 0.04) ** 0.5]] * len(texts), dtype=np.float32)  # noqa: E731
    r.query_vector = np.array([1.0, 0.0], dtype=np.float32)
    scored = score_units(question, r, far)
    assert scored[0].lexical == 0
    assert judge(r, scored[0]).state != "refused"
