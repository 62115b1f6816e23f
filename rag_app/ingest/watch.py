"""Folders watched for changes (watchfiles: the operating system's file events, from Rust), each burst
of changes answered by one sync once it has settled.

Editors that save by writing a temporary file and renaming it over the original make a burst of
create, delete and rename events: the debounce folds them into one, and the sync that follows
compares whole folders with the store, so it sees the final file and never the temporary one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

DEBOUNCE_MS = 300
"""How long the folder must be still before a sync: long enough for an editor's save, short enough
that a change is searchable within a few seconds."""
QUIET_MS = 1000


def watch_folders(
    folders: Sequence[Path],
    sync: Callable[[], None],
    *,
    stop: threading.Event | None = None,
    debounce_ms: int = DEBOUNCE_MS,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Sync once, then again after every settled burst of changes, until ``stop`` is set (or, in the
    main thread, until KeyboardInterrupt). A sync in progress when the process is stopped, however
    rudely, leaves the store consistent: it commits file by file."""
    from watchfiles import watch

    bursts = watch(
        *folders,
        debounce=debounce_ms,
        stop_event=stop,
        raise_interrupt=True,
        yield_on_timeout=True,  # an empty burst now and then: the first one says the watcher is running
        rust_timeout=QUIET_MS,
    )
    next(bursts, None)  # from here on the watcher collects every change, even those made during the sync
    sync()
    if on_ready is not None:
        on_ready()
    for changes in bursts:
        if changes:
            sync()
