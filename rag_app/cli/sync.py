"""`rag-app sync` and `rag-app watch`: folders kept in step with a store, once or continuously."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag_app.cli.commands import _service, _tell_waiting, quiet_libraries
from rag_app.cli.parser import EXIT_OK


def _printer(*, changes_only: bool = False) -> Callable[[Any], None]:
    """Prints each file's line as soon as it ends (``changes_only``: not the unchanged ones)."""

    def show(outcome: Any) -> None:
        if not (changes_only and outcome.status == "skipped" and outcome.reason == "already indexed"):
            print(f"{outcome.source}: {outcome.line()}", flush=True)

    return show


def cmd_sync(args: argparse.Namespace) -> int:
    """One line a file, as each ends; exit 0 when none was rejected, 2 when any was (as `ingest`)."""
    quiet_libraries(args.verbose)
    service = _service(args, on_wait=_tell_waiting)
    return service.sync(args.folders, on_outcome=_printer()).exit_code


def cmd_watch(args: argparse.Namespace) -> int:
    """Sync, then sync again whenever the folders change, until Ctrl-C or SIGTERM (safe at any moment:
    the store commits file by file, and the next sync finishes what a stopped one began)."""
    from rag_app.ingest.watch import watch_folders

    quiet_libraries(args.verbose)
    service = _service(args, on_wait=_tell_waiting)
    folders = [Path(f) for f in args.folders]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        raise ValueError(f"{', '.join(missing)}: no such folder")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C: KeyboardInterrupt

    def ready() -> None:
        print(f"watching {', '.join(map(str, folders))} (Ctrl-C to stop)", file=sys.stderr, flush=True)

    try:
        show = _printer(changes_only=True)
        watch_folders(folders, lambda: service.sync(folders, on_outcome=show), on_ready=ready)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return EXIT_OK
