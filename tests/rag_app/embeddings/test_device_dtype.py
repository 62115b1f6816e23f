"""Which device and dtype ``auto`` picks, and that an explicit choice wins."""

from __future__ import annotations

import pytest
import torch

from rag_app.embeddings import models


@pytest.fixture
def native_bf16(monkeypatch):
    def set_flag(value: bool) -> None:
        monkeypatch.setattr(models, "cpu_has_native_bf16", lambda: value)

    return set_flag


def test_cpu_auto_is_bf16_only_where_the_cpu_computes_it(native_bf16):
    native_bf16(True)
    assert models.choose_dtype("cpu") is torch.bfloat16
    native_bf16(False)
    assert models.choose_dtype("cpu") is torch.float32


def test_explicit_dtype_wins_over_the_cpu(native_bf16):
    native_bf16(True)
    assert models.choose_dtype("cpu", "fp32") is torch.float32
    assert models.choose_dtype("cpu", "float16") is torch.float16
    native_bf16(False)
    assert models.choose_dtype("cpu", "BF16") is torch.bfloat16


def test_gpu_defaults(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert models.choose_dtype("cuda") is torch.float16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert models.choose_dtype("cuda:1") is torch.bfloat16
    assert models.choose_dtype("mps") is torch.float16


def test_unknown_dtype_is_a_clear_error():
    with pytest.raises(ValueError, match="dtype must be one of auto"):
        models.choose_dtype("cpu", "int4")


def test_cpu_flag_detection_reads_cpuinfo(tmp_path):
    for number, (flags, expected) in enumerate(
        (("fpu avx2 fma", False), ("fpu avx512f avx512_bf16", True), ("amx_bf16", True))
    ):
        cpuinfo = tmp_path / f"cpuinfo{number}"
        cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
        assert models.cpu_has_native_bf16(cpuinfo) is expected
    assert models.cpu_has_native_bf16(tmp_path / "missing") is False


def test_explicit_device_is_kept():
    assert models.choose_device("CPU") == "cpu"
    assert models.choose_device("cuda:1") == "cuda:1"


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"), [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")]
)
def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert models.choose_device("auto") == expected
