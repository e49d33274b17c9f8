"""What the tests that run a real ``securitycam serve`` in its own process share (the crash tests,
the dashboard's browser tests): :class:`Served`, a :class:`bench.local_server.LocalServer` with
threads enough for browsers and SSE clients; a small, quick camera; the password it logs in with;
and :func:`kill_strays` for whatever recording ffmpeg a test leaves, whatever it asserted."""

from __future__ import annotations

from pathlib import Path

from bench.local_server import PASSWORD, LocalServer
from bench.local_server import kill_recording_ffmpegs as kill_strays

__all__ = ["PASSWORD", "SMALL_CAMERA", "Served", "kill_strays"]

# Small and quick: short segments, a short ring, a short post-capture.
SMALL_CAMERA = {
    "name": "cam", "width": 320, "height": 180, "fps": 10, "segment_seconds": 1, "pre_capture": 2,
    "post_capture": 1, "max_clip_seconds": 30, "ring_seconds": 6, "frame_rate": 2, "frame_width": 320,
}


class Served(LocalServer):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir, "--threads", "24")
