"""``securitycam serve`` as a real process on a free loopback port, for the benchmarks and the tests
that need the whole appliance (waitress, its threads, its ffmpeg children) rather than Flask's
test client; and a percentile of their samples.

:class:`LocalServer` starts the server in a session of its own (so :meth:`LocalServer.kill` can
SIGKILL its whole process group at once, as a power cut would, while a Ctrl-C of the benchmark
does not reach it), waits until ``/auth/status`` answers, logs in with the password it set in
``SECURITYCAM_PASSWORD`` and keeps the Bearer token for :meth:`LocalServer.get` and
:meth:`LocalServer.post`.

Benchmarks import it as a sibling module (``python bench/<name>.py`` puts ``bench/`` first on the
path); tests as ``bench.local_server`` (pytest puts the repository root on the path). It lives here,
not in ``tests/``, so that no benchmark depends on the test suite.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import psutil
import requests

PASSWORD = "local-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerDidNotStart(RuntimeError):
    """The server exited or did not answer during start-up (with what it printed, when captured)."""


class LocalServer:
    """One ``securitycam serve`` on ``data_dir``; ``options`` are passed on (``--threads 24``...).

    ``password=None`` starts it without ``SECURITYCAM_PASSWORD`` (it writes a password file and
    :meth:`wait_up` does not log in). ``output`` is where its stdout and stderr go (``subprocess.PIPE``
    to read them; an error during start-up then quotes them).
    """

    def __init__(self, data_dir: Path | str, *options: str, password: str | None = PASSWORD,
                 output: int | IO[Any] = subprocess.DEVNULL) -> None:
        self.data_dir = Path(data_dir)
        self.password = password
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {name: value for name, value in os.environ.items() if name != "SECURITYCAM_PASSWORD"}
        if password is not None:
            env["SECURITYCAM_PASSWORD"] = password
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "securitycam", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir), *options],
            env=env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT,
        )
        self.token = ""
        self.headers: dict[str, str] = {}

    def wait_up(self, timeout: float = 60) -> LocalServer:
        """Until ``/auth/status`` answers, then log in; raises :class:`ServerDidNotStart` (and stops
        the server) if it exits first or takes longer than ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.proc.poll() is not None:
                    raise ServerDidNotStart(f"securitycam serve exited with {self.proc.returncode} "
                                            f"during start-up{self._said()}")
                try:
                    requests.get(f"{self.base}/auth/status", timeout=2)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise ServerDidNotStart(f"securitycam serve did not answer within {timeout:g} s") from None
                    time.sleep(0.2)
            if self.password is not None:
                login = requests.post(f"{self.base}/auth/validate", json={"password": self.password}, timeout=10)
                self.token = login.json()["token"]
                self.headers = {"Authorization": f"Bearer {self.token}"}
        except BaseException:
            self.kill()
            raise
        return self

    def _said(self) -> str:
        if self.proc.stdout is None:
            return ""
        return ":\n" + self.proc.stdout.read().decode(errors="replace")

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.base}{path}", headers=self.headers, timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(f"{self.base}{path}", headers=self.headers, timeout=10, **kwargs)

    def kill(self) -> None:
        """SIGKILL the server's process group at once (the server and its short ffmpeg jobs): what a
        power cut does to the Python side. A supervised ffmpeg runs in a session of its own, so only
        what the code under test does makes it die too."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and its exit code; killed (and -1) if it does not stop within ``timeout`` seconds."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -1


def recording_ffmpegs(data_dir: Path) -> list[int]:
    """The recording ffmpeg processes writing segments into ``data_dir`` (whoever their parent is, or
    none): what a server should leave behind when it dies is none of them."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "ffmpeg" and "-segment_list" in cmdline \
                and any(str(data_dir / "cache") in arg for arg in cmdline):
            with contextlib.suppress(psutil.NoSuchProcess):
                if proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc.pid)
    return sorted(found)


def kill_recording_ffmpegs(data_dir: Path) -> list[int]:
    """SIGKILL the strays :func:`recording_ffmpegs` finds (a test or benchmark leaves none); their pids."""
    strays = recording_ffmpegs(data_dir)
    for pid in strays:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return strays


def percentile(samples: list[float], fraction: float) -> float:
    """The sample below which ``fraction`` of them lie (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
