"""LangChain's standard embedding suites, run against Qwen3Embeddings on the tiny Qwen3."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from rag_app.embeddings.local import Qwen3Embeddings


@cache
def tiny_model_dir() -> str:
    """LangChain's suites read parameters from a property, not a fixture, so build once and clean up at exit."""
    from tests.tiny_qwen3 import build_tiny_qwen3

    folder = Path(tempfile.mkdtemp(prefix="tiny-qwen3-std-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return str(build_tiny_qwen3(folder))


class TestQwen3EmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[Qwen3Embeddings]:
        return Qwen3Embeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"model": "/not/loaded/at/construction", "dimensions": 32}


class TestQwen3EmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[Qwen3Embeddings]:
        return Qwen3Embeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"model": tiny_model_dir(), "dimensions": 32}
