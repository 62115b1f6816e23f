"""What the app serves: one knowledge base on this machine, or a knowledge base per person."""

from __future__ import annotations

from pathlib import Path

from rag_app.service import RagService, ServiceProvider
from rag_app.settings import Settings
from rag_app.sharing.people import People
from rag_app.store import open_read_only


def service_provider(settings: Settings, *, per_person: bool, library: Path | None = None) -> ServiceProvider:
    """``per_person``: people log in (or visitors search the library); otherwise one knowledge base,
    this machine's, with the owner's ``library`` searched alongside it."""
    if per_person:
        return People(settings, library=library)
    service = RagService(settings)
    if library is None:
        return service
    emb = service.embeddings
    store = open_read_only(settings, library, emb.resolved.name, emb.output_dimensions, emb)
    return RagService(settings, embeddings=emb, library=store)
