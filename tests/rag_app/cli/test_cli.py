"""The CLI contract of ../shared/docs/ARCHITECTURE.md, run as a real subprocess."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import AMBIGUITY_KEYS, ROOT, run_cli

pytestmark = pytest.mark.slow

GOOD = {
    "single-page-text.pdf": [1],
    "multipage-4-pages.pdf": [1, 2, 3, 4],
    "two-column.pdf": [1, 2, 3],
    "chinese-product-table.pdf": [1],
    "chinese-kangxi-radicals.pdf": [1],
    "encrypted-empty-password-aes256.pdf": [1],
    "long-117-pages-german.pdf": list(range(1, 118)),
    "broken-pages-tree.pdf": [1],  # recovered by pdfminer.six
    "scanned-4-pages-no-text.pdf": [1, 2, 3, 4],  # through OCR
}
READ_BY = {"broken-pages-tree.pdf": "pdfminer", "scanned-4-pages-no-text.pdf": "ocr"}
BAD = {
    "encrypted-password-openpassword.pdf": "password-protected",
    "image-only-grayscale.pdf": "no extractable text (an image without legible text (OCR found none))",
    "blank-page.pdf": "empty",
    "invalid-44-bytes.pdf": "not a readable PDF",
}


rag_app = run_cli


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory, pdf_fixtures):
    store = tmp_path_factory.mktemp("cli") / "store"
    first = rag_app("ingest", "--store", str(store), str(pdf_fixtures))
    return store, first


def status_lines(stdout: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line)


def test_ingest_all_fixtures_reports_each_file(fixture_store):
    _, first = fixture_store
    assert first.returncode == 2, first.stderr
    lines = status_lines(first.stdout)
    for name in GOOD:
        assert (
            lines[name].startswith("indexed ") and f"(read by {READ_BY.get(name, 'pdfium')})" in lines[name]
        )
    assert lines["single-page-text.pdf"] == "indexed 1 chunk from 1 page (read by pdfium)"
    assert lines["long-117-pages-german.pdf"].endswith(" chunks from 117 pages (read by pdfium)")
    assert lines["scanned-4-pages-no-text.pdf"].endswith(" chunks from 4 pages (read by ocr)")
    assert "scanned-4-pages-no-text.pdf: OCR page 4 of 4" in first.stderr  # progress, page by page
    for name, reason in BAD.items():
        assert lines[name].startswith(f"rejected: {reason}"), (name, lines[name])


def test_second_run_adds_nothing(fixture_store, pdf_fixtures):
    store, _ = fixture_store
    before = json.loads(rag_app("list", "--store", str(store), "--json").stdout)["stats"]["vectors"]
    again = rag_app("ingest", "--store", str(store), str(pdf_fixtures))
    assert again.returncode == 2
    lines = status_lines(again.stdout)
    assert all(lines[name] == "skipped: already indexed" for name in GOOD)
    assert "scanned-4-pages-no-text.pdf: OCR" not in again.stderr  # skipped before parsing: not read again
    after = json.loads(rag_app("list", "--store", str(store), "--json").stdout)["stats"]["vectors"]
    assert after == before


def test_query_json_contract(fixture_store):
    store, _ = fixture_store
    out = rag_app("query", "--store", str(store), "-k", "4", "--json", "Wie sieht der Beweis aus?")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {
        "query",
        "model",
        "rank_by",
        "lexical",
        "results",
        "ambiguity",
        "searched_for",
        "conversation",
    }
    assert data["lexical"].startswith("local BM25 (SQLite FTS5")
    assert data["searched_for"] == ["Wie sieht der Beweis aus?"] and data["conversation"] is not None
    assert data["rank_by"] in {"cosine", "fused", "rrf", "bm25"}
    assert set(data["model"]) == {"name", "dimensions", "device"}
    assert set(data["ambiguity"]) == AMBIGUITY_KEYS
    assert len(data["results"]) == 4
    for rank, item in enumerate(data["results"], start=1):
        assert set(item) >= {"rank", "score", "text", "source", "page", "chunk_id", "extractor", "rank_score"}
        assert item["rank"] == rank and -1 <= item["score"] <= 1
        assert item["page"] in GOOD[item["source"]] and item["extractor"] == READ_BY.get(
            item["source"], "pdfium"
        )
        width, height = item["page_size"]  # where the passage stands: PDF points, origin bottom-left
        assert item["highlights"] and all(
            0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height for x0, y0, x1, y1 in item["highlights"]
        )


def test_pages_are_one_based_in_the_store_and_say_what_read_them(fixture_store):
    store, _ = fixture_store
    listing = json.loads(rag_app("list", "--store", str(store), "--json").stdout)["documents"]
    by_source = {d["source"]: d for d in listing}
    assert (
        by_source["long-117-pages-german.pdf"]["pages"] == 117
        and by_source["multipage-4-pages.pdf"]["pages"] == 4
    )
    assert by_source["scanned-4-pages-no-text.pdf"]["extractors"] == {"ocr": 4}
    assert by_source["two-column.pdf"]["extractors"] == {"pdfium": 3}


def test_no_ocr_rejects_the_scan_saying_why(tmp_path, pdf_fixtures):
    out = rag_app(
        "ingest",
        "--no-ocr",
        "--store",
        str(tmp_path / "s"),
        str(pdf_fixtures / "scanned-4-pages-no-text.pdf"),
    )
    assert out.returncode == 2
    assert "rejected: no extractable text (a scanned page without a text layer (OCR is off))" in out.stdout


def test_delete_and_missing_source(fixture_store):
    store, _ = fixture_store
    assert rag_app("delete", "--store", str(store), "single-page-text.pdf").returncode == 0
    missing = rag_app("delete", "--store", str(store), "single-page-text.pdf")
    assert missing.returncode == 1 and "no document named" in missing.stderr


@pytest.fixture
def weightless_model(tiny_qwen3_dir, tmp_path):
    """A model folder whose weights file is missing: anything that loads weights fails on it."""
    folder = tmp_path / "weightless"
    shutil.copytree(tiny_qwen3_dir, folder)
    (folder / "model.safetensors").unlink()
    return folder


def test_wrong_model_store_is_refused_before_any_weights_load(fixture_store, weightless_model):
    store, _ = fixture_store
    out = rag_app("query", "--store", str(store), "--embedding-model", str(weightless_model), "hello")
    assert out.returncode == 1
    assert "was built with sentence-transformers/all-MiniLM-L6-v2 (384 dims)" in out.stderr
    assert "--rebuild" in out.stderr


def test_list_answers_without_loading_any_model(fixture_store, weightless_model):
    store, _ = fixture_store
    out = rag_app("list", "--store", str(store), "--embedding-model", str(weightless_model), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["stats"]["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert {d["source"] for d in data["documents"]} >= {"two-column.pdf", "multipage-4-pages.pdf"}


def test_verify_reads_every_segment(fixture_store):
    store, _ = fixture_store
    out = rag_app("verify", "--store", str(store))
    assert out.returncode == 0 and "every vector file matches its checksum" in out.stdout


def test_rebuild_starts_an_empty_store(tmp_path, pdf_fixtures):
    store = tmp_path / "store"
    assert (
        rag_app("ingest", "--store", str(store), str(pdf_fixtures / "single-page-text.pdf")).returncode == 0
    )
    out = rag_app("ingest", "--rebuild", "--store", str(store), str(pdf_fixtures / "two-column.pdf"))
    assert out.returncode == 0, out.stderr
    listing = json.loads(rag_app("list", "--store", str(store), "--json").stdout)
    assert [d["source"] for d in listing["documents"]] == ["two-column.pdf"]


def test_ask_json_has_answer_citations_and_the_query_fields(fixture_store):
    store, _ = fixture_store
    out = rag_app(
        "ask", "--store", str(store), "--llm", "none", "--json", "-k", "3", "Wie sieht der Beweis aus?"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {
        "answer",
        "citations",
        "backend",
        "grounded",
        "results",
        "ambiguity",
        "model",
        "query",
    }
    assert data["backend"].startswith("extractive") and len(data["results"]) == 3
    for citation in data["citations"]:
        assert citation["source"] in GOOD and citation["page"] in GOOD[citation["source"]]


def test_the_same_commands_on_milvus_lite_give_the_same_answers_as_on_faiss(tmp_path):
    """`--vector-store milvus`: same ingest report, same JSON, same cosines; list and delete work."""
    outputs = {}
    for backend in ("faiss", "milvus"):
        store = str(tmp_path / backend)
        flags = ("--store", store, "--vector-store", backend)
        ingest = rag_app("ingest", *flags, str(ROOT / "sample_docs"))
        assert ingest.returncode == 0, ingest.stderr
        query = rag_app(
            "query", *flags, "--mode", "dense", "-k", "4", "--json", "What does the warranty cover?"
        )
        assert query.returncode == 0, query.stderr
        listed = rag_app("list", *flags)
        deleted = rag_app("delete", *flags, "everyday.md")
        after = rag_app("list", *flags)
        outputs[backend] = (
            ingest.stdout,
            json.loads(query.stdout),
            listed.stdout,
            deleted.returncode,
            after.stdout,
        )
    faiss_out, milvus_out = outputs["faiss"], outputs["milvus"]
    assert milvus_out[0] == faiss_out[0]
    ours, theirs = faiss_out[1]["results"], milvus_out[1]["results"]
    assert [(r["source"], r["page"], r["text"]) for r in theirs] == [
        (r["source"], r["page"], r["text"]) for r in ours
    ]
    assert [r["score"] for r in theirs] == pytest.approx([r["score"] for r in ours], abs=1e-5)
    assert milvus_out[3] == 0 and "everyday.md" in milvus_out[2] and "everyday.md" not in milvus_out[4]
    assert "Milvus" in milvus_out[4] and (tmp_path / "milvus" / "milvus.db").exists()
