"""Production serving: waitress, in the one process that owns the GPIO pins, the camera and the bus.

waitress reads and parses requests in its event loop (one thread, non-blocking sockets) and hands
only complete requests to its pool of threads. A client that sends half a request, or hundreds of
them, holds a socket but never a thread, so it cannot stall the API for others; a connection that
sends nothing for ``idle_timeout`` seconds while no request of it runs (a half-sent request, an
idle keep-alive) is closed. Up to :data:`CONNECTION_LIMIT` connections are open at once (the
open-file limit is raised to fit them).

Each SSE client holds a thread for as long as it listens. The pool has ``threads`` threads for the
API plus one per allowed SSE client, and the bus refuses streams past ``sse_clients``, so API
requests always find a thread. Two settings make streams work: ``send_bytes=1`` sends each event
at once (waitress otherwise buffers 18 kB of a response before sending), and
``channel_request_lookahead=1`` keeps reading a connection while its request runs, so the event
loop sees a client close its stream and ``waitress.client_disconnected`` tells the stream to end
(see :meth:`securitycam.bus.EventBus.stream`).

Memory: waitress wakes its idle threads in turn (a FIFO condition), so every one of the hundreds
of threads would serve API requests by rotation, and each one so used keeps its stack pages and a
malloc arena resident: measured, RSS grew by 18 MiB in 40 s of traffic with 216 threads and by 5 MiB
with 17. :class:`StackDispatcher` hands a task to the thread that went idle last instead, so the API
runs on as few threads as it has requests at once, and the others (waiting for SSE clients) stay cold.

glibc gives threads malloc arenas of their own (up to eight per core); freed memory stays spread
over them and RSS crept under steady traffic (2.3 MiB in the 3 minutes after warm-up) where, with
:data:`MALLOC_ARENAS` arenas, it stayed within 0.3 MiB (``bench/soak.py`` measures it over 30
minutes). Blocks over 128 KiB are mapped of their own and unmapped when freed, but glibc raises that
threshold to the size of every such block freed (up to 32 MiB): after start-up's and the first
requests' big buffers (images, file reads) it stayed high, later ones came from the heap, and the
heap kept their space as free holes (18 MiB free of 38 MiB measured in the soak). A fixed
:data:`MMAP_THRESHOLD` keeps them mapped: RSS 80-82 MiB in the soak's first minutes instead of
98 MiB, same requests per minute. :func:`tune_malloc` sets both before any thread starts, as
``MALLOC_ARENA_MAX`` and ``MALLOC_MMAP_THRESHOLD_`` would (each variable, if set, wins); Python's own
small objects live in its own pools and are not affected.

Under systemd (``Type=notify``) the server says ``READY=1`` once it listens, and pings the
watchdog while a request to its own ``/auth/status`` is answered (:mod:`securitycam.system.notify`).

``SIGTERM`` (or ``SIGINT``) ends the SSE streams, stops the event loop, waits for the requests
under way, then stops the appliance (child processes, files, database) and returns.
"""

from __future__ import annotations

import ctypes
import logging
import os
import resource
import signal
import threading
import urllib.request
from pathlib import Path
from typing import Any

from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher

from securitycam.system.notify import Watchdog

log = logging.getLogger(__name__)

CONNECTION_LIMIT = 1000
IDLE_TIMEOUT = 15
# File descriptors kept for what is not a connection: the database, logs, clips, pipes to ffmpeg.
OTHER_FILES = 256
MALLOC_ARENAS = 2
MMAP_THRESHOLD = 256 * 1024
# glibc's mallopt() parameter numbers (malloc.h).
M_ARENA_MAX = -8
M_MMAP_THRESHOLD = -3


class ApplianceServer:
    def __init__(
        self,
        data_dir: Path,
        host: str,
        port: int,
        threads: int = 16,
        sse_clients: int = 200,
        idle_timeout: int = IDLE_TIMEOUT,
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.threads = threads
        self.sse_clients = sse_clients
        self.idle_timeout = idle_timeout

    def run(self) -> None:
        tune_malloc()
        from securitycam.app import create_app

        app = create_app(self.data_dir, max_sse_clients=self.sse_clients)
        appliance = app.extensions["securitycam"]
        dispatcher = StackDispatcher()
        dispatcher.set_thread_count(self.threads + self.sse_clients)
        try:
            server = create_server(
                app,
                # waitress's parameter for a dispatcher of one's own (it calls it a test shim;
                # pyproject pins waitress 3). The dispatcher's threads are started above.
                _dispatcher=dispatcher,
                host=self.host,
                port=self.port,
                connection_limit=connection_limit(),
                channel_timeout=self.idle_timeout,
                # How often waitress looks for connections past their timeout.
                cleanup_interval=max(1, self.idle_timeout // 3),
                send_bytes=1,
                channel_request_lookahead=1,
                ident="securitycam",
            )
        except BaseException:
            appliance.stop()
            raise

        stopping = []

        def on_signal(signum: int, frame: Any) -> None:
            # A second signal must not interrupt the shutdown under way (children still to stop).
            if stopping:
                return
            stopping.append(signum)
            log.info("signal %d: stopping", signum)
            appliance.bus.close()
            # Raised in the event loop's thread (this one): waitress's run() catches it, stops its
            # threads (waiting for the requests under way) and returns.
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        log.info("serving on %s:%d (%d API threads, up to %d SSE clients)",
                 self.host, self.port, self.threads, self.sse_clients)
        watchdog = Watchdog(self.answers)
        watchdog.start()
        try:
            server.run()
        finally:
            watchdog.stop()
            server.close()
            appliance.stop()

    def answers(self, timeout: float = 10.0) -> bool:
        """Whether the server answers a request on its own port (the watchdog's health check)."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else "::1" if self.host == "::" else self.host
        url = f"http://{f'[{host}]' if ':' in host else host}:{self.port}/auth/status"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return bool(response.status == 200)
        except OSError:
            return False


def tune_malloc() -> None:
    """At most :data:`MALLOC_ARENAS` glibc malloc arenas and blocks over :data:`MMAP_THRESHOLD` mapped
    of their own, unless ``MALLOC_ARENA_MAX`` or ``MALLOC_MMAP_THRESHOLD_`` says otherwise."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return
    for variable, parameter, value in (("MALLOC_ARENA_MAX", M_ARENA_MAX, MALLOC_ARENAS),
                                       ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, MMAP_THRESHOLD)):
        if variable not in os.environ and not mallopt(parameter, value):
            log.warning("could not set malloc's %s", variable)


def connection_limit() -> int:
    """:data:`CONNECTION_LIMIT`, after raising the open-file limit to fit it (less if the hard limit is lower)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTION_LIMIT + OTHER_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(16, min(CONNECTION_LIMIT, soft - OTHER_FILES))


class StackDispatcher(ThreadedTaskDispatcher):  # type: ignore[misc]
    """waitress's thread pool, but the next task goes to the thread that went idle last."""

    def __init__(self) -> None:
        super().__init__()
        self.queue_cv = LastInFirstOut(self.lock)


class LastInFirstOut:
    """The part of :class:`threading.Condition` that waitress uses, with ``notify`` waking the
    thread that began waiting last."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._waiters: list[threading.Lock] = []

    def wait(self) -> None:
        """Release the lock until notified, then take it again (the caller holds it)."""
        waiter = threading.Lock()
        waiter.acquire()
        self._waiters.append(waiter)
        self._lock.release()
        try:
            waiter.acquire()
        finally:
            self._lock.acquire()

    def notify(self, n: int = 1) -> None:
        for _ in range(min(n, len(self._waiters))):
            self._waiters.pop().release()

    def notify_all(self) -> None:
        self.notify(len(self._waiters))
