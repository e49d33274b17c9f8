"""What the appliance reports about itself: deploy (git) info, system info and stats, updates.

Installed, the appliance runs as its own user on a checkout that root owns and that is read-only
for it (``ProtectSystem=strict``). So every git call names the checkout in ``safe.directory`` (git
refuses a repository of another user otherwise), and the update check writes nothing: it asks the
remote for its branch's commit with ``git ls-remote`` instead of fetching. When that commit is
already in the checkout (fetched by an earlier update or ``update.sh --check``) the commits behind
are counted and listed; when it is not, an update is available but how many commits it brings is
only known once ``scripts/update.sh`` (run as root) fetches them.
"""

from __future__ import annotations

import os
import platform
import socket
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from securitycam import __version__
from securitycam.answers import SharedAnswers
from securitycam.clock import Clock
from securitycam.system.host import HostReader
from securitycam.system.runner import CommandResult, CommandRunner, CommandTimeout

PROJECT_DIR = Path(__file__).resolve().parents[2]
REMOTE_TIMEOUT = 20.0
# An update check asked again within this many seconds gets the last answer: each one asks the
# remote over the network, and a dashboard or a script may ask in a loop.
UPDATE_CHECK_REUSE = 60.0


class GitInfo:
    """Branch and commit of the checkout the appliance runs from, through the command runner."""

    def __init__(self, runner: CommandRunner, project_dir: Path = PROJECT_DIR, clock: Clock | None = None) -> None:
        self._runner = runner
        self._dir = project_dir.resolve()  # safe.directory is compared with the real path
        self._clock = clock or Clock()
        self._cached: dict[str, str | None] | None = None
        self._lock = threading.Lock()
        self._checks = SharedAnswers(self._clock)

    def _run_git(self, *args: str, timeout: float = 5.0) -> CommandResult:
        return self._runner.run(["git", "-C", str(self._dir), "-c", f"safe.directory={self._dir}", *args],
                                timeout=timeout)

    def _git(self, *args: str, timeout: float = 5.0) -> str | None:
        result = self._run_git(*args, timeout=timeout)
        return result.stdout.strip() or None if result.ok else None

    def deploy_info(self) -> dict[str, str | None]:
        """``{"git_branch", "git_commit"}``; either is ``None`` without git or a checkout.

        Cached: the checkout only changes through an update, which restarts the appliance.
        """
        with self._lock:
            if self._cached is None:
                if not (self._dir / ".git").exists():
                    self._cached = {"git_branch": None, "git_commit": None}
                else:
                    self._cached = {
                        "git_branch": self._git("rev-parse", "--abbrev-ref", "HEAD"),
                        "git_commit": self._git("rev-parse", "--short", "HEAD"),
                    }
            return dict(self._cached)

    def update_check(self) -> dict[str, Any]:
        """Compare HEAD with the remote branch (``/system/update/check``), writing nothing.

        An answer younger than :data:`UPDATE_CHECK_REUSE` is given again without asking the remote;
        callers arriving while it is asked wait and share its answer.
        """
        return dict(self._checks.get("update check", self._compare_with_remote, UPDATE_CHECK_REUSE))

    def _compare_with_remote(self) -> dict[str, Any]:
        branch = self.deploy_info()["git_branch"]
        if branch is None:
            return {"available": False, "error": "Not a git checkout"}
        try:
            listed = self._run_git("ls-remote", "origin", f"refs/heads/{branch}", timeout=REMOTE_TIMEOUT)
        except CommandTimeout:
            return {"available": False, "error": "Timed out - check internet connection"}
        if not listed.ok:
            return {"available": False, "error": f"git ls-remote failed: {listed.stderr.strip()[:200]}"}
        if not listed.stdout.strip():
            return {"available": False, "branch": branch, "error": f"Branch {branch} not found on origin"}
        remote = listed.stdout.split()[0]
        local = self._git("rev-parse", "HEAD") or ""
        answer = {"branch": branch, "local_commit": local[:8], "remote_commit": remote[:8]}
        # Fails when the remote commit is not in the checkout: nothing here may fetch it.
        counted = self._git("rev-list", "--count", f"HEAD..{remote}")
        if counted is None:
            return {**answer, "available": True, "commits_behind": None, "summary": None,
                    "message": "The new commits are not known until an update fetches them"}
        behind = int(counted)
        summary = self._git("log", "--oneline", "--no-decorate", "-n", "20", f"HEAD..{remote}") or ""
        return {**answer, "available": behind > 0, "commits_behind": behind, "summary": summary}


def _ip_addresses() -> list[str]:
    found = []
    for name, addresses in psutil.net_if_addrs().items():
        if name == "lo":
            continue
        found.extend(a.address for a in addresses if a.family == socket.AF_INET)
    return found


def system_info(host: HostReader, git: GitInfo, camera_sources: dict[str, str]) -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "ip_addresses": _ip_addresses(),
        "model": host.model() or platform.machine(),
        "is_raspberry_pi": host.is_raspberry_pi(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "version": __version__,
        "camera_sources": camera_sources,
        "uptime_seconds": round(time.time() - psutil.boot_time()),
        **git.deploy_info(),
    }


def system_stats(host: HostReader, git: GitInfo, data_dir: Path) -> dict[str, Any]:
    memory = psutil.virtual_memory()
    disk = host.disk_usage(data_dir)
    process = psutil.Process(os.getpid())
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    freq = psutil.cpu_freq()
    return {
        "cpu": {
            "percent": psutil.cpu_percent(interval=None),
            "count": psutil.cpu_count(),
            "load_average": [round(x, 2) for x in load],
            "frequency_mhz": round(freq.current) if freq else None,
        },
        "memory": {
            "total": memory.total,
            "used": memory.total - memory.available,
            "available": memory.available,
            "percent": memory.percent,
            "process_rss": process.memory_info().rss,
        },
        "disk": {"total": disk.total, "used": disk.used, "free": disk.free, "percent": disk.percent},
        "temperatures": {"cpu": host.cpu_temperature()},
        "uptime": {
            "system_seconds": round(time.time() - psutil.boot_time()),
            "process_seconds": round(time.time() - process.create_time()),
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "model": host.model(),
            "python": platform.python_version(),
            "hostname": socket.gethostname(),
            "version": __version__,
            **git.deploy_info(),
        },
    }


GIB, MIB = 1024**3, 1024**2
# The firmware's get_throttled bits: the low ones are "now", the same bits shifted by 16 "since boot".
THROTTLE_FLAGS = {0: "under_voltage", 1: "frequency_capped", 2: "throttled", 3: "soft_temperature_limit"}
SD_DEVICE = "sys/block/mmcblk0/device"


def throttle_state(host: HostReader) -> dict[str, Any] | None:
    """The firmware's throttle flags by name, active now and seen since boot; ``None`` off a Pi."""
    raw = host.throttled()
    if raw is None:
        return None
    return {
        "raw": hex(raw),
        "active": [name for bit, name in THROTTLE_FLAGS.items() if raw & (1 << bit)],
        "occurred": [name for bit, name in THROTTLE_FLAGS.items() if raw & (1 << (bit + 16))],
    }


def sd_health(host: HostReader) -> dict[str, Any] | None:
    """The SD card's identity and wear estimate (``life_time_est`` as ``0x05``); ``None`` without one."""
    name = host.read(f"{SD_DEVICE}/name")
    life = host.sd_life_time()
    if name is None and life is None:
        return None
    return {
        "name": name,
        "serial": host.read(f"{SD_DEVICE}/serial"),
        "life_time_est": f"0x{life:02X}" if life is not None else None,
        "pre_eol_info": host.read(f"{SD_DEVICE}/pre_eol_info"),
    }


def host_figures(host: HostReader, data_dir: Path) -> dict[str, Any]:
    """The seed appliance's ``/system_info`` figures (also what the health history samples)."""
    memory = psutil.virtual_memory()
    disk = host.disk_usage(data_dir)
    return {
        "cpu_temp_celsius": host.cpu_temperature(),
        # /system_stats' cpu.percent: busy share of every core since the previous reading (0-100).
        "cpu_load_percent": psutil.cpu_percent(interval=None),
        "storage_info_gb": {"total_gb": round(disk.total / GIB, 2), "used_gb": round(disk.used / GIB, 2),
                            "free_gb": round(disk.free / GIB, 2), "percent": disk.percent},
        "ram_usage_mb": {"total_mb": round(memory.total / MIB),
                         "used_mb": round((memory.total - memory.available) / MIB), "percent": memory.percent},
        "throttle": throttle_state(host),
        "sd_health": sd_health(host),
    }
