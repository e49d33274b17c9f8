"""The last day of the health monitor's readings, for the dashboard's stats charts.

The monitor reads CPU, memory, disk and temperature every 30 s anyway (see :mod:`.health`); a
reading at least ``every`` seconds after the last one kept is appended to a bounded deque, so a day
at one a minute is 1,440 small tuples (under 300 KiB) and nothing is written to the SD card. A
restart starts the history anew: it shows the recent past, it is not a record.

:meth:`StatsHistory.columns` answers column-wise (one list per reading, ``None`` where a reading
was missing, e.g. no thermal sensor), the shape chart libraries such as uPlot draw directly.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

FIELDS = ("cpu_percent", "memory_percent", "disk_percent", "cpu_temp")
DAY = 86400.0


class StatsHistory:
    def __init__(self, span: float = DAY, every: float = 60.0) -> None:
        self.every = every
        self._samples: deque[tuple[float, ...]] = deque(maxlen=int(span // every))
        self._lock = threading.Lock()

    def add(self, when: float, reading: dict[str, Any]) -> bool:
        """Keep ``reading`` (its :data:`FIELDS`) taken at ``when``, unless the last one is too recent."""
        with self._lock:
            if self._samples and when - self._samples[-1][0] < self.every:
                return False
            self._samples.append((when, *(reading.get(name) for name in FIELDS)))
            return True

    def columns(self, since: float) -> dict[str, list[Any]]:
        """``{"time": [...], "cpu_percent": [...], ...}`` for the samples taken at or after ``since``."""
        with self._lock:
            kept = [sample for sample in self._samples if sample[0] >= since]
        names = ("time", *FIELDS)
        return {name: [sample[i] for sample in kept] for i, name in enumerate(names)}
