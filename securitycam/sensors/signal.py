"""Signal conditioning shared by the drivers: debounce and pulse counting, in clock seconds.

Both are plain state machines fed with timestamps; they never read a clock or sleep, so the
manager's thread drives them with the real clock on the Pi and tests with a manual one.
gpiozero's own ``bounce_time`` is not used: mock pins ignore it, and the behaviour must be the
same on the Pi as in the tests.
"""

from __future__ import annotations

from collections import deque


class Debouncer:
    """Leading-edge debounce: a change counts at once, then the input is ignored for ``bounce``.

    A door opening opens an event without waiting for the contact to settle; the chatter that
    follows is ignored. When the lock-out ends the latest level is taken, so a glitch shorter than
    ``bounce`` (HIGH then LOW again) still ends where the pin really is.
    """

    def __init__(self, bounce: float) -> None:
        self.bounce = bounce
        self.state = False
        self._latest = False
        self._locked_until: float | None = None

    def reset(self, active: bool, now: float) -> None:
        self.state = self._latest = active
        self._locked_until = None

    @property
    def deadline(self) -> float | None:
        return self._locked_until

    def feed(self, active: bool, now: float) -> bool | None:
        """An input edge; the debounced state if it changed, else ``None``."""
        self._latest = active
        if self._locked_until is not None and now < self._locked_until:
            return None
        return self._settle(now)

    def expire(self, now: float) -> bool | None:
        """The lock-out's end: the latest level counts if it differs from the state."""
        if self._locked_until is None or now < self._locked_until:
            return None
        return self._settle(now)

    def _settle(self, now: float) -> bool | None:
        self._locked_until = None
        if self._latest == self.state:
            return None
        self.state = self._latest
        if self.bounce > 0:
            self._locked_until = now + self.bounce
        return self.state


class PulseCounter:
    """Active once ``count`` pulses fall within ``window`` seconds; inactive after a quiet ``window``.

    A vibration module pulses for every knock; one knock must not open an event, a sustained
    attempt to force a door must, and the event lasts while the pulses go on.
    """

    def __init__(self, count: int, window: float) -> None:
        self.count = count
        self.window = window
        self.active = False
        self._pulses: deque[float] = deque()

    @property
    def deadline(self) -> float | None:
        return self._pulses[-1] + self.window if self.active and self._pulses else None

    def pulse(self, now: float) -> bool | None:
        """A pulse (rising edge) at ``now``; ``True`` when it makes the count, else ``None``."""
        self._pulses.append(now)
        while self._pulses and self._pulses[0] <= now - self.window:
            self._pulses.popleft()
        if self.active or len(self._pulses) < self.count:
            return None
        self.active = True
        return True

    def expire(self, now: float) -> bool | None:
        """``False`` once ``window`` has passed since the last pulse while active."""
        deadline = self.deadline
        if deadline is None or now < deadline:
            return None
        self.active = False
        self._pulses.clear()
        return False
