"""What listing the archive costs now that every listed file and sidecar is jailed: ``/archive``
pages, ``/archive/new_count`` and ``/snapshots`` over 5,000 clips (each with thumbnail, sprite and
meta) and 1,000 snapshots, a few of them links, through the Flask test client.

    PYTHONPATH=. python bench/archive_listing.py

Prints figures; asserts nothing. Uses a throwaway data directory.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from securitycam.app import create_app

PASSWORD = "bench password"
CLIPS, SNAPSHOTS, LINKS = 5000, 1000, 50


def timed(label: str, fn: Callable[[], object], runs: int) -> None:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    median = statistics.median(samples) * 1000
    print(f"{label:40s} median {median:8.2f} ms  min {min(samples) * 1000:8.2f} ms  ({runs} runs)")


def fill(recordings: Path) -> None:
    for n in range(CLIPS):
        stem = recordings / f"output_20260101_{n:06d}"
        stem.with_suffix(".mp4").write_bytes(b"v")
        Path(f"{stem}.thumb.jpg").write_bytes(b"t")
        Path(f"{stem}.sprite.jpg").write_bytes(b"s")
        Path(f"{stem}.meta.json").write_text(json.dumps({"event_id": str(n), "reason": "sensor"}))
    for n in range(SNAPSHOTS):
        (recordings / f"snapshot_20260101_{n:06d}.jpg").write_bytes(b"j")
    for n in range(LINKS):  # links inside the folder, which must be resolved
        (recordings / f"output_20260102_{n:06d}.mp4").symlink_to(f"output_20260101_{n:06d}.mp4")
        (recordings / f"output_20260102_{n:06d}.thumb.jpg").symlink_to(f"output_20260101_{n:06d}.thumb.jpg")


def main() -> None:
    os.environ["SECURITYCAM_PASSWORD"] = PASSWORD
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Path(data_dir), start=False)
        try:
            fill(app.extensions["securitycam"].paths.recordings)
            client = app.test_client()
            token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            timed("GET /archive (page of 20)", lambda: client.get("/archive"), 30)
            timed("GET /archive?per_page=200", lambda: client.get("/archive?per_page=200"), 30)
            timed("GET /archive/new_count", lambda: client.get("/archive/new_count?since=2000-01-01"), 30)
            timed("GET /snapshots", lambda: client.get("/snapshots"), 30)
        finally:
            app.extensions["securitycam"].stop()


if __name__ == "__main__":
    main()
