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

``SIGTERM`` (or ``SIGINT``) ends the SSE streams, stops the event loop, waits for the requests
under way, then stops the appliance (child processes, files, database) and returns.
"""

from __future__ import annotations

import logging
import resource
import signal
from pathlib import Path
from typing import Any

from waitress.server import create_server

log = logging.getLogger(__name__)

CONNECTION_LIMIT = 1000
IDLE_TIMEOUT = 15
# File descriptors kept for what is not a connection: the database, logs, clips, pipes to ffmpeg.
OTHER_FILES = 256


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
        from securitycam.app import create_app

        app = create_app(self.data_dir, max_sse_clients=self.sse_clients)
        appliance = app.extensions["securitycam"]
        try:
            server = create_server(
                app,
                host=self.host,
                port=self.port,
                threads=self.threads + self.sse_clients,
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

        def on_signal(signum: int, frame: Any) -> None:
            log.info("signal %d: stopping", signum)
            appliance.bus.close()
            # Raised in the event loop's thread (this one): waitress's run() catches it, stops its
            # threads (waiting for the requests under way) and returns.
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        log.info("serving on %s:%d (%d API threads, up to %d SSE clients)",
                 self.host, self.port, self.threads, self.sse_clients)
        try:
            server.run()
        finally:
            server.close()
            appliance.stop()


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
