"""API latency of ``securitycam serve`` while SSE clients listen and slow clients hold connections.

    python bench/slow_clients.py [--sse 50] [--slow 200] [--requests 200]

Starts ``securitycam serve`` in a scratch data directory, opens ``--sse`` event streams (counting
those answered 200), then ``--slow`` connections that each send ``GET /auth/status HTTP/1.1``,
one header and nothing more. It then times ``--requests`` requests each of ``GET /auth/status``
(no login) and ``GET /settings`` (Bearer token), each on a new connection with a 5 s timeout
(a timeout counts as 5000 ms; after 5 in a row the path is given up), and prints p50/p99.
Then it triggers the mock sensor and counts the streams that receive the event (and how long after
the trigger was sent), and finally
waits up to ``--drop-wait`` seconds for the server to close the half-sent connections.

Run it from a checkout to measure that checkout (``python -m securitycam`` imports the package from
the current directory first).
"""

from __future__ import annotations

import argparse
import contextlib
import select
import socket
import tempfile
import threading
import time

import requests
from local_server import LocalServer, percentile

TIMEOUT = 5.0
HALF_SENT = b"GET /auth/status HTTP/1.1\r\nHost: x\r\n"


def time_requests(url: str, headers: dict[str, str], count: int) -> str:
    samples, timeouts, in_a_row = [], 0, 0
    for _ in range(count):
        started = time.perf_counter()
        try:
            ok = requests.get(url, headers={**headers, "Connection": "close"}, timeout=TIMEOUT).status_code == 200
        except requests.RequestException:
            ok = False
        if ok:
            samples.append((time.perf_counter() - started) * 1000)
            in_a_row = 0
        else:
            samples.append(TIMEOUT * 1000)
            timeouts += 1
            in_a_row += 1
            if in_a_row >= 5:
                break
    return (f"p50 {percentile(samples, 0.5):.1f} ms, p99 {percentile(samples, 0.99):.1f} ms, "
            f"{timeouts} failed/timed out of {len(samples)}")


class Listener:
    """One SSE client: reads its stream on a thread and remembers the event names it saw."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: list[str] = []
        self.arrived: dict[str, float] = {}
        try:
            self.response = requests.get(url, headers=headers, stream=True, timeout=TIMEOUT)
            self.status = self.response.status_code
        except requests.RequestException:
            self.response, self.status = None, 0
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    self.events.append(line[7:])
                    self.arrived.setdefault(line[7:], time.monotonic())
        except (requests.RequestException, AttributeError, ValueError):
            pass

    def close(self) -> None:
        if self.response is not None:
            self.response.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sse", type=int, default=50)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--drop-wait", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        server = LocalServer(data_dir)
        base, port = server.base, server.port
        listeners: list[Listener] = []
        slow: list[socket.socket] = []
        try:
            server.wait_up()
            auth = server.headers
            print(f"unloaded: GET /auth/status {time_requests(f'{base}/auth/status', {}, args.requests)}")
            listeners = [Listener(f"{base}/events", auth) for _ in range(args.sse)]
            served = sum(listener.status == 200 for listener in listeners)
            print(f"SSE clients answered 200: {served} of {args.sse}")
            for _ in range(args.slow):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(HALF_SENT)
                slow.append(sock)
            opened = time.monotonic()
            time.sleep(1)
            label = f"with {served} SSE + {args.slow} half-sent"
            print(f"{label}: GET /auth/status {time_requests(f'{base}/auth/status', {}, args.requests)}")
            print(f"{label}: GET /settings {time_requests(f'{base}/settings', auth, args.requests)}")
            triggered = time.monotonic()
            with contextlib.suppress(requests.RequestException):
                requests.post(f"{base}/sensor/mock/trigger", headers=auth, timeout=TIMEOUT)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not all("sensor_state" in lst.events for lst in listeners):
                time.sleep(0.1)
            arrivals = [lst.arrived["sensor_state"] for lst in listeners if "sensor_state" in lst.arrived]
            delays = [(arrived - triggered) * 1000 for arrived in arrivals]
            spread = f" (after p50 {percentile(delays, 0.5):.0f} ms, max {max(delays):.0f} ms)" if delays else ""
            print(f"SSE clients that received the trigger's event: {len(delays)} of {args.sse}{spread}")
            print(f"half-sent connections closed by the server: {closed_within(slow, opened, args.drop_wait)}")
        finally:
            for listener in listeners:
                listener.close()
            for sock in slow:
                sock.close()
            server.stop()


def closed_within(sockets: list[socket.socket], opened: float, wait: float) -> str:
    """How many of ``sockets`` the server closed (EOF or reset) within ``wait`` seconds of ``opened``."""
    pending, last = set(sockets), None
    deadline = opened + wait
    while pending and time.monotonic() < deadline:
        readable, _, _ = select.select(list(pending), [], [], 0.5)
        for sock in readable:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                pending.discard(sock)
                last = time.monotonic() - opened
    closed = len(sockets) - len(pending)
    after = f", the last after {last:.0f} s" if last is not None else ""
    return f"{closed} of {len(sockets)} within {wait:.0f} s{after}"


if __name__ == "__main__":
    main()
