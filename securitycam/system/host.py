"""The sysfs seam: every health reading comes from files below ``root``.

On the Pi ``root`` is ``/``; tests pass a temporary directory and write the files they want read
(``sys/class/thermal/thermal_zone0/temp`` containing ``70000`` is 70 °C). Disk usage goes
through ``disk_usage`` so a test can give the data directory a small pretend filesystem.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple


class DiskUsage(NamedTuple):
    total: int
    used: int
    free: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.used / self.total, 1) if self.total else 0.0


class HostReader:
    THERMAL = "sys/class/thermal/thermal_zone0/temp"
    THROTTLED = "sys/devices/platform/soc/soc:firmware/get_throttled"
    SD_LIFE_TIME = "sys/block/mmcblk0/device/life_time"
    MODEL = "proc/device-tree/model"

    def __init__(
        self,
        root: Path | str = "/",
        disk_usage: Callable[[Path], DiskUsage] | None = None,
    ) -> None:
        self.root = Path(root)
        self._disk_usage = disk_usage or (lambda path: DiskUsage(*shutil.disk_usage(path)))

    def read(self, relative: str) -> str | None:
        try:
            return (self.root / relative).read_text(errors="replace").strip("\x00\n ")
        except OSError:
            return None

    def cpu_temperature(self) -> float | None:
        """Degrees Celsius from the first thermal zone (the SoC on a Pi)."""
        raw = self.read(self.THERMAL)
        try:
            return round(int(raw) / 1000.0, 1) if raw is not None else None
        except ValueError:
            return None

    def throttled(self) -> int | None:
        """The firmware's throttle bit field (``vcgencmd get_throttled``), from sysfs."""
        raw = self.read(self.THROTTLED)
        try:
            return int(raw, 16) if raw is not None else None
        except ValueError:
            return None

    def sd_life_time(self) -> int | None:
        """The card's worst ``life_time`` estimate (0x01 = 0-10 % used ... 0x0B = past its life)."""
        raw = self.read(self.SD_LIFE_TIME)
        if raw is None:
            return None
        try:
            return max(int(part, 16) for part in raw.split())
        except ValueError:
            return None

    def model(self) -> str | None:
        return self.read(self.MODEL)

    def is_raspberry_pi(self) -> bool:
        return "raspberry pi" in (self.model() or "").lower()

    def disk_usage(self, path: Path) -> DiskUsage:
        return self._disk_usage(path)
