"""LangChain ``Embeddings`` around local transformer models, Qwen3-Embedding first.

Constructing an object loads nothing; the weights load on the first embed call and are
shared through :func:`rag_app.embeddings.models.load_encoder`'s cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from prompts.embedding import DEFAULT_QUERY_TASK, format_query
from rag_app.embeddings import models
from rag_app.embeddings.base import ArrayEmbeddings
from rag_app.embeddings.models import ResolvedModel
from rag_app.embeddings.tokens import HFTokenCounter, hf_token_counter

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each batch of documents."""

_counters: dict[str, HFTokenCounter] = {}
_counters_lock = threading.Lock()


class LocalEmbeddings(BaseModel, ArrayEmbeddings):
    """Embeddings from a local Hugging Face model folder, with the pooling the folder declares.

    Qwen3 models get left padding, last-token pooling and the query instruction; encoder
    models such as the bundled all-MiniLM-L6-v2 get their declared (mean) pooling.
    Vectors are L2-normalised, so inner product equals cosine.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    model: str = models.AUTO
    """A folder, a hub name found in the local HF cache, ``bundled``, or ``auto``."""
    dimensions: int | None = None
    """Matryoshka cut: keep the first ``dimensions`` values and re-normalise. None keeps all."""
    query_task: str | None = DEFAULT_QUERY_TASK
    """Task text of the query instruction; used only by instruction-aware (Qwen3) models."""
    max_length: int = 8192
    """Tokens per text, capped by the model's own limit; longer texts are truncated."""
    batch_size: int = 32
    """Most texts per batch; short texts (queries) are batched up to this many."""
    batch_tokens: int | None = None
    """Most padded tokens per batch. None: 2048 on CPU, 16384 on a GPU. On CPU a small token
    budget is much faster than a large fixed batch: the activations of a batch stay in cache
    (1.26x to 1.47x LangChain's 32-text batches on the fixture chunks; benchmarks/embed_throughput.py)."""
    device: str = models.AUTO
    """``auto`` (CUDA, then MPS, then CPU), or a torch device string."""
    dtype: str = models.AUTO
    """``auto``: bf16/fp16 on GPU, bf16 on CPUs with native bf16, else fp32."""
    progress: ProgressCallback | None = Field(default=None, exclude=True)

    _resolved: ResolvedModel | None = PrivateAttr(default=None)

    # ---- what is live -------------------------------------------------------------------

    @property
    def resolved(self) -> ResolvedModel:
        if self._resolved is None:
            resolved = models.resolve_embedding_model(self.model)
            self._check_dimensions(resolved)
            self._resolved = resolved
        return self._resolved

    def _check_dimensions(self, resolved: ResolvedModel) -> None:
        d = self.dimensions
        if d is not None and not 1 <= d <= resolved.native_dimensions:
            raise ValueError(
                f"dimensions={d} is not valid for {resolved.name}: choose 1..{resolved.native_dimensions} "
                f"(its native size), or None to keep all"
            )

    @property
    def output_dimensions(self) -> int:
        return self.dimensions or self.resolved.native_dimensions

    @property
    def device_name(self) -> str:
        return models.choose_device(self.device)

    @property
    def torch_dtype(self) -> Any:
        return models.choose_dtype(self.device_name, self.dtype)

    @property
    def effective_max_length(self) -> int:
        return min(self.max_length, self.resolved.max_tokens)

    def model_info(self) -> dict[str, Any]:
        """Which model is live, for logs, the CLI's JSON and the UI banner."""
        r = self.resolved
        return {
            "name": r.name,
            "dimensions": self.output_dimensions,
            "native_dimensions": r.native_dimensions,
            "device": self.device_name,
            "dtype": str(self.torch_dtype).replace("torch.", ""),
            "pooling": r.pooling,
            "max_tokens": self.effective_max_length,
            "instruction_aware": r.instruction_aware,
            "is_fallback": r.is_fallback,
            "reason": r.reason,
        }

    def load(self) -> tuple[Any, Any]:
        """(tokenizer, model), loading the weights now if needed."""
        return self.tokenizer, models.load_encoder(self.resolved, self.device_name, self.torch_dtype)

    @property
    def tokenizer(self) -> Any:
        """The encoder's tokenizer; loading it reads no weights."""
        return models.load_tokenizer(self.resolved, "encode")

    def token_counter(self) -> HFTokenCounter:
        """Counts tokens for the chunker with a tokenizer of its own, so chunking one file while
        another thread embeds a question never shares (or re-configures) the encoder's."""
        key = str(self.resolved.path)
        with _counters_lock:
            if key not in _counters:
                _counters[key] = hf_token_counter(models.load_tokenizer(self.resolved, "count"))
            return _counters[key]

    def chunk_token_limit(self) -> int:
        """Content tokens a chunk may hold so that, with special tokens added, nothing is truncated."""
        return self.effective_max_length - self.token_counter().special_tokens()

    # ---- encoding -----------------------------------------------------------------------

    def query_text(self, text: str) -> str:
        """The exact string embedded for a query: instruction only for instruction-aware models."""
        if self.resolved.instruction_aware and self.query_task:
            return format_query(self.query_task, text)
        return text

    def encode(self, texts: Sequence[str], *, progress: ProgressCallback | None = None) -> np.ndarray:
        """Unit vectors, float32, shape (len(texts), output_dimensions); ``progress(done, total)``
        after each batch. The callback is an argument, not state, so concurrent callers sharing
        this object each hear only about their own texts."""
        import torch

        from rag_app.embeddings.pooling import POOLERS, truncate_and_normalize

        texts = list(texts)
        out = np.zeros((len(texts), self.output_dimensions), dtype=np.float32)
        if not texts:
            return out
        tokenizer, model = self.load()
        pool = POOLERS[self.resolved.pooling]
        # Tokenise once for the whole list, then batch by length so padding stays small.
        # The lock is taken per batch, not per call: a query asked while a long file is being
        # embedded waits for one batch, not for the whole file. (Fast tokenizers are not safe
        # to call from two threads at once, so tokenising is under the lock too.)
        with models.model_lock(self.resolved):
            encoded = tokenizer(texts, truncation=True, max_length=self.effective_max_length)
        ids, masks = encoded["input_ids"], encoded["attention_mask"]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]), reverse=True)
        device = self.device_name
        done = 0
        for batch in self._batches(order, [len(i) for i in ids]):
            with models.model_lock(self.resolved), torch.inference_mode():
                features = tokenizer.pad(
                    {"input_ids": [ids[i] for i in batch], "attention_mask": [masks[i] for i in batch]},
                    padding=True,
                    return_tensors="pt",
                )
                features = {k: v.to(device) for k, v in features.items()}
                hidden = model(**features).last_hidden_state
                vectors = truncate_and_normalize(pool(hidden, features["attention_mask"]), self.dimensions)
                out[batch] = vectors.cpu().numpy()
            done += len(batch)
            if progress is not None:
                progress(done, len(texts))
        return out

    def token_budget(self) -> int:
        if self.batch_tokens is not None:
            return max(1, self.batch_tokens)
        return 2048 if self.device_name == "cpu" else 16384

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Split indices sorted longest first into batches of at most ``batch_size`` texts and
        ``token_budget()`` padded tokens (the first text of each batch is its longest)."""
        budget, batches, start = self.token_budget(), [], 0
        while start < len(order):
            size = max(1, min(self.batch_size, budget // max(1, lengths[order[start]])))
            batches.append(order[start : start + size])
            start += size
        return batches


class Qwen3Embeddings(LocalEmbeddings):
    """Qwen3-Embedding as its authors use it, as a LangChain ``Embeddings``.

    Left padding, last-token pooling, ``Instruct: {task}\\nQuery:{query}`` on queries only,
    Matryoshka cut to ``dimensions`` (default 1024) and L2 normalisation.

    >>> emb = Qwen3Embeddings(model="Qwen/Qwen3-Embedding-4B")  # loads nothing yet
    """

    model: str = models.QWEN3_DEFAULT
    dimensions: int | None = 1024
    batch_size: int = 8

    def _check_dimensions(self, resolved: ResolvedModel) -> None:
        if resolved.family != "qwen3":
            raise ValueError(
                f"{resolved.name} is not a Qwen3 model (its config says otherwise); "
                f"use LocalEmbeddings for other models"
            )
        super()._check_dimensions(resolved)


if TYPE_CHECKING:
    from rag_app.embeddings.served import ServedEmbeddings

    AppEmbeddings = LocalEmbeddings | ServedEmbeddings
    """What the app embeds with: a model in this process or one behind an embedding server."""


def embeddings_for(model: str = models.AUTO, *, api_key: str | None = None, **kwargs: Any) -> AppEmbeddings:
    """The right wrapper for a model setting: ServedEmbeddings for ``openai:BASE_URL#MODEL``,
    Qwen3Embeddings for Qwen3 models, else LocalEmbeddings. ``api_key``: for a served model."""
    if model.startswith("openai:"):
        from rag_app.embeddings.served import ServedEmbeddings, parse_spec

        base_url, served = parse_spec(model)
        return ServedEmbeddings(
            base_url=base_url,
            served_model=served,
            api_key=api_key,
            dimensions=kwargs.get("dimensions"),
            batch_size=kwargs.get("batch_size") or 32,
            **({"batch_tokens": kwargs["batch_tokens"]} if kwargs.get("batch_tokens") else {}),
        )
    resolved = models.resolve_embedding_model(model)
    if resolved.family == "qwen3":
        kwargs.setdefault("dimensions", min(1024, resolved.native_dimensions))
        emb: LocalEmbeddings = Qwen3Embeddings(model=str(resolved.path), **kwargs)
    else:
        emb = LocalEmbeddings(model=str(resolved.path), **kwargs)
    emb._resolved = resolved  # keep the display name and the reason it was chosen
    emb._check_dimensions(resolved)
    return emb
