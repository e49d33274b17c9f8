"""Memory soak of ``securitycam serve``: does the serving process's RSS level off under steady traffic?

    python bench/soak.py [--minutes 30] [--clients 8] [--threads N]

Starts ``securitycam serve`` (synthetic camera, mock sensor) in a scratch data directory, logs in,
and has ``--clients`` threads, each on its own keep-alive connection, repeat rounds of
``GET /archive``, ``/system_stats``, ``/settings``, ``/recording/status`` and ``/logs``; every 20th
round a client also triggers the mock sensor (and releases it) and takes a snapshot. Each minute it
prints the RSS of the process that serves requests (the gunicorn worker, or the server itself when
there is no worker process), the requests done and the errors. At the end it compares the RSS
after the first 10 minutes (the warm-up) with its range since: the target is a spread within 5 %.

Run it from a checkout to measure that checkout (``python -m securitycam`` imports the package from
the current directory first).
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time

import psutil
import requests
from local_server import LocalServer

GETS = ("/archive", "/system_stats", "/settings", "/recording/status", "/logs")
WARM_UP_MINUTES = 10
SPREAD_TARGET = 0.05


def serving_process(server: psutil.Process) -> psutil.Process:
    """The process whose memory grows with requests: a gunicorn worker if there is one, else the server."""
    workers = [child for child in server.children() if "python" in child.name() or "gunicorn" in child.name()]
    return workers[0] if workers else server


class Traffic:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.requests = 0
        self.errors = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def count(self, ok: bool) -> None:
        with self._lock:
            self.requests += 1
            self.errors += not ok

    def client(self) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        rounds = 0
        while not self.stop.is_set():
            rounds += 1
            for path in GETS:
                self.count(self._call(session, "GET", path))
            if rounds % 20 == 0:
                self.count(self._call(session, "POST", "/sensor/mock/trigger"))
                self.count(self._call(session, "POST", "/snapshot"))
                self.count(self._call(session, "POST", "/sensor/mock/release"))

    def _call(self, session: requests.Session, method: str, path: str) -> bool:
        try:
            return session.request(method, f"{self.base}{path}", timeout=30).ok
        except requests.RequestException:
            return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--threads", type=int, help="passed to securitycam serve --threads")
    args = parser.parse_args()
    # Stopped early (kill), still stop the server it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory() as data_dir:
        server = LocalServer(data_dir, *(["--threads", str(args.threads)] if args.threads else []))
        try:
            server.wait_up()
            process = serving_process(psutil.Process(server.proc.pid))
            traffic = Traffic(server.base, server.token)
            clients = [threading.Thread(target=traffic.client, daemon=True) for _ in range(args.clients)]
            mib = 2**20
            start_rss = process.memory_info().rss / mib
            print(f"serving pid {process.pid}; {args.clients} clients; start RSS {start_rss:.1f} MiB", flush=True)
            for client in clients:
                client.start()
            samples: list[float] = []
            started = time.monotonic()
            for minute in range(1, int(args.minutes) + 1):
                time.sleep(max(0.0, started + 60 * minute - time.monotonic()))
                rss = process.memory_info().rss / mib
                samples.append(rss)
                print(f"minute {minute:3d}: RSS {rss:6.1f} MiB, {traffic.requests} requests, "
                      f"{traffic.errors} errors", flush=True)
            traffic.stop.set()
            for client in clients:
                client.join(timeout=35)
            settled = samples[WARM_UP_MINUTES - 1:] if len(samples) > WARM_UP_MINUTES else samples[-1:]
            spread = (max(settled) - min(settled)) / min(settled)
            verdict = "level" if spread <= SPREAD_TARGET else "NOT level"
            print(f"from minute {min(WARM_UP_MINUTES, len(samples))}: RSS {min(settled):.1f}-{max(settled):.1f} MiB, "
                  f"spread {spread:.1%} (target within {SPREAD_TARGET:.0%}): {verdict}; "
                  f"minute 1 -> {len(samples)}: {samples[0]:.1f} -> {samples[-1]:.1f} MiB")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
