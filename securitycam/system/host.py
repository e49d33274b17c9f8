"""The sysfs seam: every health reading comes from files below ``root``.

On the Pi ``root`` is ``/``; tests pass a temporary directory and write the files they want read
(``sys/class/thermal/thermal_zone0/temp`` containing ``70000`` is 70 °C). Disk usage goes
through ``disk_usage`` so a test can give the data directory a small pretend filesystem.

Disk use is counted as ``df`` counts it. ext4 keeps about 5 % of its blocks for root: they are
not used, yet nobody but root may write them, so ``used / total`` calls a disk 95 % used that is
full for the service. The percent is ``used / (used + available)`` instead, and every figure of
the appliance (``/storage/status``, ``/system_stats``, the health alert, the janitor's limit)
comes from :class:`DiskUsage`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple


class DiskUsage(NamedTuple):
    """Bytes of one filesystem: its size, what is used, and what is still free for the service
    (not for root: blocks reserved for root are neither used nor free here)."""

    total: int
    used: int
    free: int

    @classmethod
    def from_statvfs(cls, stats: os.statvfs_result) -> DiskUsage:
        unit = stats.f_frsize
        return cls(stats.f_blocks * unit, (stats.f_blocks - stats.f_bfree) * unit, stats.f_bavail * unit)

    @property
    def usable(self) -> int:
        """What the service can ever use: the used bytes plus the free ones (``df``'s 100 %)."""
        return self.used + self.free

    @property
    def percent(self) -> float:
        """``df``'s Use%, to a tenth, rounded up as ``df`` does: 100.0 only when nothing is free."""
        if not self.usable:
            return 0.0
        return math.ceil(1000.0 * self.used / self.usable) / 10.0

    def bytes_over(self, max_percent: float) -> int:
        """Bytes to free to be at most ``max_percent`` used (0 or less when there is room)."""
        return self.used - math.floor(self.usable * max_percent / 100)


def statvfs_usage(path: Path) -> DiskUsage:
    """The usage of the filesystem holding ``path``, from one ``statvfs``."""
    return DiskUsage.from_statvfs(os.statvfs(path))


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
        self._disk_usage = disk_usage or statvfs_usage

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
