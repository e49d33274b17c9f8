"""Time as a seam.

Everything that waits (hold timers, debounce, rate limits, presence timeouts) asks a ``Clock``
rather than the ``time`` module, so tests pass a :class:`ManualClock` and step time forward
instead of sleeping.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """The real clock: wall time for timestamps, monotonic time for intervals."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock(Clock):
    """A clock that moves only when told to; thread-safe."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
