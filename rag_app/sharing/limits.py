"""Limits per person in a shared app: questions a minute, upload sizes, one upload at a time.

Each check raises ``LimitExceeded`` with a message that says what and how much; ``NotAllowed`` is
for what a person may not do at all (a visitor uploading). The clock is injectable, so the
questions-per-minute window is tested without waiting a minute.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rag_app.faces import LimitExceeded, NotAllowed
from rag_app.settings import Settings

__all__ = ["LimitExceeded", "NotAllowed", "PersonLimits", "Usage"]

WINDOW_S = 60.0


@dataclass(frozen=True)
class PersonLimits:
    files_per_upload: int
    bytes_per_upload: int
    uploads_in_flight: int
    questions_per_minute: int
    pages_per_minute: int = 60

    @classmethod
    def from_settings(cls, s: Settings) -> PersonLimits:
        return cls(
            s.limit_files_per_upload,
            s.limit_upload_mb * 1024 * 1024,
            s.limit_uploads_in_flight,
            s.limit_questions_per_minute,
            s.limit_pages_per_minute,
        )


@dataclass
class Usage:
    """One person's questions in the last minute and uploads running now (shared by their sessions)."""

    clock: Callable[[], float] = time.monotonic
    questions: deque[float] = field(default_factory=deque)
    pages: deque[float] = field(default_factory=deque)
    uploads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def admit_question(self, limits: PersonLimits) -> None:
        self._admit(self.questions, limits.questions_per_minute, "questions", "ask again")

    def admit_page(self, limits: PersonLimits) -> None:
        """Drawing a page costs a render: pages shown a minute have their own, larger, limit."""
        self._admit(self.pages, limits.pages_per_minute, "pages", "turn again")

    def _admit(self, times: deque[float], limit: int, what: str, again: str) -> None:
        now = self.clock()
        with self.lock:
            while times and now - times[0] >= WINDOW_S:
                times.popleft()
            if len(times) >= limit:
                wait = WINDOW_S - (now - times[0])
                raise LimitExceeded(f"at most {limit} {what} a minute: {again} in {wait:.0f} s")
            times.append(now)

    @contextmanager
    def admit_upload(self, limits: PersonLimits, paths: Sequence[Path]) -> Iterator[None]:
        if len(paths) > limits.files_per_upload:
            raise LimitExceeded(f"at most {limits.files_per_upload} files per upload; you sent {len(paths)}")
        size = sum(p.stat().st_size for p in paths if p.is_file())
        if size > limits.bytes_per_upload:
            raise LimitExceeded(
                f"at most {limits.bytes_per_upload / 2**20:.0f} MB per upload; you sent {size / 2**20:.1f} MB"
            )
        with self.lock:
            if self.uploads >= limits.uploads_in_flight:
                raise LimitExceeded("your previous upload is still being indexed: wait for it to finish")
            self.uploads += 1
        try:
            yield
        finally:
            with self.lock:
                self.uploads -= 1
