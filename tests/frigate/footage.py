"""Real footage for the recordings, VOD and export tests: one appliance whose real ffmpeg records the
synthetic camera with continuous recording on, served on a loopback port, shared by the tests of
``test_recordings_*``, ``test_vod_*`` and ``test_exports_*`` (filling it costs seconds).

Those modules import its fixture (``from tests.frigate.footage import footage_fixture``)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from tests.conftest import PASSWORD, LiveServer, started_with_cameras
from tests.recorder.conftest import wait_for

CAMERA = {
    "name": "cam", "width": 320, "height": 180, "fps": 10, "segment_seconds": 1, "pre_capture": 1,
    "post_capture": 1, "max_clip_seconds": 30, "ring_seconds": 5, "frame_rate": 2,
    "record": {"enabled": True, "retain": {"days": 1, "mode": "all"}},
}


@dataclass
class Footage:
    app: Flask
    appliance: Appliance
    client: FlaskClient
    server: LiveServer
    token: str

    def url(self, path: str) -> str:
        """``path`` on the live server with the token in the query (as a player that sends no header)."""
        separator = "&" if "?" in path else "?"
        return f"{self.server.url}{path}{separator}token={self.token}"

    def rows(self) -> list:
        return self.appliance.db.query("SELECT * FROM recordings WHERE camera = 'cam' ORDER BY start_time")

    def at_least(self, count: int) -> list:
        """The rows, once there are ``count`` of them."""
        wait_for(lambda: len(self.rows()) >= count, timeout=30)
        return self.rows()


@pytest.fixture(scope="session", name="footage")
def footage_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Footage]:
    root = tmp_path_factory.mktemp("footage")
    app = started_with_cameras(root, [CAMERA])
    appliance: Appliance = app.extensions["securitycam"]
    client = app.test_client()
    token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    server = LiveServer(app)
    # Some seconds of continuous recording before any test looks.
    wait_for(lambda: len(appliance.db.query("SELECT id FROM recordings")) >= 6, timeout=30)
    yield Footage(app, appliance, client, server, token)
    server.stop()
    appliance.stop()


def ffprobe(target: str | Path, entries: str = "format=duration") -> dict:
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", entries, "-of", "json", str(target)],
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def play_frames(url: str) -> int:
    """Play ``url`` with ffmpeg from first to last frame (decoding every one, output discarded) and return
    how many frames it decoded; fails on any error ffmpeg reports. (Frames, not timestamps: across a
    discontinuity the timestamps start again.)"""
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", url, "-map", "0:v", "-fps_mode", "passthrough",
         "-f", "null", "-",
         "-progress", "pipe:1"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.strip() == "", done.stderr[-2000:]
    frames = [int(line.split("=")[1]) for line in done.stdout.splitlines() if line.startswith("frame=")]
    return frames[-1]
