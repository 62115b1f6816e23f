"""The real server, driven through gradio_client as a remote user would."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client, handle_file

from tests.conftest import AMBIGUITY_KEYS, PDF_FIXTURES, ROOT

# A hang (two requests at once) must fail this file in minutes, not hold CI for the global limit.
pytestmark = [pytest.mark.timeout(300), pytest.mark.slow, pytest.mark.server]


@pytest.fixture(scope="module")
def client(running_app):
    demo, _ = running_app
    client = Client(demo.local_url, verbose=False)
    yield client
    client.close()  # its worker pools are not daemons: left open, they are joined at exit


def upload(client, *paths, password=""):
    outcomes, _docs, _summary, _ = client.predict(
        [handle_file(str(p)) for p in paths], password, api_name="/upload"
    )
    return {row[0]: (row[1], row[2]) for row in outcomes["data"]}


def text_of(message) -> str:
    """Gradio 6 sends message content as a list of typed parts."""
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def ask(client, question):
    history, passages_html, result, _, _ = client.predict(question, [], api_name="/ask")
    return history, passages_html, result


def test_upload_pdf_then_ask(client):
    outcomes = upload(client, PDF_FIXTURES / "multipage-4-pages.pdf")
    assert outcomes["multipage-4-pages.pdf"][0] == "indexed"
    history, passages_html, result = ask(client, "What is this document about?")
    assert history[-1]["role"] == "assistant" and text_of(history[-1]).strip()
    assert result["results"] and all(-1 <= r["score"] <= 1 for r in result["results"])
    assert {r["page"] for r in result["results"]} <= {1, 2, 3, 4}
    assert set(result["ambiguity"]) == AMBIGUITY_KEYS
    assert "cosine" in passages_html and "multipage-4-pages.pdf, page" in passages_html


def test_twenty_questions_at_once(client):
    questions = [f"question number {i} about the document pages" for i in range(20)]
    jobs = [client.submit(q, [], api_name="/ask") for q in questions]
    try:
        results = [job.result(timeout=300) for job in jobs]
    finally:
        for job in jobs:  # none left running after a failure, to hang the run at exit
            job.cancel()
    assert len(results) == 20
    assert all(r[2]["query"] == q for r, q in zip(results, questions, strict=True))


def test_two_uploads_at_the_same_time(client):
    files = [PDF_FIXTURES / "two-column.pdf", PDF_FIXTURES / "single-page-text.pdf"]
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda p: upload(client, p), files))
    assert outcomes[0]["two-column.pdf"][0] == "indexed"
    assert outcomes[1]["single-page-text.pdf"][0] == "indexed"


def test_renamed_executable_is_rejected(client, tmp_path):
    fake = tmp_path / "invoice.pdf"
    fake.write_bytes(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 4000)
    outcomes = upload(client, fake)
    assert outcomes["invoice.pdf"][0] == "rejected"
    assert "ELF executable" in outcomes["invoice.pdf"][1]


def test_oversized_upload_is_refused(client, tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 300_000)  # 1.5 MB against the 1 MB limit
    with pytest.raises(Exception, match=r"(?i)too large|exceeds|size"):
        upload(client, big)


def test_script_in_pdf_text_is_escaped(client, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample_pdf", ROOT / "scripts" / "make_sample_pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hostile = tmp_path / "hostile.pdf"
    hostile.write_bytes(
        module.build_pdf([("Hostile", "Zebra facts <script>alert('pwned')</script> zebras run.")])
    )
    assert upload(client, hostile)["hostile.pdf"][0] == "indexed"
    _, passages_html, result = ask(client, "zebra facts alert pwned")
    assert any("<script>" in r["text"] for r in result["results"])  # the text is kept as text...
    assert "<script>" not in passages_html and "&lt;script&gt;" in passages_html  # ...and never rendered


def test_upload_twice_and_under_another_name(client, tmp_path):
    first = tmp_path / "notes.txt"
    first.write_text("The blue whale is the largest animal ever known to have lived.")
    assert upload(client, first)["notes.txt"][0] == "indexed"
    assert upload(client, first)["notes.txt"] == ("skipped", "skipped: already indexed")
    twin = tmp_path / "copy" / "whales.txt"
    twin.parent.mkdir()
    twin.write_bytes(first.read_bytes())
    assert upload(client, twin)["whales.txt"] == ("skipped", "skipped: same content as notes.txt")
    first.write_text("The blue whale is the largest animal ever known. It eats krill.")
    status, details = upload(client, first)["notes.txt"]
    assert status == "indexed" and "replaced the earlier version" in details


def test_delete_from_the_app(client, running_app, tmp_path):
    _, service = running_app
    doomed = tmp_path / "doomed.txt"
    doomed.write_text("Ostriches cannot fly but they run very fast indeed.")
    upload(client, doomed)
    docs, _summary, _choices = client.predict("doomed.txt", api_name="/delete")
    assert "doomed.txt" not in [row[0] for row in docs["data"]]
    assert "doomed.txt" not in [d["source"] for d in service.documents()]
    with pytest.raises(Exception, match=r"not in the list of choices|No document named"):
        client.predict("doomed.txt", api_name="/delete")


def test_inspector_shows_vector_values(client):
    summary, _plot, table = client.predict("I want something to eat", "I am hungry", api_name="/inspect")
    assert "384" in summary and "Cosine similarity of the two queries" in summary
    assert len(table["data"]) == 50 and len(table["headers"]) == 2


def test_a_follow_up_is_answered_with_the_chat_so_far(client):
    """The chat passes what was said before: "And on Sundays?" alone is refused (best passage 0.39)."""
    upload(client, ROOT / "sample_docs" / "everyday.md")
    first, _, _ = ask(client, "When does the library open on Saturdays?")
    history, _, result, _, _ = client.predict("And on Sundays?", first, api_name="/ask")
    shown = text_of(history[-1])
    assert "closed on Sundays" in shown and "Searched for" in shown and not result["refused"]
    assert result["searched_for"] == ["And on Sundays?", "When does the library open on Saturdays?"]
