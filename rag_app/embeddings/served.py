"""Embeddings from a server speaking OpenAI's ``/v1/embeddings`` API (TEI, vLLM, Infinity, Ollama,
llama.cpp), as a LangChain ``Embeddings`` that the app uses exactly like a local model.

What servers leave to the client, this client does:

- the Qwen3 query instruction (no server adds it): ``Instruct: {task}\\nQuery:{query}`` on queries only;
- the Matryoshka cut: ``dimensions`` is sent; a server that rejects it (vLLM unless started
  Matryoshka-capable) is asked again without it, and one that ignores it (llama.cpp) gets its
  vectors cut here; every vector is L2-normalised here, so inner product is cosine whatever the
  server did;
- batching by (estimated) tokens, retries with backoff on 429, 5xx and lost connections, and a
  check that every vector has the dimension the store expects.

Name the model as ``openai:BASE_URL#MODEL`` (``openai:http://gpu:8080/v1#Qwen/Qwen3-Embedding-4B``);
the key, if the server wants one, comes from ``RAG_EMBEDDING_API_KEY``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from prompts.embedding import DEFAULT_QUERY_TASK, format_query
from rag_app.embeddings.base import ArrayEmbeddings
from rag_app.embeddings.models import ResolvedModel
from rag_app.text.scripts import CJK_RUN
from rag_app.text.urls import redact, split_url_model

log = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int], None]
PREFIX = "openai:"
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class EmbeddingServerError(RuntimeError):
    """The embedding server could not be reached or answered wrongly; the message says which and how."""


def parse_spec(spec: str) -> tuple[str, str]:
    """``openai:BASE_URL#MODEL`` -> (base URL, model)."""
    return split_url_model(
        spec[len(PREFIX) :], what="embedding model", example="openai:http://HOST:PORT/v1#MODEL"
    )


class ApproxTokenCounter:
    """Token counts without the server's tokenizer: one per CJK character, one per three bytes of
    anything else. Real tokenizers give fewer (English runs about four bytes a token), so chunks
    cut by this estimate stay within the server's input limit."""

    def __call__(self, texts: Sequence[str]) -> list[int]:
        out = []
        for text in texts:
            cjk = sum(len(run) for run in CJK_RUN.findall(text))
            rest = len(CJK_RUN.sub("", text).encode())
            out.append(cjk + math.ceil(rest / 3))
        return out

    def special_tokens(self) -> int:
        return 2


class ServedEmbeddings(BaseModel, ArrayEmbeddings):
    """A served embedding model as a LangChain ``Embeddings``; vectors are unit length.

    >>> emb = ServedEmbeddings(base_url="http://gpu:8080/v1", served_model="Qwen/Qwen3-Embedding-4B")
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    base_url: str
    served_model: str
    api_key: SecretStr | None = None
    dimensions: int | None = None
    """Matryoshka cut. None: 1024 for Qwen3 models, else whatever the server returns."""
    instruction_aware: bool | None = None
    """Add the query instruction. None: yes for Qwen3-Embedding models (by name)."""
    query_task: str | None = DEFAULT_QUERY_TASK
    tokenizer: str | None = None
    """A local tokenizer folder for exact token counts when chunking; None: an estimate."""
    max_input_tokens: int = 512
    """Tokens the server accepts per text (8192 assumed for Qwen3); chunks are cut below it."""
    batch_size: int = Field(default=32, ge=1)
    batch_tokens: int = Field(default=8192, ge=1)
    """Most (estimated) tokens per request."""
    timeout_s: float = 60.0
    retries: int = Field(default=5, ge=0)
    backoff_s: float = 0.5
    """First wait between tries; doubled each time (or the server's Retry-After)."""
    progress: ProgressCallback | None = Field(default=None, exclude=True)

    _send_dimensions: bool = PrivateAttr(default=True)
    _native: int | None = PrivateAttr(default=None)
    _client: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _counter: Any = PrivateAttr(default=None)

    # ---- what is live -------------------------------------------------------------------

    @property
    def where(self) -> str:
        """The server's address without credentials, for messages and the banner."""
        return redact(self.base_url)

    @property
    def is_qwen3(self) -> bool:
        name = self.served_model.lower()
        return "qwen3" in name and "embed" in name

    @property
    def adds_instruction(self) -> bool:
        return self.is_qwen3 if self.instruction_aware is None else self.instruction_aware

    @property
    def output_dimensions(self) -> int:
        if self.dimensions is not None:
            return self.dimensions
        if self.is_qwen3:
            return 1024
        if self._native is None:
            self._embed_batch(["dimension probe"])  # the server says by answering
        assert self._native is not None
        return self._native

    @property
    def resolved(self) -> ResolvedModel:
        return ResolvedModel(
            name=f"{self.served_model} (served)",
            path=Path(self.tokenizer or "served"),
            family="qwen3" if self.is_qwen3 else "encoder",
            pooling="server",
            native_dimensions=self._native or self.output_dimensions,
            max_tokens=self.effective_max_length,
            reason=f"served at {self.where}",
            is_fallback=False,
        )

    @property
    def effective_max_length(self) -> int:
        return 8192 if self.is_qwen3 and self.max_input_tokens == 512 else self.max_input_tokens

    def model_info(self) -> dict[str, Any]:
        return {
            "name": self.resolved.name,
            "dimensions": self.output_dimensions,
            "native_dimensions": self._native,
            "device": f"server {self.where}",
            "dtype": "server's",
            "pooling": "server's",
            "max_tokens": self.effective_max_length,
            "instruction_aware": self.adds_instruction,
            "is_fallback": False,
            "reason": f"served at {self.where}" + ("" if self.tokenizer else "; token counts estimated"),
        }

    def load(self) -> None:
        """Reach the server now (one tiny request), so the first upload is not the first contact."""
        self._embed_batch(["warm up"])

    def token_counter(self) -> Any:
        if self._counter is None:
            if self.tokenizer:
                from rag_app.embeddings import models
                from rag_app.embeddings.tokens import hf_token_counter

                resolved = models.resolve_embedding_model(self.tokenizer)
                self._counter = hf_token_counter(models.load_tokenizer(resolved, "count"))
            else:
                self._counter = ApproxTokenCounter()
        return self._counter

    def chunk_token_limit(self) -> int:
        return self.effective_max_length - self.token_counter().special_tokens()

    # ---- encoding -----------------------------------------------------------------------

    def query_text(self, text: str) -> str:
        if self.adds_instruction and self.query_task:
            return format_query(self.query_task, text)
        return text

    def encode(self, texts: Sequence[str], *, progress: ProgressCallback | None = None) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.output_dimensions), dtype=np.float32)
        parts, done = [], 0
        for batch in self._batches(texts):
            parts.append(self._embed_batch(batch))
            done += len(batch)
            if progress is not None:
                progress(done, len(texts))
        return np.concatenate(parts)

    def _batches(self, texts: list[str]) -> list[list[str]]:
        sizes = ApproxTokenCounter()(texts)
        batches: list[list[str]] = [[]]
        used = 0
        for text, size in zip(texts, sizes, strict=True):
            if batches[-1] and (len(batches[-1]) >= self.batch_size or used + size > self.batch_tokens):
                batches.append([])
                used = 0
            batches[-1].append(text)
            used += size
        return batches

    # ---- the wire -----------------------------------------------------------------------

    def _http(self) -> Any:
        import httpx

        with self._lock:
            if self._client is None:
                headers = (
                    {"Authorization": f"Bearer {self.api_key.get_secret_value()}"} if self.api_key else {}
                )
                self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout_s)
            return self._client

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        body: dict[str, Any] = {"model": self.served_model, "input": texts, "encoding_format": "float"}
        wanted = self.dimensions or (1024 if self.is_qwen3 else None)
        if wanted is not None and self._send_dimensions:
            body["dimensions"] = wanted
        response = self._post(body)
        if response.status_code in (400, 422) and "dimensions" in body:
            # vLLM refuses ``dimensions`` for models not started as Matryoshka-capable: cut here instead.
            # Only a refusal that asking without it cures is about ``dimensions`` (an over-long text
            # gets a 400 too, and must not switch the cut off for good).
            plain = {k: v for k, v in body.items() if k != "dimensions"}
            second = self._post(plain)
            if second.status_code == 200:
                log.info(
                    "the embedding server refused dimensions=%s (%s); cutting vectors here",
                    wanted,
                    response.text[:200],
                )
                self._send_dimensions, self._native = False, None  # the server's own size from now on
                response = second
        if response.status_code != 200:
            raise EmbeddingServerError(
                f"the embedding server at {self.where} answered {response.status_code}: {response.text[:300]}"
            )
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = np.asarray([item["embedding"] for item in data], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingServerError(
                f"the embedding server at {self.where} sent no embeddings: {exc}"
            ) from exc
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise EmbeddingServerError(
                f"the embedding server at {self.where} returned {len(vectors)} vectors for {len(texts)} texts"
            )
        native = vectors.shape[1]
        if self._native is None:
            self._native = native
        elif native != self._native:
            raise EmbeddingServerError(
                f"the embedding server at {self.where} changed its vector size from {self._native} to {native}"
            )
        if wanted is not None:
            if native < wanted:
                raise EmbeddingServerError(
                    f"the embedding server returns {native} dimensions; {wanted} were asked for "
                    f"(choose --dimensions {native} or fewer)"
                )
            vectors = vectors[:, :wanted]  # the server ignored dimensions: the Matryoshka cut, here
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if not np.all(np.isfinite(vectors)) or np.any(norms == 0):
            raise EmbeddingServerError(
                f"the embedding server at {self.where} returned an empty or invalid vector"
            )
        return np.ascontiguousarray(vectors / norms, dtype=np.float32)

    def _post(self, body: dict[str, Any]) -> Any:
        import httpx

        wait, last = self.backoff_s, ""
        for attempt in range(self.retries + 1):
            try:
                response = self._http().post("/embeddings", json=body)
            except httpx.HTTPError as exc:
                last = f"could not be reached ({type(exc).__name__}: {exc})"
            else:
                if response.status_code not in _RETRY_STATUS:
                    return response
                last = f"answered {response.status_code}: {response.text[:200]}"
                wait = _retry_after(response, wait)
            if attempt < self.retries:
                log.warning("embedding server %s %s; trying again in %.1f s", self.where, last, wait)
                time.sleep(wait)
                wait = min(wait * 2, 30.0)
        raise EmbeddingServerError(f"the embedding server at {self.where} {last} ({self.retries + 1} tries)")


def _retry_after(response: Any, default: float) -> float:
    try:
        value = float(response.headers.get("retry-after", default))
    except ValueError:
        return default
    return min(value, 30.0) if math.isfinite(value) and value >= 0 else default
