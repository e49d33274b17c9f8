"""Shared fixtures: an appliance per test (Flask's tutorial pattern) with every hardware seam faked
at its lowest layer: a recording command runner, a sysfs root the test writes files into, and a
pretend disk for the data directory.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from securitycam.app import create_app
from securitycam.appliance import Appliance, Hardware
from securitycam.system.host import DiskUsage, HostReader
from securitycam.system.runner import RecordingRunner

PASSWORD = "correct horse battery"
FAST_DELAYS = {"RESTART_DELAY": 0.05, "REBOOT_DELAY": 0.1, "SSE_HEARTBEAT": 0.5}


class FakeDisk:
    """The data directory's filesystem as the test wants it: ``percent`` full of ``total`` bytes."""

    def __init__(self, total: int = 32 * 1024**3, percent: float = 20.0) -> None:
        self.total = total
        self.percent = percent

    def __call__(self, path: Path) -> DiskUsage:
        used = int(self.total * self.percent / 100)
        return DiskUsage(self.total, used, self.total - used)


@pytest.fixture
def sysroot(tmp_path: Path) -> Path:
    """The root the sysfs seam reads below; write e.g. ``sys/class/thermal/thermal_zone0/temp``."""
    root = tmp_path / "sysroot"
    root.mkdir()
    return root


def write_sys(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
def disk() -> FakeDisk:
    return FakeDisk()


@pytest.fixture
def hardware(runner: RecordingRunner, sysroot: Path, disk: FakeDisk) -> Hardware:
    # Cameras stay idle unless a test module asks for footage (tests/recorder does).
    return Hardware(runner=runner, host=HostReader(sysroot, disk_usage=disk), run_cameras=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def app(data_dir: Path, hardware: Hardware, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
    app = create_app(data_dir, hardware, config=FAST_DELAYS)
    yield app
    app.extensions["securitycam"].stop()


@pytest.fixture
def appliance(app: Flask) -> Appliance:
    return app.extensions["securitycam"]


@pytest.fixture
def anon(app: Flask) -> FlaskClient:
    """A client with no credentials."""
    return app.test_client()


@pytest.fixture
def token(anon: FlaskClient) -> str:
    response = anon.post("/auth/validate", json={"password": PASSWORD})
    assert response.status_code == 200, response.json
    return response.json["token"]


@pytest.fixture
def client(app: Flask, token: str) -> FlaskClient:
    """A client that sends the Bearer token with every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app on a real loopback socket (threaded werkzeug), for SSE and streaming tests."""
    server = LiveServer(app)
    yield server
    server.stop()


def started_with_cameras(root: Path, cameras: list[dict]) -> Flask:
    """A whole appliance on ``root`` (faked hardware, real ffmpeg) recording ``cameras``, started:
    for session- and module-scoped fixtures that share real footage between tests (the function
    fixtures above cannot be used there, nor ``monkeypatch``)."""
    (root / "sys").mkdir()
    hardware = Hardware(runner=RecordingRunner(), host=HostReader(root / "sys", disk_usage=FakeDisk()))
    previous = os.environ.get("SECURITYCAM_PASSWORD")
    os.environ["SECURITYCAM_PASSWORD"] = PASSWORD
    try:
        app = create_app(root / "data", hardware, start=False, config=FAST_DELAYS)
    finally:
        if previous is None:
            os.environ.pop("SECURITYCAM_PASSWORD")
        else:
            os.environ["SECURITYCAM_PASSWORD"] = previous
    appliance: Appliance = app.extensions["securitycam"]
    appliance.settings.update({"Cameras": cameras})
    appliance.start()
    return app
