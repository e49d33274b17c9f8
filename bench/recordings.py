"""Recordings figures: HLS playlists, the recordings list and summaries, and retention, over many segments.

    python bench/recordings.py [--days 7] [--segment 2]

Builds the real appliance (cameras idle) in a temporary data directory whose ``recordings`` table
holds ``--days`` of continuous recording of one camera in ``--segment``-second segments (rows
only: the files are absent, as a retention pass that finds them gone costs a failed unlink each),
with a one-minute gap every hour (ffmpeg restarts), and one event an hour. Every request goes through
the Flask app (routing, auth, JSON), as a client's would.

Printed (median of 5, and the size of the answer): the media playlist of 24 hours and of one hour,
the master playlist of 24 hours, ``/api/<camera>/recordings`` for one hour and 24 hours, the camera's
hourly summary and the all-camera daily summary over every day, and a retention pass that deletes
the oldest day.
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
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner

PASSWORD = "bench password"
SIZE = 250_000  # bytes of a 2 s 720p segment, roughly


def median_ms(action, runs: int = 5):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        begun = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - begun)
    return statistics.median(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--segment", type=float, default=2.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="recordings-bench-") as tmp:
        root = Path(tmp)
        (root / "sys").mkdir()
        os.environ["SECURITYCAM_PASSWORD"] = PASSWORD
        hardware = Hardware(runner=RecordingRunner(), host=HostReader(root / "sys"), run_cameras=False)
        app = create_app(root / "data", hardware, start=False)
        appliance = app.extensions["securitycam"]
        client = app.test_client()
        token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        store = appliance.recorder.recordings

        now = time.time()
        first = now - args.days * 86400
        rows, moment = [], first
        while moment < now:
            if (moment - first) % 3600 < args.segment:  # a minute lost every hour
                moment += 60
            path = store.path_for("cam", moment)
            rows.append(("cam", str(path), moment, moment + args.segment, args.segment, SIZE))
            moment += args.segment
        begun = time.perf_counter()
        with appliance.db.transaction() as tx:
            tx.executemany("INSERT INTO recordings (camera, path, start_time, end_time, duration, size) "
                           "VALUES (?, ?, ?, ?, ?, ?)", rows)
        for hour in range(args.days * 24):
            event = appliance.events.open("cam", "sensor", "door", start_time=first + hour * 3600 + 600)
            appliance.events.end(event.id, first + hour * 3600 + 620)
            appliance.events.update(event.id, has_clip=True)
        print(f"{len(rows)} segments of {args.segment:g} s over {args.days} days inserted in "
              f"{time.perf_counter() - begun:.1f} s")

        day_start, hour_start = now - 86400, now - 3600
        for label, path in [
            ("media playlist, 24 h", f"/vod/cam/start/{day_start}/end/{now}/index.m3u8"),
            ("media playlist, 1 h", f"/vod/cam/start/{hour_start}/end/{now}/index.m3u8"),
            ("master playlist, 24 h", f"/vod/cam/start/{day_start}/end/{now}/master.m3u8"),
            ("/api/cam/recordings, 1 h", f"/api/cam/recordings?after={hour_start}&before={now}"),
            ("/api/cam/recordings, 24 h", f"/api/cam/recordings?after={day_start}&before={now}"),
            (f"/api/cam/recordings/summary, {args.days} days", "/api/cam/recordings/summary?timezone=Europe/Berlin"),
            (f"/api/recordings/summary, {args.days} days", "/api/recordings/summary?timezone=Europe/Berlin"),
        ]:
            took, response = median_ms(lambda path=path: client.get(path))
            assert response.status_code == 200, (path, response.status_code)
            print(f"{label}: {took:.1f} ms ({len(response.data) / 1024:.0f} KiB)")

        appliance.settings.update({"Cameras": [{"name": "cam", "record": {
            "enabled": True, "retain": {"days": args.days - 1}}}]})
        # Not forced: a forced pass would first reconcile, and forget every row (their files are absent).
        appliance.janitor._last_reconcile = time.time()
        begun = time.perf_counter()
        report = appliance.janitor.run()
        print(f"retention pass deleting the oldest day ({report.deleted['recordings']} segments): "
              f"{(time.perf_counter() - begun) * 1000:.0f} ms")
        appliance.db.close()


if __name__ == "__main__":
    main()
