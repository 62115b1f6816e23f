"""Raw uploads counted where they land: files and bytes per person in a sliding window."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UploadPolicy:
    files: int = 100
    bytes: int = 500 * 2**20
    window_s: float = 600.0


@dataclass
class _Window:
    sent: deque[list[float]] = field(default_factory=deque)  # [time, files, bytes] per upload

    def totals(self) -> tuple[float, float]:
        return sum(s[1] for s in self.sent), sum(s[2] for s in self.sent)


class UploadQuota:
    """``admit`` an upload of ``size`` bytes (one file reserved) before its body is read; ``settle``
    with the number of files it really carried once Gradio has answered."""

    def __init__(self, policy: UploadPolicy | None = None, *, clock: Callable[[], float] = time.monotonic):
        self.policy = policy or UploadPolicy()
        self.clock = clock
        self._people: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def admit(self, who: str, size: int) -> tuple[list[float] | None, str | None]:
        """(a ticket to ``settle``, None) when admitted; (None, the reason) when over the quota."""
        p = self.policy
        with self._lock:
            now = self.clock()
            window = self._people.setdefault(who, _Window())
            while window.sent and now - window.sent[0][0] >= p.window_s:
                window.sent.popleft()
            files, sent = window.totals()
            if files + 1 > p.files or sent + size > p.bytes:
                wait = math.ceil(p.window_s - (now - window.sent[0][0])) if window.sent else 0
                what = f"{p.files} files" if files + 1 > p.files else f"{p.bytes / 2**20:.0f} MB"
                return None, (
                    f"upload quota reached: at most {what} every {p.window_s / 60:g} minutes; "
                    f"try again in {wait} s"
                )
            ticket = [now, 1.0, float(size)]
            window.sent.append(ticket)
            return ticket, None

    def room(self, who: str, ticket: list[float]) -> float:
        """Bytes this upload may carry: what the window has left, counting its own declared size."""
        with self._lock:
            window = self._people.get(who, _Window())
            return self.policy.bytes - window.totals()[1] + ticket[2]

    def settle(self, ticket: list[float], files: int, size: int) -> None:
        """The upload behind ``ticket`` carried ``files`` files and ``size`` bytes."""
        with self._lock:
            ticket[1], ticket[2] = float(files), float(size)
