"""Pooling and normalisation: small pure functions over (batch, seq, hidden) tensors."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def last_token_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Hidden state of each sequence's last real token, for left- or right-padded batches.

    Same rule as the Qwen3-Embedding reference: if every sequence's final position is real,
    the batch is left-padded (or unpadded) and the last column is the answer.
    """
    if bool(attention_mask[:, -1].all()):
        return hidden[:, -1]
    lengths = attention_mask.sum(dim=1) - 1
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), lengths]


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the real tokens' hidden states (sentence-transformers' mean pooling)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def cls_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """First token's hidden state (only meaningful with right padding)."""
    return hidden[:, 0]


POOLERS = {"last": last_token_pool, "mean": mean_pool, "cls": cls_pool}


def truncate_and_normalize(vectors: torch.Tensor, dimensions: int | None) -> torch.Tensor:
    """Matryoshka cut: keep the first ``dimensions`` values, then L2-normalise (in fp32)."""
    if dimensions is not None:
        vectors = vectors[:, :dimensions]
    return F.normalize(vectors.float(), p=2, dim=1)
