"""The background loop the appliance's services share.

Health checks, the recorder's clip making, the storage janitor, timelapse capture and presence
checks all work the same way: a thread that does one step, sleeps until its interval has passed or
someone wakes it, and repeats until stopped. A step that raises is logged and the loop goes on: a
bad reading must never stop the appliance from recording.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicWorker:
    """Call ``step()`` on a thread named ``name`` every ``interval`` seconds, or sooner on :meth:`wake`.

    ``interval`` may be a callable, read before each sleep, so a setting's new value applies at once.
    With ``immediately`` the first step runs at start; otherwise after the first interval.
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], object],
        interval: float | Callable[[], float],
        immediately: bool = False,
    ) -> None:
        self.name = name
        self._step = step
        self._interval = interval if callable(interval) else (lambda: interval)
        self._immediately = immediately
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run the next step now instead of at the end of the interval."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the step under way (if any) and wait up to ``timeout`` seconds for it."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        if not self._immediately:
            self._sleep()
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception:
                log.exception("%s: step failed", self.name)
            self._sleep()

    def _sleep(self) -> None:
        self._wake.wait(self._interval())
        self._wake.clear()
