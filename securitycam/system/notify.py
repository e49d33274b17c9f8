"""systemd's service notifications (``sd_notify``) and watchdog, with the standard library.

Under ``Type=notify`` systemd passes ``NOTIFY_SOCKET``, a unix datagram socket (a path, or an
abstract name starting with ``@``); a service sends ``READY=1`` once it answers and, with
``WatchdogSec=``, ``WATCHDOG=1`` more often than ``WATCHDOG_USEC`` microseconds, or systemd kills
and restarts it. :class:`Watchdog` pings from a thread at half that interval, but only while
``healthy()`` says the appliance works (the serving code asks its own HTTP port): a hung server
stops the pings and systemd restarts it. Without ``NOTIFY_SOCKET`` (a terminal, tests) every call
is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def notify(message: str, environ: dict[str, str] | None = None) -> bool:
    """Send ``message`` (``READY=1``, ``STOPPING=1``, ``WATCHDOG=1``, ``STATUS=...``) to systemd; whether it went."""
    address = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
        return True
    except OSError as exc:
        log.warning("sd_notify %s: %s", message.split("=")[0], exc)
        return False


def watchdog_interval(environ: dict[str, str] | None = None) -> float | None:
    """Seconds between pings (half of ``WATCHDOG_USEC``), or ``None`` when no watchdog is asked for
    (or it is meant for another process: ``WATCHDOG_PID``)."""
    env = environ if environ is not None else os.environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 2_000_000


class Watchdog:
    def __init__(self, healthy: Callable[[], bool], environ: dict[str, str] | None = None) -> None:
        self._healthy = healthy
        self._environ = dict(environ if environ is not None else os.environ)
        self._interval = watchdog_interval(self._environ)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Tell systemd the service is ready and start pinging (when it watches)."""
        notify("READY=1", self._environ)
        if self._interval is None or not self._environ.get("NOTIFY_SOCKET"):
            return
        self._thread = threading.Thread(target=self._run, name="sd-watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self._interval is not None
        while not self._stop.wait(self._interval):
            try:
                healthy = self._healthy()
            except Exception:
                log.exception("health check for the watchdog failed")
                healthy = False
            if healthy:
                notify("WATCHDOG=1", self._environ)
            else:
                log.error("unhealthy: not pinging systemd's watchdog (it restarts the service when it runs out)")

    def stop(self) -> None:
        notify("STOPPING=1", self._environ)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
