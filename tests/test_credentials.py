"""Credentials in camera URLs are secrets: no reader (viewer or admin) sees them in settings, status,
camera listings, system info or logs; saving settings back without them keeps them."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from securitycam.app import create_app
from securitycam.appliance import Hardware
from securitycam.config.credentials import MASK
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.conftest import FAST_DELAYS, PASSWORD, FakeDisk

CAM_PASSWORD = "S3cretCamPw"
URL = f"rtsp://admin:{CAM_PASSWORD}@10.0.0.5:554/stream1"
MASKED = f"rtsp://{MASK}@10.0.0.5:554/stream1"


def rtsp_camera(url: str = URL, name: str = "door") -> dict:
    return {"name": name, "source": "rtsp", "url": url}


@pytest.fixture
def configured(appliance) -> None:
    appliance.settings.update({"Cameras": [rtsp_camera(), {"name": "cam"}]})


def stored_url(appliance, data_dir: Path, index: int = 0) -> str:
    on_disk = json.loads((data_dir / "settings" / "settings.json").read_text())["Cameras"][index]["url"]
    assert on_disk == appliance.settings.get().Cameras[index].url
    return on_disk


def viewer_client(app: Flask, client: FlaskClient) -> FlaskClient:
    assert client.post("/api/users", json={"username": "val", "password": "val's password"}).status_code == 201
    token = app.test_client().post("/auth/login", data={"username": "val", "password": "val's password"})
    viewer = app.test_client()
    viewer.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token.json['access_token']}"
    return viewer


def test_no_reader_sees_camera_credentials(app, client, configured):
    viewer = viewer_client(app, client)
    for reader, paths in ((client, ("/settings", "/cameras", "/recording/status", "/system_info")),
                          (viewer, ("/cameras", "/recording/status", "/system_info"))):
        for path in paths:
            response = reader.get(path)
            assert response.status_code == 200, path
            assert CAM_PASSWORD not in response.get_data(as_text=True), path
    assert client.get("/settings").json["Cameras"][0]["url"] == MASKED
    assert client.get("/cameras").json["cameras"][0]["url"] == MASKED
    assert viewer.get("/settings").status_code == 403  # settings are for admins to read (VibeNVR)


def test_settings_saved_back_masked_or_without_credentials_keep_them(client, appliance, configured, data_dir):
    shown = client.get("/settings").json
    saved = client.post("/settings", json=shown)  # what a dashboard's "save" sends
    assert saved.status_code == 200 and saved.json["settings"]["Cameras"][0]["url"] == MASKED
    assert stored_url(appliance, data_dir) == URL
    other_path = client.post("/settings", json={"Cameras": [rtsp_camera("rtsp://10.0.0.5:554/stream2"), {}]})
    assert other_path.status_code == 200
    assert stored_url(appliance, data_dir) == f"rtsp://admin:{CAM_PASSWORD}@10.0.0.5:554/stream2"
    whole_section = client.put("/settings/Cameras", json={"value": [rtsp_camera(MASKED), {"name": "cam"}]})
    assert whole_section.status_code == 200
    assert stored_url(appliance, data_dir) == URL


def test_new_credentials_replace_and_an_empty_user_info_removes_them(client, appliance, configured, data_dir):
    assert client.post("/settings", json={"Cameras": [rtsp_camera("rtsp://viewer:n3w@10.0.0.5:554/stream1")]}
                       ).status_code == 200
    assert stored_url(appliance, data_dir) == "rtsp://viewer:n3w@10.0.0.5:554/stream1"
    assert client.post("/settings", json={"Cameras": [rtsp_camera("rtsp://@10.0.0.5:554/stream1")]}
                       ).status_code == 200
    assert stored_url(appliance, data_dir) == "rtsp://10.0.0.5:554/stream1"


def test_credentials_never_follow_a_url_to_another_host(client, appliance, configured, data_dir):
    refused = client.post("/settings", json={"Cameras": [rtsp_camera(f"rtsp://{MASK}@203.0.113.9/stream1")]})
    assert refused.status_code == 400 and refused.json["field"] == "Cameras.0.url"
    assert "10.0.0.5:554" in refused.json["message"] and CAM_PASSWORD not in refused.json["message"]
    assert stored_url(appliance, data_dir) == URL
    moved = client.post("/settings", json={"Cameras": [rtsp_camera("rtsp://203.0.113.9/stream1")]})
    assert moved.status_code == 200 and stored_url(appliance, data_dir) == "rtsp://203.0.113.9/stream1"
    never_stored = client.post("/settings", json={"Cameras": [rtsp_camera(MASKED, name="new")]})
    assert never_stored.status_code == 400 and never_stored.json["field"] == "Cameras.0.url"


def test_logs_show_no_credentials(client, appliance, configured):
    logs = appliance.paths.logs
    (logs / "recorder").mkdir(parents=True, exist_ok=True)
    (logs / "recorder" / "door.log").write_text(f"{URL}: Connection refused\n")
    (logs / "mediamtx").mkdir(parents=True, exist_ok=True)
    (logs / "mediamtx" / "mediamtx.log").write_text(f"2026/01/01 00:00:00 ERR [path door] {URL}: refused\n")
    logging.getLogger("securitycam.recorder").warning("cannot open %s", URL)
    api_log = (logs / "api" / "api.log").read_text()
    assert CAM_PASSWORD not in api_log and f"cannot open {MASKED}" in api_log  # masked as written
    for path in ("/logs/script/recorder/door.log", "/logs/mediamtx", "/logs/api"):
        shown = client.get(path).get_data(as_text=True)
        assert CAM_PASSWORD not in shown and MASKED in shown, path
    # Searching the unmasked text would tell whether a guessed password is the right one.
    assert client.get(f"/logs/mediamtx?search={CAM_PASSWORD}").json == []


def test_a_camera_that_cannot_be_reached_shows_no_credentials_anywhere(tmp_path, monkeypatch):
    """A real ffmpeg fails on an RTSP camera and quotes its URL; nothing a client reads shows it."""
    monkeypatch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
    (tmp_path / "sys").mkdir()
    hardware = Hardware(runner=RecordingRunner(), host=HostReader(tmp_path / "sys", disk_usage=FakeDisk()))
    app = create_app(tmp_path / "data", hardware, start=False, config=FAST_DELAYS)
    appliance = app.extensions["securitycam"]
    appliance.settings.update({"Cameras": [rtsp_camera(f"rtsp://admin:{CAM_PASSWORD}@127.0.0.1:9/stream")],
                               "MediaMTX": {"enabled": False}})
    appliance.start()
    try:
        log_file = appliance.paths.logs / "recorder" / "door.log"
        deadline = time.monotonic() + 20
        while "Connection refused" not in (log_file.read_text() if log_file.exists() else ""):
            assert time.monotonic() < deadline, "ffmpeg never reported the refused connection"
            time.sleep(0.1)
        assert CAM_PASSWORD in log_file.read_text()  # ffmpeg's own file quotes the URL...
        client = app.test_client()
        token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        for path in ("/logs/script/recorder/door.log", "/logs/scripts", "/recording/status", "/cameras",
                     "/system_info", "/settings", "/logs/api?limit=2000"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert CAM_PASSWORD not in response.get_data(as_text=True), path  # ...no answer does
    finally:
        appliance.stop()


@pytest.mark.parametrize(("url", "masked"), [
    ("rtsp://admin:p@ss@cam.local/live?user=x@y", f"rtsp://{MASK}@cam.local/live?user=x@y"),  # ffmpeg's last @
    ("rtsp://cam.local/path@not-user-info", "rtsp://cam.local/path@not-user-info"),
    ("http://user@[fe80::1]:8080/x", f"http://{MASK}@[fe80::1]:8080/x"),
    ("/dev/video0", "/dev/video0"),
])
def test_masking_splits_urls_as_ffmpeg_does(url, masked):
    from securitycam.config.credentials import mask, redact

    assert mask(url) == masked
    assert redact(f"opening '{url}' failed") == f"opening '{masked}' failed"
