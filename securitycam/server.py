"""Production serving: gunicorn, one worker (it owns the GPIO pins, the camera and the event bus)
with a pool of threads. Each SSE client holds a thread, so the bus refuses clients past
``threads - API_THREADS_RESERVED`` and API requests always find a free thread.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)

API_THREADS_RESERVED = 16


class ApplianceServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, data_dir: Path, host: str, port: int, threads: int = 64) -> None:
        self.data_dir = data_dir
        self.options = {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            # SSE streams never finish by themselves; do not wait long for them on shutdown.
            "graceful_timeout": 5,
            "timeout": 60,
            "keepalive": 5,
            "accesslog": None,
            "loglevel": "warning",
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
        }
        self.max_sse_clients = max(1, threads - API_THREADS_RESERVED)
        self.application: Any = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Called in the worker: the hardware is opened by the process that serves requests, and
        # the master, which only supervises, never imports Flask and the appliance.
        from securitycam.app import create_app

        self.application = create_app(self.data_dir, max_sse_clients=self.max_sse_clients)
        return self.application

    @staticmethod
    def _appliance(worker: Any) -> Any:
        app = getattr(worker, "wsgi", None)
        return getattr(app, "extensions", {}).get("securitycam") if app else None

    @classmethod
    def _post_worker_init(cls, worker: Any) -> None:
        """On SIGTERM, end the SSE streams first so their threads free up and shutdown is quick."""
        appliance = cls._appliance(worker)
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum: int, frame: Any) -> None:
            if appliance is not None:
                appliance.bus.close()
            if callable(previous):
                previous(signum, frame)

        signal.signal(signal.SIGTERM, on_term)

    @classmethod
    def _worker_exit(cls, server: Any, worker: Any) -> None:
        appliance = cls._appliance(worker)
        if appliance is not None:
            appliance.stop()
