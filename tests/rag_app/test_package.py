from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_public_names_are_importable_and_the_right_kinds():
    from langchain_core.embeddings import Embeddings
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.vectorstores import VectorStore

    import rag_app

    assert issubclass(rag_app.Qwen3Embeddings, Embeddings)
    assert issubclass(rag_app.FaissStore, VectorStore)
    assert issubclass(rag_app.RagRetriever, BaseRetriever)


def test_importing_the_packages_loads_no_heavy_libraries():
    code = "import rag_app, loaders, prompts, sys; print(sorted(m for m in ('torch','gradio','faiss') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_settings_precedence_flags_over_env_over_defaults():
    from rag_app.settings import Settings

    env = {"RAG_TOP_K": "7", "RAG_LLM": "none", "RAG_STORE_DIR": "/tmp/x"}
    settings = Settings.from_env(env, llm="smollm2")
    assert settings.top_k == 7 and settings.llm == "smollm2" and str(settings.store_dir) == "/tmp/x"
    assert Settings.from_env({}).retrieval_mode == "auto"
