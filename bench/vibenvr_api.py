"""VibeNVR API figures: ``GET /stats/history`` and the JSON ``GET /events`` list over HTTP (Flask's
test client, the whole request path), with a year of events in the database.

    python bench/vibenvr_api.py [--events 1000000] [--runs 40]

Builds the real appliance (cameras idle) in a temporary data directory and inserts ``--events``
events spread over the last year (4 cameras, 97 % with a clip). Printed: p50 and p95 in
milliseconds of ``/stats/history``, of the same for one camera, of ``/events`` (100 newest),
``/events?type=video&date=<today>`` and ``/events?camera_id=<camera>``, and ``/stats``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Benchmark the checkout this script is in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from securitycam.app import create_app
from securitycam.appliance import Hardware
from securitycam.store.events import new_event_id
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner

CAMERAS = ["front", "back", "garage", "porch"]
YEAR = 365 * 24 * 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "sys").mkdir()
        os.environ["SECURITYCAM_PASSWORD"] = "bench password 1234"
        hardware = Hardware(runner=RecordingRunner(), host=HostReader(root / "sys"), run_cameras=False)
        app = create_app(root / "data", hardware)
        appliance = app.extensions["securitycam"]
        now = time.time()
        rows = []
        for number in range(args.events):
            start = now - YEAR + YEAR * number / args.events
            rows.append((new_event_id(start), CAMERAS[number % 4], "person", "object", start, start + 20,
                         int(number % 100 < 97), 1))
        with appliance.db.transaction() as tx:
            tx.executemany("INSERT INTO events (id, camera, label, source, start_time, end_time, has_clip, "
                           "has_snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        client = app.test_client()
        token = client.post("/auth/validate", json={"password": "bench password 1234"}).json["token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        today = time.strftime("%Y-%m-%d")
        print(f"{args.events} events over a year; {args.runs} runs each; ms p50 / p95")
        for url in ("/stats/history", "/stats/history?camera_id=front", "/events",
                    f"/events?type=video&date={today}", "/events?camera_id=garage", "/stats"):
            times = []
            for _ in range(args.runs):
                begun = time.perf_counter()
                response = client.get(url, headers=headers)
                times.append((time.perf_counter() - begun) * 1000)
                assert response.status_code == 200, (url, response.json)
            times.sort()
            print(f"  GET {url:<40} {statistics.median(times):7.2f} / {times[int(len(times) * 0.95) - 1]:7.2f}")
        appliance.stop()


if __name__ == "__main__":
    main()
