"""The package's shape: public names, no import-time work, one door into the core, honest dependencies."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys

import pytest
import tomllib

from tests.conftest import ROOT

# Ours: the packages, the tests, the benchmarks' helpers, and verdict.py, which the PDF worker loads by path.
OURS = {
    "rag_app",
    "loaders",
    "prompts",
    "tests",
    "common",
    "sec10q",
    "verdict",
    "answer_sets",
    "answer_metrics",
    "eval_answers",
    "eval_retrieval",
}
# Declared but never imported by our code, each for a reason a reader can check.
RUNTIME_ONLY = {
    "gguf": "transformers needs it to read SmolLM2's GGUF file",
    "accelerate": "transformers needs it to load SmolLM2's GGUF file",
    "cryptography": "pypdf needs it to open AES-encrypted PDFs",
    "onnxruntime": "rapidocr runs its models on it",
    "milvus-lite": "pymilvus runs Milvus Lite from it for a ./file.db URI",
    "defusedxml": "openpyxl parses spreadsheets' XML through it when it is installed",
    "python-multipart": "FastAPI reads the HTTP API's multipart uploads with it",
}
# Imported only where present, never required.
OPTIONAL_IMPORTS = {"flash_attn": "used for Qwen3 on CUDA when installed"}
DEV_ONLY = {
    "pytest-timeout": "a pytest plugin (timeout = ... in pyproject)",
    "pytest-asyncio": "a pytest plugin (asyncio_mode = auto in pyproject)",
    "ruff": "the linter `make test` runs",
    "sentence-transformers": "HuggingFaceEmbeddings (the LangChain recipe in benchmarks/) runs on it",
}


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


def test_settings_precedence_flags_over_env_over_defaults(monkeypatch):
    from rag_app.settings import Settings

    monkeypatch.setenv("RAG_TOP_K", "7")
    monkeypatch.setenv("RAG_LLM", "none")
    monkeypatch.setenv("RAG_STORE_DIR", "/tmp/x")
    settings = Settings.from_env(llm="smollm2", top_k=None)
    assert settings.top_k == 7 and settings.llm == "smollm2" and str(settings.store_dir) == "/tmp/x"
    monkeypatch.delenv("RAG_TOP_K")
    assert Settings.from_env().top_k == 5 and Settings.from_env().retrieval_mode == "auto"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RAG_RETRIEVAL_MODE", "magic", "auto"),
        ("RAG_DTYPE", "int4", "bf16"),
        ("RAG_DEVICE", "gpu", "cuda:N"),
        ("RAG_TOP_K", "many", "integer"),
    ],
)
def test_bad_settings_fail_at_start_naming_the_choices(monkeypatch, variable, value, message):
    from pydantic import ValidationError

    from rag_app.settings import Settings

    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=message):
        Settings.from_env()


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distributions(folders: list[str]) -> set[str]:
    """The installed distributions the code in ``folders`` imports."""
    owners = importlib.metadata.packages_distributions()
    found = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for module in _imports(path):
                top = module.split(".")[0]
                if (
                    top in OURS
                    or top in OPTIONAL_IMPORTS
                    or top in sys.stdlib_module_names
                    or top == "__future__"
                ):
                    continue
                assert top in owners, (
                    f"{path.relative_to(ROOT)} imports {top}, which no installed package provides"
                )
                found |= {_normalise(d) for d in owners[top]}
    return found


def _declared(requirements: list[str]) -> set[str]:
    return {_normalise(re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0]) for r in requirements}


def test_declared_dependencies_match_the_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _declared(project["dependencies"])
    dev = _declared(project["optional-dependencies"]["dev"])
    used = _distributions(["rag_app", "loaders", "prompts"])
    used_by_tests = _distributions(["tests", "benchmarks", "scripts"])
    assert used - runtime == set(), "imported by the package but not declared"
    assert runtime - used == set(RUNTIME_ONLY), "declared but never imported"
    assert used_by_tests - runtime - dev == set(), "imported by tests or benchmarks but not declared"
    assert dev - used_by_tests == set(DEV_ONLY), "dev dependencies nothing uses"
