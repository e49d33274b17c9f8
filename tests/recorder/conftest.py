"""One appliance with a real ffmpeg recording the synthetic camera, shared by this folder's tests
(starting ffmpeg and filling the pre-capture ring costs seconds; tests share it and each works on
its own events). Short segments and windows keep the suite fast."""

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
from tests.conftest import PASSWORD, started_with_cameras
from tests.waiting import wait_for

CAMERA = {
    "name": "cam", "width": 320, "height": 180, "fps": 10, "segment_seconds": 1, "pre_capture": 2,
    "post_capture": 1, "max_clip_seconds": 6, "ring_seconds": 8, "frame_rate": 4,
}


@dataclass
class Live:
    app: Flask
    appliance: Appliance
    client: FlaskClient


def start_live(root: Path) -> Live:
    """The appliance recording :data:`CAMERA` on ``root``, with a client holding the token, once its
    ring holds a full pre-capture; the caller stops it."""
    app = started_with_cameras(root, [CAMERA])
    appliance: Appliance = app.extensions["securitycam"]
    client = app.test_client()
    token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    recorder = appliance.recorder
    # Enough ring for a full pre-capture before any test triggers.
    wait_for(lambda: recorder.index.count("cam") >= 3, timeout=20)
    return Live(app, appliance, client)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = start_live(tmp_path_factory.mktemp("recorder"))
    yield live
    live.appliance.stop()


def ffprobe_json(path: Path, entries: str) -> dict:
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", entries, "-of", "json", str(path)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)
