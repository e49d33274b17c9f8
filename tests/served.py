"""``securitycam serve`` as a real process tree (the server and its ffmpeg) for tests that kill
parts of it the way a crash, the OOM killer or a power cut would."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import requests

PASSWORD = "served-test"
# Small and quick: short segments, a short ring, a short post-capture.
SMALL_CAMERA = {
    "name": "cam", "width": 320, "height": 180, "fps": 10, "segment_seconds": 1, "pre_capture": 2,
    "post_capture": 1, "max_clip_seconds": 30, "ring_seconds": 6, "frame_rate": 2, "frame_width": 320,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


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


class Served:
    """One ``securitycam serve`` on ``data_dir`` and an ephemeral port, in a process group of its own."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "securitycam", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(data_dir), "--threads", "24"],
            env={**os.environ, "SECURITYCAM_PASSWORD": PASSWORD}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.headers: dict[str, str] = {}

    def wait_up(self, timeout: float = 60) -> Served:
        def answers() -> bool:
            assert self.proc.poll() is None, "securitycam serve exited during start-up"
            try:
                requests.get(f"{self.base}/auth/status", timeout=2)
                return True
            except requests.RequestException:
                return False

        wait_for(answers, timeout, "the server to answer")
        token = self.post("/auth/validate", json={"password": PASSWORD}).json()["token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        return self

    def get(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return requests.get(f"{self.base}{path}", headers=self.headers, timeout=10, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        return requests.post(f"{self.base}{path}", headers=self.headers, timeout=10, **kwargs)

    def kill_group(self) -> None:
        """SIGKILL the server's process group at once (the server and its short ffmpeg jobs): what
        a power cut does to the Python side. A supervised ffmpeg runs in a session of its own, so
        only what the code under test does makes it die too."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)


def kill_strays(data_dir: Path) -> None:
    """Leave no ffmpeg behind a test, whatever it asserted."""
    for pid in ffmpeg_pids(data_dir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
