"""A sliding-window limit on attempts per key (a client address, a user name, a pair of both).

Only keys with attempts inside the window take memory: a key is dropped once its attempts age
out, and once per window a sweep drops keys nobody asked about again, so a client sending a new
user name with every request cannot grow the table.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Hashable

from securitycam.clock import Clock


class RateLimiter:
    """At most ``limit`` recorded attempts per key within ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Clock | None = None) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock or Clock()
        self._attempts: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = self._clock.monotonic() + window

    def retry_after(self, key: Hashable) -> int | None:
        """Whole seconds until ``key`` may try again, or ``None`` if it may try now."""
        with self._lock:
            attempts = self._current(key)
            if attempts is None or len(attempts) < self.limit:
                return None
            return max(1, math.ceil(attempts[0] + self.window - self._clock.monotonic()))

    def record(self, key: Hashable) -> None:
        with self._lock:
            now = self._clock.monotonic()
            if now >= self._next_sweep:
                self._next_sweep = now + self.window
                for stale in [k for k, attempts in self._attempts.items() if attempts[-1] <= now - self.window]:
                    del self._attempts[stale]
            attempts = self._current(key)
            if attempts is None:
                attempts = self._attempts[key] = deque()
            attempts.append(now)

    def reset(self, key: Hashable) -> None:
        with self._lock:
            self._attempts.pop(key, None)

    def __len__(self) -> int:
        """How many keys hold attempts (what the table costs in memory)."""
        return len(self._attempts)

    def _current(self, key: Hashable) -> deque[float] | None:
        """``key``'s attempts inside the window, or ``None`` (and the key forgotten) if there are none."""
        attempts = self._attempts.get(key)
        if attempts is None:
            return None
        horizon = self._clock.monotonic() - self.window
        while attempts and attempts[0] <= horizon:
            attempts.popleft()
        if not attempts:
            del self._attempts[key]
            return None
        return attempts
