"""What the app serves: one knowledge base on this machine, or a knowledge base per person; and the
owner's library kept in step with its folders while it is served."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag_app.service import RagService, ServiceProvider
from rag_app.settings import Settings
from rag_app.sharing.people import People
from rag_app.store import open_read_only, read_only_companion


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
    second = service.companion
    library_second = read_only_companion(settings, library, second.embeddings) if second else None
    return RagService(settings, embeddings=emb, library=store, library_companion=library_second)


log = logging.getLogger(__name__)


def keep_library_in_step(
    settings: Settings, library: Path, folders: Sequence[Path], stop: threading.Event
) -> threading.Thread:
    """Sync ``folders`` into the ``library`` store now (so the app finds a store to open), then keep
    syncing in a background thread as they change, until ``stop`` is set. The app reads the library
    read-only and picks up each committed file on its next search; this writer is the only one."""
    from rag_app.ingest.watch import watch_folders

    writer = RagService(settings.model_copy(update={"store_dir": library}))

    def tell(outcome: Any) -> None:
        if outcome.status != "skipped":
            log.warning("library %s: %s", outcome.source, outcome.line())

    def sync() -> None:
        try:
            writer.sync(folders, on_outcome=tell)
        except Exception:  # a store busy or a folder gone for a moment: the next change tries again
            log.exception("library sync of %s failed", ", ".join(map(str, folders)))

    sync()
    thread = threading.Thread(
        target=watch_folders, args=(folders, sync), kwargs={"stop": stop}, name="library-watch", daemon=True
    )
    thread.start()
    return thread
