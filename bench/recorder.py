"""Recorder figures: trigger-to-event-open time, a clip's real pre-roll against the setting, and
the CPU and memory of our process plus ffmpeg while recording 640×480 at 10 fps.

    python bench/recorder.py [--seconds 60]

Runs the real appliance (synthetic camera, real ffmpeg) in a temporary data directory.
Targets (issue #4): event open under 10 ms; pre-roll within one segment of the setting; steady
RSS of our process under 80 MB.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

# Benchmark the checkout this script is in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from securitycam.app import create_app
from securitycam.appliance import Hardware
from securitycam.bus import ARCHIVE_UPDATED
from securitycam.system.runner import RecordingRunner

CAMERA = {"name": "cam", "width": 640, "height": 480, "fps": 10}


def wait(predicate, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"gave up after {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to measure steady recording")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    with tempfile.TemporaryDirectory() as data:
        app = create_app(data, Hardware(runner=RecordingRunner()), start=False)
        appliance = app.extensions["securitycam"]
        appliance.settings.update({"Cameras": [CAMERA], "Auth": {"enabled": False}})
        appliance.start()
        try:
            run(appliance, app, args.seconds)
        finally:
            appliance.stop()


def run(appliance, app, seconds: float) -> None:  # type: ignore[no-untyped-def]
    recorder = appliance.recorder
    camera = recorder.cameras["cam"].camera
    print(f"camera: synthetic {camera.width}x{camera.height} @ {camera.fps} fps, "
          f"segments {camera.segment_seconds:g} s, pre_capture {camera.pre_capture:g} s, "
          f"post_capture {camera.post_capture:g} s")
    wait(lambda: (recorder.index.latest_end("cam") or 0) - (min(
        (s.start_time for s in recorder.index.for_camera("cam")), default=time.time())) >= camera.pre_capture + 2,
        timeout=30)

    # Trigger to event open: the call a sensor makes (insert the row, tell the recorder).
    events = appliance.events
    opened = []
    for _ in range(50):
        begun = time.perf_counter()
        event = events.open("cam", "sensor", "bench")
        opened.append((time.perf_counter() - begun) * 1000)
        events.end(event.id)
        events.delete(event.id)
        recorder.forget(event.id)
    client = app.test_client()
    http = []
    for _ in range(20):
        begun = time.perf_counter()
        response = client.post("/recording/start")
        http.append((time.perf_counter() - begun) * 1000)
        client.post("/recording/stop")
        events.delete(response.json["event_id"])
        recorder.forget(response.json["event_id"])
    print(f"trigger -> event open (EventStore.open + recorder listener, 50 runs): "
          f"median {statistics.median(opened):.2f} ms, max {max(opened):.2f} ms")
    print(f"POST /recording/start round trip (Flask test client, 20 runs): "
          f"median {statistics.median(http):.2f} ms, max {max(http):.2f} ms")

    # One real event: how much footage before the trigger does its clip hold?
    event = events.open("cam", "sensor", "bench-clip")
    time.sleep(3)
    events.end(event.id)
    begun = time.monotonic()
    path = wait(lambda: next((e.data["path"] for e in appliance.bus.recent(ARCHIVE_UPDATED)
                              if e.data.get("event_id") == event.id), None), timeout=40)
    meta = json.loads(Path(path).with_name(Path(path).stem + ".meta.json").read_text())
    print(f"clip pre-roll: {meta['pre_capture']:.2f} s (setting {camera.pre_capture:g} s, segment "
          f"{camera.segment_seconds:g} s); clip {meta['duration_seconds']:.1f} s for a 3 s event; "
          f"ready {time.monotonic() - begun:.1f} s after the event ended (post_capture {camera.post_capture:g} s)")

    # Steady recording: our process and ffmpeg.
    ours = psutil.Process()
    ffmpeg = psutil.Process(recorder.cameras["cam"].supervisor.pid)
    cpu_start = {p.pid: sum(p.cpu_times()[:2]) for p in (ours, ffmpeg)}
    rss: dict[str, list[float]] = {"ours": [], "ffmpeg": []}
    wall_start = time.monotonic()
    while time.monotonic() - wall_start < seconds:
        rss["ours"].append(ours.memory_info().rss / 2**20)
        rss["ffmpeg"].append(ffmpeg.memory_info().rss / 2**20)
        time.sleep(1)
    wall = time.monotonic() - wall_start
    for name, process in (("our process", ours), ("ffmpeg", ffmpeg)):
        cpu = (sum(process.cpu_times()[:2]) - cpu_start[process.pid]) / wall * 100
        samples = rss["ours" if process is ours else "ffmpeg"]
        print(f"{name}: CPU {cpu:.1f} % of one core over {wall:.0f} s; RSS median {statistics.median(samples):.1f} MB, "
              f"max {max(samples):.1f} MB")
    segments = recorder.index.for_camera("cam")
    lengths = [s.duration for s in segments]
    restarts = recorder.cameras["cam"].supervisor.restarts
    print(f"ring: {len(segments)} segments, lengths {min(lengths):.2f}-{max(lengths):.2f} s, "
          f"{sum(s.size for s in segments) / 2**20:.1f} MB; ffmpeg restarts {restarts}")


if __name__ == "__main__":
    main()
