"""MediaMTX on the Pi: every camera setting in the generated mediamtx.yml (read back as YAML, as
MediaMTX reads it), and a camera's change applied through MediaMTX's API to that camera's paths
only."""

from __future__ import annotations

import json
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from securitycam.config.models import Settings
from securitycam.paths import DataPaths
from securitycam.recorder.mediamtx import MediaMTX, render_config
from securitycam.recorder.process import RUNNING
from tests.recorder.conftest import wait_for

PI = {"name": "door", "source": "rpi_camera", "width": 1296, "height": 972, "fps": 15, "segment_seconds": 2}


def paths_of(settings: Settings, tmp_path: Path) -> dict:
    """The ``paths`` of the config as MediaMTX would read the file (YAML)."""
    config_file = tmp_path / "mediamtx.yml"
    config_file.write_text(json.dumps(render_config(settings, tmp_path / "mediamtx.log")))
    return yaml.safe_load(config_file.read_text())["paths"]


def test_pi_camera_path_carries_size_rate_and_every_isp_setting(tmp_path: Path):
    isp = {"brightness": 0.3, "contrast": 2, "saturation": 1.5, "sharpness": 3, "ev": -2, "awb": "cloudy",
           "exposure": "short", "denoise": "off", "metering": "spot"}
    door = paths_of(Settings.model_validate({"Cameras": [{**PI, "isp": isp}]}), tmp_path)["door"]
    assert door == {
        "source": "rpiCamera", "rpiCameraWidth": 1296, "rpiCameraHeight": 972, "rpiCameraFPS": 15,
        "rpiCameraHFlip": False, "rpiCameraVFlip": False,
        "rpiCameraBrightness": 0.3, "rpiCameraContrast": 2, "rpiCameraSaturation": 1.5,
        "rpiCameraSharpness": 3, "rpiCameraEV": -2, "rpiCameraAWB": "cloudy", "rpiCameraExposure": "short",
        # Quoted in the file: YAML 1.1 would otherwise read a bare off as false.
        "rpiCameraDenoise": "off", "rpiCameraMetering": "spot", "rpiCameraIDRPeriod": 30,
    }


def test_pi_camera_rotation(tmp_path: Path):
    upside_down = paths_of(Settings.model_validate({"Cameras": [{**PI, "rotation": 180}]}), tmp_path)
    assert upside_down["door"]["rpiCameraHFlip"] and upside_down["door"]["rpiCameraVFlip"]
    assert set(upside_down) == {"door"}
    # MediaMTX cannot turn by 90: the camera publishes under door/raw and ffmpeg turns it into door.
    for angle, turn in ((90, "transpose=clock"), (270, "transpose=cclock")):
        paths = paths_of(Settings.model_validate({"Cameras": [{**PI, "rotation": angle}]}), tmp_path)
        assert paths["door/raw"]["source"] == "rpiCamera" and not paths["door/raw"]["rpiCameraHFlip"]
        command = paths["door"]["runOnInit"]
        assert "rtsp://localhost:$RTSP_PORT/door/raw" in command and f"-vf {turn}" in command
        assert "libx264" in command and command.endswith("'rtsp://localhost:$RTSP_PORT/$MTX_PATH'")
    # rotation_mode encoder: 180 by ffmpeg too.
    encoder = paths_of(Settings.model_validate({"Cameras": [{**PI, "rotation": 180, "rotation_mode": "encoder"}]}),
                       tmp_path)
    assert "-vf hflip,vflip" in encoder["door"]["runOnInit"] and not encoder["door/raw"]["rpiCameraVFlip"]


def test_ffmpeg_sources_carry_tuning_and_rotation_in_their_publisher(tmp_path: Path):
    paths = paths_of(Settings.model_validate({"Cameras": [
        {"name": "test", "isp": {"brightness": 0.25, "saturation": 0}, "rotation": 90},
        {"name": "yard", "source": "rtsp", "url": "rtsp://10.0.0.9/live", "isp": {"brightness": 0.5}},
        {"name": "porch", "source": "rtsp", "url": "rtsp://10.0.0.8/live", "rotation": 270},
    ]}), tmp_path)
    assert "eq=brightness=0.25:contrast=1:saturation=0,transpose=clock" in paths["test"]["runOnInit"]
    # An IP camera is tuned in the camera: relayed as it is, unless it has to be turned.
    assert paths["yard"] == {"source": "rtsp://10.0.0.9/live", "rtspTransport": "tcp"}
    assert "transpose=cclock" in paths["porch"]["runOnInit"] and "libx264" in paths["porch"]["runOnInit"]


class MediaMTXApi(BaseHTTPRequestHandler):
    """MediaMTX's control API as far as path changes go; it notes every request."""

    calls: ClassVar[list[tuple[str, str, dict | None]]] = []

    def _note(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        type(self).calls.append((self.command, self.path, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_DELETE = do_PATCH = _note

    def do_GET(self) -> None:
        body = b'{"items": []}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api():
    MediaMTXApi.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), MediaMTXApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_a_camera_change_replaces_only_its_paths(tmp_path: Path, api):
    binary = tmp_path / "mediamtx"
    binary.write_text("#!/bin/sh\nexec sleep 30\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    paths = DataPaths(tmp_path / "data")
    paths.create()
    settings = Settings.model_validate({"MediaMTX": {"api_port": api.server_port},
                                        "Cameras": [PI, {"name": "test"}]})
    mediamtx = MediaMTX(paths, binary_finder=lambda name: str(binary))
    mediamtx.apply(settings)
    try:
        wait_for(lambda: mediamtx.supervisor.state == RUNNING)
        started_pid = mediamtx.supervisor.pid
        door = settings.Cameras[0]
        brighter = door.model_copy(update={"isp": door.isp.model_copy(update={"brightness": 0.4})})
        assert mediamtx.update_camera(brighter) == ["door"]
        assert MediaMTXApi.calls == [("POST", "/v3/config/paths/replace/door",
                                      {**MediaMTXApi.calls[0][2], "rpiCameraBrightness": 0.4})]
        written = yaml.safe_load(mediamtx.config_file.read_text())["paths"]
        assert written["door"]["rpiCameraBrightness"] == 0.4 and "test" in written
        # Turned by 90: the camera moves to door/raw (added after door stops being its source) ...
        MediaMTXApi.calls.clear()
        mediamtx.update_camera(brighter.model_copy(update={"rotation": 90}))
        assert [(method, path) for method, path, _ in MediaMTXApi.calls] == [
            ("POST", "/v3/config/paths/replace/door"), ("POST", "/v3/config/paths/add/door/raw")]
        # ... and back: door/raw goes first, so the camera is never the source of two paths.
        MediaMTXApi.calls.clear()
        mediamtx.update_camera(brighter)
        assert [(method, path) for method, path, _ in MediaMTXApi.calls] == [
            ("DELETE", "/v3/config/paths/delete/door/raw"), ("POST", "/v3/config/paths/replace/door")]
        assert mediamtx.supervisor.pid == started_pid  # MediaMTX itself never restarted
        assert not any("/test" in path for _, path, _ in MediaMTXApi.calls)
    finally:
        mediamtx.stop()


def test_without_its_api_mediamtx_restarts_with_the_new_config(tmp_path: Path):
    binary = tmp_path / "mediamtx"
    binary.write_text("#!/bin/sh\nexec sleep 30\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    paths = DataPaths(tmp_path / "data")
    paths.create()
    settings = Settings.model_validate({"MediaMTX": {"api_port": 1}, "Cameras": [PI]})
    mediamtx = MediaMTX(paths, binary_finder=lambda name: str(binary))
    mediamtx.apply(settings)
    try:
        wait_for(lambda: mediamtx.supervisor.state == RUNNING)
        first = mediamtx.supervisor.pid
        mediamtx.update_camera(settings.Cameras[0].model_copy(update={"fps": 25}))
        wait_for(lambda: mediamtx.supervisor.pid not in (None, first) and mediamtx.supervisor.state == RUNNING)
        assert yaml.safe_load(mediamtx.config_file.read_text())["paths"]["door"]["rpiCameraFPS"] == 25
    finally:
        mediamtx.stop()

