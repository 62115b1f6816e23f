"""Counting a model's tokens: what chunking measures a chunk by, given by the embeddings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

TokenCounter = Callable[[Sequence[str]], list[int]]
"""Counts tokens of each text (without special tokens), in one batched call."""


class HFTokenCounter:
    """Counts tokens (without special tokens) with a Hugging Face tokenizer, one call at a time.

    A fast tokenizer's settings are changed by every call (truncation on or off), so two threads
    sharing one raise "Already borrowed" or count with the other's truncation: the lock keeps
    calls apart, and the embeddings give the counter a tokenizer instance of its own.
    """

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        with self._lock:
            # verbose=False: counting a long text is not feeding it to the model, so no warning.
            encoded = self._tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def special_tokens(self) -> int:
        """How many special tokens the model's tokenizer adds to one text."""
        with self._lock:
            return int(self._tokenizer.num_special_tokens_to_add(pair=False))


def hf_token_counter(tokenizer: Any) -> HFTokenCounter:
    return HFTokenCounter(tokenizer)
