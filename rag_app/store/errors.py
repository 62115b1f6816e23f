"""Why a store cannot be used; every message says what to do about it."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A store cannot be used; the message says why and what to do."""


class DamagedStoreError(StoreError):
    pass


class StoreMismatchError(StoreError):
    pass


class StoreUnavailableError(StoreError):
    """The store's server stopped answering (a Milvus server down or restarting for too long)."""


class StoreBusyError(StoreError):
    """Another process held the store's writer lock for longer than we were willing to wait."""


def rebuild_advice(root: object) -> str:
    return f"rebuild it with `rag-app ingest --rebuild --store {root} PATH...`"
