"""What the benchmarks that run ``securitycam serve`` share: a free loopback port, waiting for the
server to answer, and a percentile of their samples. Imported as a sibling module (``python
bench/<name>.py`` puts ``bench/`` first on the path)."""

from __future__ import annotations

import socket
import subprocess
import time

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(base: str, proc: subprocess.Popen) -> None:
    """Until ``base`` answers ``/auth/status``; exits the benchmark if the server dies or is slow."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited during start-up")
        try:
            requests.get(f"{base}/auth/status", timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise SystemExit("server did not start")


def percentile(samples: list[float], fraction: float) -> float:
    """The sample below which ``fraction`` of them lie (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
