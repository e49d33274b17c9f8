"""sd_notify and the watchdog, received on a real unix datagram socket as systemd would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.local_server import free_port
from securitycam.system.notify import Watchdog, notify, watchdog_interval


class NotifySocket:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))

    def receive(self, timeout: float = 5.0) -> str | None:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096).decode()
        except TimeoutError:
            return None

    def wait_for(self, message: str, timeout: float = 30.0) -> list[str]:
        """Every message up to and including ``message``; fails if it does not come in time."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            got = self.receive(left)
            if got is None:
                break
            seen.append(got)
            if got == message:
                return seen
        raise AssertionError(f"no {message!r} within {timeout} s; got {seen}")


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[NotifySocket]:
    listener = NotifySocket(tmp_path / "notify")
    yield listener
    listener.sock.close()


def test_without_notify_socket_nothing_is_sent():
    assert notify("READY=1", {}) is False
    assert watchdog_interval({}) is None
    Watchdog(lambda: True, {}).start()  # no socket, no thread, no error


def test_notify_reaches_the_socket_by_path_and_by_abstract_name(systemd):
    assert notify("READY=1", {"NOTIFY_SOCKET": str(systemd.path)})
    assert systemd.receive() == "READY=1"
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"securitycam-test-{os.getpid()}"
    abstract.bind("\0" + name)
    with abstract:
        assert notify("STATUS=hi", {"NOTIFY_SOCKET": "@" + name})
        abstract.settimeout(5)
        assert abstract.recv(100) == b"STATUS=hi"


def test_watchdog_interval_is_half_of_watchdog_usec_and_only_for_this_process():
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


def test_the_watchdog_pings_only_while_healthy(systemd):
    healthy = threading.Event()
    healthy.set()
    watchdog = Watchdog(healthy.is_set, {"NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "100000"})
    watchdog.start()
    try:
        assert systemd.receive() == "READY=1"
        assert systemd.receive() == "WATCHDOG=1"
        healthy.clear()
        # A ping may already be on its way; after it, silence for many intervals.
        while (got := systemd.receive(timeout=0.5)) is not None:
            assert got == "WATCHDOG=1"
        healthy.set()
        assert systemd.receive() == "WATCHDOG=1"
    finally:
        watchdog.stop()
    assert "STOPPING=1" in systemd.wait_for("STOPPING=1")


def test_serve_says_ready_pings_the_watchdog_and_says_stopping(systemd, tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "securitycam", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(tmp_path / "data")],
        env={**os.environ, "SECURITYCAM_PASSWORD": "notify-test", "NOTIFY_SOCKET": str(systemd.path),
             "WATCHDOG_USEC": "400000"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert systemd.wait_for("READY=1", timeout=60)[-1] == "READY=1"
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # READY=1 came once the port listens
        assert systemd.wait_for("WATCHDOG=1")[-1] == "WATCHDOG=1"
        assert systemd.wait_for("WATCHDOG=1")[-1] == "WATCHDOG=1"
        proc.send_signal(signal.SIGTERM)
        systemd.wait_for("STOPPING=1")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
