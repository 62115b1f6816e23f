"""One settings object: CLI flags over ``RAG_*`` environment variables over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    store_dir: Path = Path(".rag_store")
    embedding_model: str = "auto"
    dimensions: int | None = None  # None: 1024 for Qwen3 models, native size otherwise
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 32
    batch_tokens: int | None = None  # None: 2048 padded tokens per batch on CPU, 16384 on GPU
    chunk_tokens: int = 256
    chunk_overlap: int = 32
    top_k: int = 5
    retrieval_mode: str = "auto"  # auto, dense, hybrid (dense + BM25 fused) or lexical (BM25)
    llm: str = "auto"
    max_upload_mb: int = 50
    host: str = "127.0.0.1"
    port: int = 7860
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``RAG_<FIELD>`` variables, then non-None ``overrides`` (CLI flags)."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = environ.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "store_dir" in values:
            values["store_dir"] = Path(values["store_dir"])
        return replace(cls(), **values)


def _convert(name: str, raw: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if "int" in str(kind):
            return int(raw)
    except ValueError as exc:
        raise ValueError(f"RAG_{name.upper()}={raw!r} is not a whole number") from exc
    return raw
