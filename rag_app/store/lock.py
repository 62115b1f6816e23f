"""One writer at a time per store folder, across threads and processes; readers never wait.

``fcntl.flock`` on a lock file: the kernel drops the lock when its holder exits or is killed,
so a crashed writer never leaves the store locked.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rag_app.store.errors import StoreBusyError

LOCK_FILE = "LOCK"
POLL_S = 0.05


class WriterLock:
    """Exclusive writer lock on ``root/LOCK``; re-entrant within one thread."""

    def __init__(self, root: Path, *, timeout_s: float = 600.0) -> None:
        self.path = root / LOCK_FILE
        self.timeout_s = timeout_s
        self._local = threading.RLock()  # threads of this process queue here, without polling
        self._fd: int | None = None
        self._depth = 0

    @contextmanager
    def held(self, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        with self._local:
            if self._depth == 0:
                self._acquire(on_wait)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    def _acquire(self, on_wait: Callable[[str], None] | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    on_wait(f"waiting for another process writing to {self.path.parent} ...")
                    told = True
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreBusyError(
                        f"another process has been writing to the store at {self.path.parent} for over "
                        f"{self.timeout_s:g} s; try again when it has finished"
                    ) from None
                time.sleep(POLL_S)  # flock has no timed wait; polling is the portable way
        self._fd = fd

    def _release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
