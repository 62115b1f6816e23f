"""An LLM URL's password never reaches a person: not `ask --json`, not its stderr, not the served banner
(``/config``) nor an answer's notices. Port 9 (discard) on loopback: the LLM is never reached."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from gradio_client import Client

from rag_app.settings import Settings
from tests.conftest import ROOT
from tests.rag_app.ui.conftest import serve

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.timeout(300)]
WITH_MODEL = "openai:http://user:s3cret@127.0.0.1:9/v1#m"
WITHOUT_MODEL = "openai:http://user:s3cret@127.0.0.1:9/v1"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("secrets")
    doc = root / "owls.txt"
    doc.write_text("The owl museum opens at noon and keeps forty barn owls in its gardens.")
    rag = [sys.executable, "-m", "rag_app.cli"]
    env = {**os.environ, "RAG_EMBEDDING_MODEL": "bundled", "RAG_MULTILINGUAL": "off"}
    done = subprocess.run([*rag, "ingest", "--store", str(root / "kb"), str(doc)], cwd=ROOT, env=env)
    assert done.returncode == 0
    return root / "kb", rag, env


@pytest.mark.parametrize("spec", [WITH_MODEL, WITHOUT_MODEL])
def test_ask_never_prints_the_llm_password(store, spec):
    kb, rag, env = store
    out = subprocess.run(
        [*rag, "ask", "--json", "--llm", spec, "--store", str(kb), "When does the owl museum open?"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert '"notices"' in out.stdout and "127.0.0.1:9" in out.stdout  # the notice is there, redacted
    assert "s3cret" not in out.stdout and "s3cret" not in out.stderr


def test_the_served_banner_and_notices_never_show_the_llm_password(store, bundled_embeddings, tmp_path):
    from rag_app.service import RagService

    kb, _rag, _env = store
    settings = Settings(store_dir=kb, llm=WITH_MODEL, multilingual="off")
    demo = serve(settings, RagService(settings, embeddings=bundled_embeddings))
    try:
        config = httpx.get(f"{demo.local_url}config").text
        assert "127.0.0.1:9" in config and "s3cret" not in config
        assert "s3cret" not in httpx.get(demo.local_url).text
        client = Client(demo.local_url, verbose=False)
        history, _html, result, _, _ = client.predict("When does the owl museum open?", [], api_name="/ask")
        client.close()
        assert "s3cret" not in str(history) and "s3cret" not in str(result)
    finally:
        demo.close()
