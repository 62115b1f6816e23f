"""Embeddings from a server: a real one (Infinity on 127.0.0.1, serving the bundled MiniLM and a tiny
Qwen3 built here) must give the vectors the in-process model gives; a test double plays the server
behaviours a real one will not show on demand (refusing ``dimensions``, ignoring it, 503s)."""

from __future__ import annotations

import numpy as np
import pytest

from rag_app.embeddings.local import embeddings_for
from rag_app.embeddings.served import EmbeddingServerError, ServedEmbeddings
from rag_app.service import RagService
from rag_app.settings import Settings
from tests.rag_app.embeddings.embedding_server import SERVER_BIN, InfinityServer
from tests.rag_app.embeddings.openai_double import FakeEmbeddingServer

DOCUMENTS = [
    "The Apple Macintosh was introduced in January 1984 with a graphical user interface.",
    "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "Revenue for the quarter rose 12% to $4.2 billion, driven by services.",
]
QUERIES = ["When was the Macintosh introduced?", "中国的首都是哪里？", "How do plants store energy?"]

needs_server = pytest.mark.skipif(
    not SERVER_BIN.exists(), reason=f"no embedding server installed at {SERVER_BIN} (`make test` builds it)"
)


def row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)


@pytest.fixture(scope="module")
def local_minilm():
    # float32 on both sides: the server computes in float32 on a CPU.
    return embeddings_for("bundled", dtype="float32")


@pytest.fixture(scope="module")
def minilm_server(local_minilm, tmp_path_factory):
    if not SERVER_BIN.exists():
        pytest.skip(f"no embedding server installed at {SERVER_BIN}")
    log = tmp_path_factory.mktemp("infinity") / "minilm.log"
    with InfinityServer(local_minilm.resolved.path, "minilm", log) as server:
        yield server


@pytest.fixture(scope="module")
def tiny_qwen3_served_dir(tmp_path_factory):
    from tests.tiny_qwen3 import add_sentence_transformers_files, build_tiny_qwen3

    return add_sentence_transformers_files(build_tiny_qwen3(tmp_path_factory.mktemp("tiny-qwen3-st")))


# ---- a real server agrees with the model in process -------------------------------------------


@needs_server
def test_served_minilm_gives_the_vectors_of_the_model_in_process(minilm_server, local_minilm):
    served = ServedEmbeddings(base_url=minilm_server.base_url, served_model="minilm")
    docs = served.encode_documents(DOCUMENTS)
    queries = served.encode_queries(QUERIES)
    assert docs.shape == (len(DOCUMENTS), 384) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-5)
    assert row_cosines(docs, local_minilm.encode_documents(DOCUMENTS)).min() >= 0.999
    assert row_cosines(queries, local_minilm.encode_queries(QUERIES)).min() >= 0.999
    # The same ranking follows: each query's best document is the one the local model picks.
    local = local_minilm.encode_queries(QUERIES) @ local_minilm.encode_documents(DOCUMENTS).T
    assert ((queries @ docs.T).argmax(axis=1) == local.argmax(axis=1)).all()


@needs_server
def test_served_matryoshka_cut_is_the_local_cut_renormalised(minilm_server, local_minilm):
    served = ServedEmbeddings(base_url=minilm_server.base_url, served_model="minilm", dimensions=64)
    cut = served.encode_documents(DOCUMENTS)
    assert cut.shape == (len(DOCUMENTS), 64)
    assert np.allclose(np.linalg.norm(cut, axis=1), 1, atol=1e-5)
    expected = local_minilm.encode_documents(DOCUMENTS)[:, :64]
    assert row_cosines(cut, expected).min() >= 0.999


@needs_server
def test_served_qwen3_adds_the_instruction_and_pools_the_last_token_like_the_local_wrapper(
    tiny_qwen3_served_dir, tmp_path
):
    local = embeddings_for(str(tiny_qwen3_served_dir), dimensions=32, dtype="float32")
    with InfinityServer(tiny_qwen3_served_dir, "tiny-qwen3-embedding", tmp_path / "qwen3.log") as server:
        served = ServedEmbeddings(
            base_url=server.base_url, served_model="tiny-qwen3-embedding", dimensions=32
        )
        assert served.adds_instruction  # by name, as for Qwen/Qwen3-Embedding-4B
        docs, queries = served.encode_documents(DOCUMENTS), served.encode_queries(QUERIES)
        # Without the instruction the served query vectors would be other vectors.
        bare = served.encode_documents(QUERIES)
    assert row_cosines(docs, local.encode_documents(DOCUMENTS)).min() >= 0.999
    assert row_cosines(queries, local.encode_queries(QUERIES)).min() >= 0.999
    assert row_cosines(bare, local.encode_queries(QUERIES)).max() < 0.99


# ---- what the client does for servers that do less ------------------------------------------


def unit_prefix(server: FakeEmbeddingServer, text: str, n: int) -> np.ndarray:
    v = np.asarray(server.raw_vector(text)[:n], dtype=np.float32)
    return v / np.linalg.norm(v)


def test_a_server_that_refuses_dimensions_is_asked_again_without_and_the_vectors_are_cut_here():
    with FakeEmbeddingServer(dimensions="reject") as server:
        emb = ServedEmbeddings(
            base_url=server.base_url, served_model="m", dimensions=16, batch_size=2, backoff_s=0
        )
        out = emb.encode_documents(DOCUMENTS)
    assert out.shape == (len(DOCUMENTS), 16)
    for row, text in zip(out, DOCUMENTS, strict=True):
        assert np.allclose(row, unit_prefix(server, text, 16), atol=1e-6)
    # Asked once with dimensions; after the refusal, never again (the second batch goes without).
    assert [("dimensions" in r) for r in server.requests] == [True, False, False]


def test_a_server_that_ignores_dimensions_gets_its_vectors_cut_and_normalised_here():
    with FakeEmbeddingServer(dimensions="ignore") as server:
        emb = ServedEmbeddings(base_url=server.base_url, served_model="m", dimensions=16)
        out = emb.encode_documents(DOCUMENTS)
        assert emb.model_info()["native_dimensions"] == 48
    for row, text in zip(out, DOCUMENTS, strict=True):
        assert np.allclose(row, unit_prefix(server, text, 16), atol=1e-6)


def test_without_a_cut_the_servers_size_is_used_and_vectors_are_still_unit_length():
    with FakeEmbeddingServer() as server:
        emb = ServedEmbeddings(base_url=server.base_url, served_model="m")
        assert emb.output_dimensions == 48  # learnt from the server
        out = emb.encode_documents(DOCUMENTS)
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-6)


def test_a_busy_server_is_retried_and_a_dead_one_named_in_the_error():
    with FakeEmbeddingServer(fail_first=2) as server:
        emb = ServedEmbeddings(base_url=server.base_url, served_model="m", backoff_s=0)
        assert emb.encode_documents(DOCUMENTS[:1]).shape == (1, 48)
        assert len(server.requests) == 3
    with FakeEmbeddingServer(fail_first=10) as server:
        emb = ServedEmbeddings(base_url=server.base_url, served_model="m", retries=1, backoff_s=0)
        with pytest.raises(EmbeddingServerError, match=r"answered 503.*\(2 tries\)"):
            emb.encode_documents(DOCUMENTS[:1])
    emb = ServedEmbeddings(base_url=server.base_url, served_model="m", retries=0)  # now closed
    with pytest.raises(EmbeddingServerError, match="could not be reached"):
        emb.encode_documents(DOCUMENTS[:1])


def test_a_400_that_asking_without_dimensions_does_not_cure_leaves_the_cut_on():
    # An over-long text gets a 400 whether or not ``dimensions`` is sent: that is no refusal of it.
    with FakeEmbeddingServer(fail_first=2, fail_status=400) as server:
        emb = ServedEmbeddings(base_url=server.base_url, served_model="m", dimensions=16, retries=0)
        with pytest.raises(EmbeddingServerError, match="answered 400"):
            emb.encode_documents(DOCUMENTS[:1])
        assert emb.encode_documents(DOCUMENTS[:1]).shape == (1, 16)
    assert [("dimensions" in r) for r in server.requests] == [True, False, True]


def test_a_nonsense_retry_after_is_not_obeyed():
    with FakeEmbeddingServer(fail_first=1, retry_after="-1") as server:
        emb = ServedEmbeddings(base_url=server.base_url, served_model="m", backoff_s=0)
        assert emb.encode_documents(DOCUMENTS[:1]).shape == (1, 48)


def test_credentials_in_the_servers_url_are_never_shown():
    with FakeEmbeddingServer(fail_first=10) as server:
        url = server.base_url.replace("//", "//alice:p@ss@", 1)
        emb = ServedEmbeddings(base_url=url, served_model="m", dimensions=16, retries=0)
        with pytest.raises(EmbeddingServerError) as caught:
            emb.encode_documents(DOCUMENTS[:1])
    shown = str(caught.value) + emb.model_info()["device"] + emb.resolved.reason
    assert "p@ss" not in shown and "alice" not in shown and "127.0.0.1" in shown


def test_a_server_that_loses_vectors_is_an_error_not_a_misaligned_index():
    with FakeEmbeddingServer(short_by=1) as server:
        emb = ServedEmbeddings(base_url=server.base_url, served_model="m")
        with pytest.raises(EmbeddingServerError, match="returned 1 vectors for 2 texts"):
            emb.encode_documents(DOCUMENTS[:2])


@pytest.mark.parametrize(
    ("model", "instructed"), [("Qwen/Qwen3-Embedding-4B", True), ("nomic-embed-text", False)]
)
def test_the_query_instruction_goes_on_qwen3_queries_only(model, instructed):
    with FakeEmbeddingServer(native=1024) as server:
        emb = ServedEmbeddings(base_url=server.base_url, served_model=model)
        emb.embed_documents(["a passage"])
        emb.embed_query("a question")
    doc_request, query_request = server.requests
    assert doc_request["input"] == ["a passage"]
    sent = query_request["input"][0]
    assert sent.endswith("Query:a question") is instructed
    assert sent.startswith("Instruct: ") is instructed
    # Qwen3's Matryoshka cut is asked for by default; other models get what they return.
    assert doc_request.get("dimensions") == (1024 if instructed else None)


# ---- the app on a served model ----------------------------------------------------------------


@needs_server
def test_a_server_lost_mid_ingest_loses_nothing_already_indexed(local_minilm, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in [
        ("a_macintosh.txt", DOCUMENTS[0]),
        ("b_beijing.txt", DOCUMENTS[1]),
        ("c_plants.txt", DOCUMENTS[2]),
    ]:
        (folder / name).write_text(text, encoding="utf-8")
    server = InfinityServer(local_minilm.resolved.path, "minilm", tmp_path / "server.log").start()
    try:
        spec = f"openai:{server.base_url}#minilm"
        settings = Settings(store_dir=tmp_path / "store", embedding_model=spec)
        emb = ServedEmbeddings(base_url=server.base_url, served_model="minilm", retries=1, backoff_s=0)
        service = RagService(settings, embeddings=emb)

        def stop_after_first_file(fraction: float, text: str) -> None:
            if text.startswith("a_macintosh.txt: indexed"):
                server.stop()

        report = service.ingest([folder], progress=stop_after_first_file)
    finally:
        server.stop()
    status = {o.source: (o.status, o.reason) for o in report.outcomes}
    assert status["a_macintosh.txt"][0] == "indexed"
    assert status["b_beijing.txt"][0] == "rejected"
    assert "could not be reached" in status["b_beijing.txt"][1]
    assert status["c_plants.txt"][0] == "rejected"
    assert status["c_plants.txt"][1].startswith("not embedded: ")

    # The server back (on another port): what was indexed is there, the rest goes in on a second try.
    with InfinityServer(local_minilm.resolved.path, "minilm", tmp_path / "server2.log") as again:
        settings = Settings(store_dir=tmp_path / "store", embedding_model=f"openai:{again.base_url}#minilm")
        service = RagService(settings)
        assert service.model_info()["name"] == "minilm (served)"
        assert [d["source"] for d in service.documents()] == ["a_macintosh.txt"]
        assert service.query("When was the Macintosh introduced?").passages[0].source == "a_macintosh.txt"
        second = service.ingest([folder])
        assert [o.status for o in second.outcomes] == ["skipped", "indexed", "indexed"]
        assert service.query("中国的首都是哪里？").passages[0].source == "b_beijing.txt"
