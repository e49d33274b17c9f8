"""Latency from a GPIO edge to (a) the event row existing, (b) the SSE message.

A reed switch on a gpiozero mock pin, the whole appliance around it (SQLite on disk, the bus, the
Flask app on a loopback socket). For each of N door openings it times, from just before
``drive_high()``:

- ``event row``: the EventStore's ``on_open`` listener runs (the INSERT has committed);
- ``bus``: an in-process bus subscriber (what the SSE endpoint reads) receives ``sensor_state``;
- ``sse http``: a client reading ``GET /events`` over a loopback socket reads that message.

The camera stays idle by default, so the figures are our own code path; ``--camera`` also runs the
synthetic camera's ffmpeg, and the recorder then builds a clip for every one of the N events (far
more than a door ever does), which shows the path under heavy CPU contention.

Run: ``python bench/sensor_latency.py [--edges 1000] [--camera]``
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpiozero.pins.mock import MockFactory
from werkzeug.serving import make_server

from securitycam.app import create_app
from securitycam.appliance import Hardware
from securitycam.bus import SENSOR_STATE
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner

GPIO = 22
BOUNCE_MS = 2


class Probe:
    """Timestamps of the latest trigger as each observer sees it."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.seen: dict[str, threading.Event] = {name: threading.Event() for name in names}
        self.at: dict[str, float] = {}

    def arm(self) -> None:
        for event in self.seen.values():
            event.clear()
        self.at.clear()

    def mark(self, name: str) -> None:
        if not self.seen[name].is_set():
            self.at[name] = time.perf_counter()
            self.seen[name].set()

    def wait(self, timeout: float = 2.0) -> bool:
        return all(event.wait(timeout) for event in self.seen.values())


def read_sse(port: int, token: str, probe: Probe, connected: threading.Event) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"GET /events?token={token} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        stream = sock.makefile("rb")
        connected.set()
        expect_data = False
        for raw in stream:
            line = raw.decode(errors="replace").strip()
            if line == f"event: {SENSOR_STATE}":
                expect_data = True
            elif expect_data and line.startswith("data:"):
                expect_data = False
                if '"triggered":true' in line:
                    probe.mark("sse http")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=1000)
    parser.add_argument("--camera", action="store_true", help="run the synthetic camera (ffmpeg) too")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sensor-bench-"))
    (work / "root").mkdir()
    os.environ.setdefault("SECURITYCAM_PASSWORD", "bench-password")
    pins = MockFactory()
    hardware = Hardware(runner=RecordingRunner(), host=HostReader(work / "root"), pin_factory=pins,
                        run_cameras=args.camera)
    app = create_app(work / "data", hardware)
    appliance = app.extensions["securitycam"]
    client = app.test_client()
    token = client.post("/auth/validate", json={"password": os.environ["SECURITYCAM_PASSWORD"]}).json["token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    body = {"type": "reed_switch", "gpio": GPIO, "hold_seconds": 0, "calibration": {"bounce_ms": BOUNCE_MS}}
    assert client.post("/sensor/configure", json=body).status_code == 200
    pin = pins.pin(GPIO)
    pin.drive_low()  # the door is shut
    appliance.sensors.sync()
    time.sleep(BOUNCE_MS / 1000 * 2)

    probe = Probe(("event row", "bus", "sse http"))
    appliance.events.on_open(lambda event: probe.mark("event row"))
    subscription = appliance.bus.subscribe()

    def read_bus() -> None:
        while (item := subscription.next(timeout=1.0)) is not None:
            if item and item.name == SENSOR_STATE and item.data["triggered"]:
                probe.mark("bus")

    threading.Thread(target=read_bus, daemon=True).start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its request log would print the token
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connected = threading.Event()
    threading.Thread(target=read_sse, args=(server.server_port, token, probe, connected), daemon=True).start()
    connected.wait(2)
    time.sleep(0.2)

    before = len(appliance.events.list(source="sensor", limit=10))
    latencies: dict[str, list[float]] = {name: [] for name in probe.names}
    for _ in range(args.edges):
        probe.arm()
        started = time.perf_counter()
        pin.drive_high()
        if not probe.wait():
            raise SystemExit(f"an observer missed an edge: saw {sorted(probe.at)}")
        for name, at in probe.at.items():
            latencies[name].append((at - started) * 1000)
        time.sleep(BOUNCE_MS / 1000 * 1.5)
        pin.drive_low()
        appliance.sensors.sync()
        time.sleep(BOUNCE_MS / 1000 * 1.5)

    events = appliance.events.list(source="sensor", limit=args.edges + 10)
    print(f"{args.edges} door openings (reed_switch on a mock pin, bounce {BOUNCE_MS} ms, hold 0 s): "
          f"{len(events) - before} events recorded, {sum(e.in_progress for e in events)} still open")
    print(f"{'edge ->':<12} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    for name, values in latencies.items():
        print(f"{name:<12} {statistics.median(values):>10.3f} {percentile(values, 0.99):>8.3f} {max(values):>8.3f}")
    server.shutdown()
    appliance.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
