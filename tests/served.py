"""What the tests that kill parts of a real ``securitycam serve`` (:class:`bench.local_server.LocalServer`)
the way a crash, the OOM killer or a power cut would share: a small camera and its ffmpeg."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import psutil

# Small and quick: short segments, a short ring, a short post-capture.
SMALL_CAMERA = {
    "name": "cam", "width": 320, "height": 180, "fps": 10, "segment_seconds": 1, "pre_capture": 2,
    "post_capture": 1, "max_clip_seconds": 30, "ring_seconds": 6, "frame_rate": 2, "frame_width": 320,
}


def ffmpeg_pids(data_dir: Path) -> list[int]:
    """Every recording ffmpeg writing into ``data_dir`` (whoever its parent is, or none)."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "ffmpeg" and any(str(data_dir / "cache") in arg for arg in cmdline):
            try:
                if proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc.pid)
            except psutil.NoSuchProcess:
                pass
    return found


def kill_strays(data_dir: Path) -> None:
    """Leave no ffmpeg behind a test, whatever it asserted."""
    for pid in ffmpeg_pids(data_dir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
