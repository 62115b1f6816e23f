"""Pooling on hand-built tensors: the right token for left and right padding."""

from __future__ import annotations

import torch

from rag_app.embeddings.pooling import last_token_pool, mean_pool, truncate_and_normalize


def hidden_with_position_values(batch: int, seq: int, dim: int = 3) -> torch.Tensor:
    # Value at [b, t, :] is 100*b + t, so the chosen position can be read back.
    values = torch.arange(seq).float().unsqueeze(0) + 100 * torch.arange(batch).float().unsqueeze(1)
    return values.unsqueeze(-1).repeat(1, 1, dim)


def test_last_token_left_padding_takes_final_column():
    hidden = hidden_with_position_values(2, 5)
    mask = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    assert last_token_pool(hidden, mask)[:, 0].tolist() == [4.0, 104.0]


def test_last_token_right_padding_takes_last_real_token():
    hidden = hidden_with_position_values(3, 5)
    mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    assert last_token_pool(hidden, mask)[:, 0].tolist() == [1.0, 104.0, 202.0]


def test_mean_pool_ignores_padding():
    hidden = hidden_with_position_values(1, 4)
    mask = torch.tensor([[1, 1, 0, 0]])
    assert mean_pool(hidden, mask)[0, 0].item() == 0.5


def test_matryoshka_cut_then_normalise():
    vectors = torch.tensor([[3.0, 4.0, 12.0]])
    out = truncate_and_normalize(vectors, 2)
    assert out.shape == (1, 2)
    assert torch.allclose(out, torch.tensor([[0.6, 0.8]]))
