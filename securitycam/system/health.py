"""Health alerts (``/system_alert_state``) with the spec's thresholds, pushed as SSE on change.

| metric    | warn                  | critical            |
|-----------|-----------------------|---------------------|
| cpu_temp  | >= 65 °C              | >= 80 °C            |
| throttle  | -                     | any active flag     |
| storage   | >= 85 % used          | >= 95 % used        |
| sd_health | life_time_est >= 0x03 | >= 0x0B             |

Other parts may raise their own alerts with :meth:`HealthMonitor.set_alert` (a corrupt settings
file does). Readings are cheap (a few small files), so the monitor re-reads every 30 s and on
every request for the state; while anyone listens on SSE it also pushes a ``system_info``
message at the same pace: the body of ``GET /system_info`` (the ``describe`` callable builds both,
so they cannot differ) with the overall alert level and the live figures under the short names
the dashboard's charts read (``cpu_percent``, ``memory_percent``, ``disk_percent``, ``cpu_temp``).
If building it fails, that round sends nothing and the next one tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from securitycam.bus import SYSTEM_ALERT, SYSTEM_INFO, EventBus
from securitycam.system.host import HostReader
from securitycam.worker import PeriodicWorker

log = logging.getLogger(__name__)

OK, WARN, CRITICAL = "ok", "warn", "critical"
_RANK = {OK: 0, WARN: 1, CRITICAL: 2}

CPU_TEMP_WARN, CPU_TEMP_CRITICAL = 65.0, 80.0
STORAGE_WARN, STORAGE_CRITICAL = 85.0, 95.0
SD_WARN, SD_CRITICAL = 0x03, 0x0B
# The low 4 bits of get_throttled are "happening now"; the high ones only record the past.
THROTTLE_ACTIVE_MASK = 0xF


def _level(value: float | None, warn: float, critical: float) -> str:
    if value is None:
        return OK
    return CRITICAL if value >= critical else WARN if value >= warn else OK


class HealthMonitor:
    def __init__(self, host: HostReader, data_dir: Path, bus: EventBus, describe: Callable[[], dict[str, Any]],
                 interval: float = 30.0) -> None:
        self._host = host
        self._describe = describe
        self._data_dir = data_dir
        self._bus = bus
        self._lock = threading.Lock()
        self._levels: dict[str, str] = {}
        self._extra: dict[str, tuple[str, str]] = {}
        self._worker = PeriodicWorker("health-monitor", self._tick, interval, immediately=True)

    def readings(self) -> dict[str, Any]:
        throttled = self._host.throttled()
        return {
            "cpu_temp": self._host.cpu_temperature(),
            "throttle": hex(throttled) if throttled is not None else None,
            "storage": self._host.disk_usage(self._data_dir).percent,
            "sd_health": hex(life) if (life := self._host.sd_life_time()) is not None else None,
        }

    def set_alert(self, metric: str, level: str, message: str) -> None:
        """Raise (or with ``OK``, clear) an alert that is not a host reading."""
        with self._lock:
            if level == OK:
                self._extra.pop(metric, None)
            else:
                self._extra[metric] = (level, message)
        self.check()

    def check(self) -> dict[str, Any]:
        """Read everything, publish ``system_alert`` if any level changed, return the state."""
        values = self.readings()
        throttled = int(values["throttle"], 16) if values["throttle"] else 0
        life = int(values["sd_health"], 16) if values["sd_health"] else None
        alerts = {
            "cpu_temp": _level(values["cpu_temp"], CPU_TEMP_WARN, CPU_TEMP_CRITICAL),
            "throttle": CRITICAL if throttled & THROTTLE_ACTIVE_MASK else OK,
            "storage": _level(values["storage"], STORAGE_WARN, STORAGE_CRITICAL),
            "sd_health": _level(life, SD_WARN, SD_CRITICAL),
        }
        with self._lock:
            for metric, (level, message) in self._extra.items():
                alerts[metric] = level
                values[metric] = message
            changed = {
                metric: {"from": self._levels.get(metric, OK), "to": level}
                for metric, level in alerts.items()
                if self._levels.get(metric, OK) != level
            }
            changed.update({
                metric: {"from": level, "to": OK}
                for metric, level in self._levels.items()
                if metric not in alerts and level != OK
            })
            self._levels = dict(alerts)
        state = {
            "overall": max(alerts.values(), key=_RANK.__getitem__, default=OK),
            "alerts": alerts,
            "values": values,
        }
        if changed:
            log.warning("system alert levels changed: %s", changed)
            self._bus.publish(SYSTEM_ALERT, {**state, "changed": changed})
        return state

    def publish_snapshot(self, state: dict[str, Any]) -> None:
        info = self._describe()
        self._bus.publish(SYSTEM_INFO, {
            **info,
            "overall": state["overall"],
            "cpu_percent": info["cpu_load_percent"],
            "memory_percent": info["ram_usage_mb"]["percent"],
            "disk_percent": info["storage_info_gb"]["percent"],
            "cpu_temp": info["cpu_temp_celsius"],
        })

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop(timeout=5)

    def _tick(self) -> None:
        state = self.check()
        if self._bus.subscriber_count:
            self.publish_snapshot(state)
