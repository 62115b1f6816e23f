"""One Milvus client per (uri, token) in a process."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from rag_app.store.errors import StoreError
from rag_app.text.urls import redact

_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def milvus_client(uri: str, token: str = "") -> Any:
    """One client per (uri, token) in a process: Milvus Lite serves a ``.db`` file to one process,
    and opening it twice from the same process would start it twice."""
    from pymilvus import MilvusClient

    if not uri.startswith(("http://", "https://", "tcp://", "unix:")):
        uri = str(Path(uri).expanduser().resolve())
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    with _clients_lock:
        if (uri, token) not in _clients:
            try:
                _clients[(uri, token)] = MilvusClient(uri=uri, token=token)
            except Exception as exc:
                raise StoreError(f"cannot reach Milvus at {redact(uri)}: {exc}") from exc
        return _clients[(uri, token)]
