"""A sliding-window limit on attempts per key (a client address, a user name)."""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque

from securitycam.clock import Clock


class RateLimiter:
    """At most ``limit`` recorded attempts per key within ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Clock | None = None) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock or Clock()
        self._attempts: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """Whole seconds until ``key`` may try again, or ``None`` if it may try now."""
        with self._lock:
            attempts = self._prune(key)
            if len(attempts) < self.limit:
                return None
            return max(1, math.ceil(attempts[0] + self.window - self._clock.monotonic()))

    def record(self, key: str) -> None:
        with self._lock:
            self._prune(key).append(self._clock.monotonic())

    def reset(self, key: str) -> None:
        with self._lock:
            self._attempts.pop(key, None)

    def _prune(self, key: str) -> deque[float]:
        attempts = self._attempts[key]
        horizon = self._clock.monotonic() - self.window
        while attempts and attempts[0] <= horizon:
            attempts.popleft()
        if not attempts:
            # Keep the table from growing with every address that ever knocked.
            del self._attempts[key]
            attempts = self._attempts[key]
        return attempts
