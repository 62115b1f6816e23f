"""One Milvus client per (uri, token) in a process, that outlives a server restart."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag_app.store.errors import StoreError, StoreUnavailableError
from rag_app.text.urls import redact, redact_text

_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()
RECONNECT_S = 30.0  # how long a call waits for a restarting server before it gives up
_UNAVAILABLE = 2  # pymilvus: "Fail connecting to server", the server is down or restarting
_NOT_LOADED = 101  # "collection not loaded": a restarted server holds collections released


def is_remote(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "unix:"))


def describe(exc: BaseException) -> str:
    """A pymilvus error in one line (``str()`` of a ``MilvusException`` is empty), URLs redacted."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return redact_text(" ".join(str(message).split()))


def milvus_client(uri: str, token: str = "", reconnect_s: float = RECONNECT_S) -> Any:
    """One client per (uri, token) in a process: Milvus Lite serves a ``.db`` file to one process,
    and opening it twice from the same process would start it twice."""
    from pymilvus import MilvusClient

    if not is_remote(uri):
        uri = str(Path(uri).expanduser().resolve())
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    else:
        # pymilvus logs every failed call at ERROR with a traceback; the store says what failed itself.
        logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    with _clients_lock:
        if (uri, token) not in _clients:
            try:
                client = MilvusClient(uri=uri, token=token)
            except Exception as exc:
                raise StoreUnavailableError(f"cannot reach Milvus at {redact(uri)}: {describe(exc)}") from exc
            _clients[(uri, token)] = (
                RestartSafeClient(client, redact(uri), reconnect_s) if is_remote(uri) else client
            )
        return _clients[(uri, token)]


class RestartSafeClient:
    """A server's client whose calls survive the server restarting between two of them.

    A call that finds the server down waits for it (up to ``reconnect_s``) and is made again; one
    that finds its collection released (a restarted 2.3 server does not reload what was loaded)
    loads it and is made again. Anything else is a ``StoreError`` naming the server. The gRPC channel itself
    reconnects on its own; what it cannot do is know a collection must be loaded again.
    """

    def __init__(self, client: Any, where: str, reconnect_s: float = RECONNECT_S) -> None:
        self._client = client
        self._where = where
        self.reconnect_s = reconnect_s

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: self._call(attr, args, kwargs)

    def _call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        collection = args[0] if args and isinstance(args[0], str) else kwargs.get("collection_name")
        for attempt in range(3):  # down, then released after the restart, then it must work
            try:
                return fn(*args, **kwargs)
            except StoreError:
                raise
            except Exception as exc:
                code = getattr(exc, "code", None)
                if attempt == 2:
                    kind = StoreUnavailableError if code == _UNAVAILABLE else StoreError
                    raise kind(f"Milvus at {self._where} failed: {describe(exc)}") from exc
                if code == _UNAVAILABLE:
                    self._wait_for_server(exc)
                elif (code == _NOT_LOADED or "not loaded" in describe(exc)) and collection is not None:
                    self._client.load_collection(collection)
                else:  # one line naming the server, never a client library's traceback
                    raise StoreError(f"Milvus at {self._where}: {describe(exc)}") from exc
        raise AssertionError("unreachable")

    def _wait_for_server(self, first: BaseException) -> None:
        deadline = time.monotonic() + self.reconnect_s
        while time.monotonic() < deadline:
            try:
                self._client.get_server_version()
                return
            except Exception:
                # Polling: a restarting server announces nothing a client could wait on.
                time.sleep(0.5)
        raise StoreUnavailableError(
            f"Milvus at {self._where} is not answering (waited {self.reconnect_s:.0f} s): {describe(first)}"
        ) from first
