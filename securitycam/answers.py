"""Answers to slow questions, shared by every client for a few seconds.

Some routes answer by running a program or scanning (``iw station dump``, ``ip neigh``, ``nmcli``'s
Wi-Fi list, ``ffprobe``, ``git ls-remote``). A LAN client polling one in a loop, or many dashboards
at once, must not make the Pi fork a process per request. :class:`SharedAnswers` keeps each answer
for ``max_age`` seconds under its key, and lets one caller at a time work it out: a caller that
arrives while the question is being asked waits for that answer rather than asking again, so at
most one command per key is in flight and at most one runs per ``max_age``.

A question that raises is not remembered (the next caller asks again), and each key has its own
lock, so a slow ``ffprobe`` of one camera holds up no other question.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from securitycam.clock import Clock

T = TypeVar("T")


class _Slot:
    __slots__ = ("asked_at", "lock", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.asked_at: float | None = None
        self.value: Any = None


class SharedAnswers:
    """The latest answer to each question (a hashable key), reused while younger than its ``max_age``."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or Clock()
        self._slots: dict[Hashable, _Slot] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, ask: Callable[[], T], max_age: float) -> T:
        """The answer to ``key``: the last one if younger than ``max_age`` seconds, else ``ask()``'s
        (asked by one caller; the others arriving meanwhile wait for it and share it)."""
        with self._lock:
            slot = self._slots.setdefault(key, _Slot())
        with slot.lock:
            if slot.asked_at is None or self._clock.monotonic() - slot.asked_at >= max_age:
                slot.value = ask()
                # Aged from when it came: a question slower than max_age is still answered once per caller wave.
                slot.asked_at = self._clock.monotonic()
            return slot.value  # type: ignore[no-any-return]

    def forget(self, key: Hashable) -> None:
        """Ask ``key`` afresh next time: what it reads was just changed here."""
        with self._lock:
            self._slots.pop(key, None)
