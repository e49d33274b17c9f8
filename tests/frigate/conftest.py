"""Frigate API tests: the appliance of ``tests/conftest.py`` (cameras idle), plus real footage made
with ffmpeg where an endpoint serves video, and a viewer signed in through ``POST /api/login``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from securitycam.recorder import clips
from securitycam.store.events import Event

VIEWER, VIEWER_PASSWORD = "alice", "alice's long password"


def make_clip(appliance: Appliance, event: Event, seconds: float = 3.0) -> Path:
    """A real clip for ``event`` (synthetic video, joined and given sidecars by the recorder's own
    code), recorded in its row as the recorder records one."""
    segment = appliance.paths.cache / f"{event.id}.ts"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=320x180:rate=10:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-g", "10", "-pix_fmt", "yuv420p", "-f", "mpegts", str(segment)], check=True)
    output = clips.free_name(appliance.paths.recordings, event.start_time)
    clips.build_clip([segment], output, 0.5, {"event_id": event.id})
    segment.unlink()
    appliance.janitor.file_written(output, event.id)
    made = appliance.events.get(event.id)
    assert made is not None
    appliance.events.update(event.id, has_clip=True, has_snapshot=True,
                            data={**made.data, "clips": [*made.data.get("clips", []), str(output)]})
    return output


@pytest.fixture
def viewer(client: FlaskClient, app: Flask) -> FlaskClient:
    """A viewer made through Frigate's users API, signed in with Frigate's login (the frigate_token cookie)."""
    created = client.post("/api/users", json={"username": VIEWER, "password": VIEWER_PASSWORD})
    assert created.status_code == 201, created.json
    session = app.test_client()
    assert session.post("/api/login", json={"user": VIEWER, "password": VIEWER_PASSWORD}).status_code == 200
    return session
