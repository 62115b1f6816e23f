"""The store a setting names: FAISS in the store folder (the default) or Milvus at a URI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag_app.store.faiss.store import FaissStore

if TYPE_CHECKING:
    from rag_app.settings import Settings
    from rag_app.store.milvus.store import MilvusStore


def milvus_uri(settings: Settings, store_dir: Path | None = None) -> str:
    """The Milvus URI of a store: the one set, else Milvus Lite in the store folder."""
    return settings.milvus_uri or str(Path(store_dir or settings.store_dir) / "milvus.db")


def open_store(
    settings: Settings, embedding: Any = None, *, store_dir: Path | None = None, rebuild: bool = False
) -> FaissStore | MilvusStore:
    """Open (and with ``rebuild`` first empty) the store of ``store_dir`` (default: the settings')."""
    folder = Path(store_dir or settings.store_dir)
    if settings.vector_store == "milvus":
        from rag_app.store.milvus.keys import collection_for
        from rag_app.store.milvus.store import MilvusStore

        uri, token = milvus_uri(settings, folder), settings.secret("milvus_token") or ""
        collection = collection_for(folder, settings.milvus_collection if store_dir is None else None)
        if rebuild:
            MilvusStore.wipe(uri, collection, token, folder)
        return MilvusStore(
            embedding,
            uri=uri,
            token=token,
            collection=collection,
            path=folder,
            reconnect_s=settings.milvus_reconnect_s,
        )
    if rebuild:
        FaissStore.wipe(folder)
    return FaissStore.load(folder, embedding)


def open_read_only(settings: Settings, folder: Path, model_name: str, dimensions: int, embedding: Any = None):
    """A knowledge base built with ``rag-app ingest`` that the app searches and never writes (the
    owner's library): refused when there is none, or when another model built it."""
    store = open_store(settings, embedding, store_dir=folder)
    if store.manifest is None:
        raise ValueError(f"--library {folder}: no knowledge base there (build one with `rag-app ingest`)")
    store.check_model(model_name, dimensions)
    return store


def open_companion(settings: Settings, store_dir: Path, embedding: Any, *, rebuild: bool = False):
    """The store of a knowledge base's second model (see ``rag_app.store.companion``), opened for
    ``embedding``'s vectors."""
    from rag_app.store.companion import COMPANION_FOLDER, Companion

    folder = Path(store_dir) / COMPANION_FOLDER
    store = open_store(settings, None, store_dir=folder, rebuild=rebuild)
    store.check_model(embedding.resolved.name, embedding.output_dimensions)
    return Companion(store, embedding)


def read_only_companion(settings: Settings, folder: Path, embedding: Any):
    """A library's multilingual store, if it was built with one (never created here: the app does not
    write to a library); None otherwise."""
    companion = open_companion(settings, folder, embedding)
    return companion if companion.store.manifest is not None and companion.store.list_files() else None
