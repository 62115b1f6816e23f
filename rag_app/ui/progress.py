"""An upload's progress as a person reads it: the stage the pipeline names, and the time left."""

from __future__ import annotations

import time
from collections.abc import Callable

MIN_FRACTION = 0.05
MIN_SECONDS = 3.0
"""No estimate before 5 % is done and 3 s have passed: the first file's start says little of the rest."""


def time_left(seconds: float) -> str:
    if seconds < 60:
        return f"about {max(5, round(seconds / 5) * 5):.0f} s left"
    return f"about {round(seconds / 60):.0f} min left"


class WithTimeLeft:
    """``progress(fraction, text)`` for the ingest pipeline, passing each step to ``show`` with an
    estimate of the time left (from the share done so far; the clock is injectable for tests)."""

    def __init__(
        self, show: Callable[[float, str], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.show, self.clock = show, clock
        self.started = clock()

    def __call__(self, fraction: float, text: str) -> None:
        elapsed = self.clock() - self.started
        if MIN_FRACTION <= fraction < 1 and elapsed >= MIN_SECONDS:
            text = f"{text} · {time_left(elapsed / fraction - elapsed)}"
        self.show(fraction, text)
