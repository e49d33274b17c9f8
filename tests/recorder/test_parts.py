"""The recorder's parts that need no camera: sources, settings, the process supervisor, MediaMTX."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from bench.local_server import free_port
from securitycam.cameras import SOURCES, source_for
from securitycam.config.models import CameraSettings, Settings
from securitycam.paths import DataPaths
from securitycam.recorder.mediamtx import MediaMTX, MediaMTXClient, render_config
from securitycam.recorder.process import FAILED, RESTARTING, RUNNING, STOPPED, Supervisor
from tests.recorder.conftest import wait_for


def test_sources_register_by_type_name():
    assert {"synthetic", "rtsp", "file", "rpi_camera"} <= set(SOURCES)
    synthetic = source_for(CameraSettings(width=640, height=480, fps=10))
    args = synthetic.input_args()
    assert args[:3] == ["-re", "-f", "lavfi"] and "testsrc2=size=640x480:rate=10" in args[-1]
    assert "-g" in synthetic.encode_args(20)
    rtsp = source_for(CameraSettings(source="rtsp", url="rtsp://10.0.0.5/stream"))
    assert rtsp.input_args()[-1] == "rtsp://10.0.0.5/stream" and rtsp.encode_args(20) == ["-c:v", "copy"]
    with pytest.raises(ValueError, match="url"):
        source_for(CameraSettings(source="rtsp")).input_args()


def test_camera_settings_are_validated_through_the_api(client):
    bad_source = client.post("/settings", json={"Cameras": [{"name": "cam", "source": "webcam"}]})
    assert bad_source.status_code == 400 and "Cameras" in bad_source.json["field"]
    assert "webcam" in bad_source.json["message"]
    twins = client.post("/settings", json={"Cameras": [{"name": "a"}, {"name": "a"}]})
    assert twins.status_code == 400 and "unique" in twins.json["message"]
    bad_name = client.post("/settings", json={"Cameras": [{"name": "../x"}]})
    assert bad_name.status_code == 400
    assert client.post("/settings", json={"Cameras": []}).status_code == 400
    ok = client.post("/settings", json={"Cameras": [{"name": "door", "pre_capture": 8}]})
    assert ok.status_code == 200 and ok.json["settings"]["Cameras"][0]["pre_capture"] == 8


def test_supervisor_restarts_with_backoff_and_stops_cleanly(tmp_path: Path):
    states: list[tuple[str, dict]] = []
    lines: list[str] = []
    supervisor = Supervisor(
        "flaky", lambda: ["sh", "-c", "echo started; exit 3"], log_file=tmp_path / "flaky.log",
        on_line=lines.append, on_state=lambda state, detail: states.append((state, detail)),
        backoff=0.05, max_backoff=0.2,
    )
    supervisor.start()
    wait_for(lambda: supervisor.restarts >= 4)
    supervisor.stop()
    assert lines[:3] == ["started"] * 3
    restarting = [detail for state, detail in states if state == RESTARTING]
    assert restarting[0]["exit_code"] == 3
    assert [d["retry_in"] for d in restarting[:4]] == [0.05, 0.1, 0.2, 0.2]
    assert states[-1][0] == STOPPED and supervisor.pid is None


def test_supervisor_stop_ends_a_process_that_ignores_stdin(tmp_path: Path):
    supervisor = Supervisor("sleeper", lambda: ["sleep", "30"], log_file=tmp_path / "s.log", stop_timeout=1)
    supervisor.start()
    pid = wait_for(lambda: supervisor.pid)
    begun = time.monotonic()
    supervisor.stop()
    assert time.monotonic() - begun < 3
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


SUPERVISING_PARENT = """
import sys, time
from pathlib import Path
from securitycam.recorder.process import Supervisor
supervisor = Supervisor("ffmpeg", lambda: ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
                        "-i", "color=size=64x64:rate=5", "-f", "null", "-"], log_file=Path(sys.argv[1]))
supervisor.start()
while supervisor.pid is None:
    time.sleep(0.05)
print(supervisor.pid, flush=True)
time.sleep(60)
"""


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for whoever adopted it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def test_a_supervised_child_dies_with_the_process_that_started_it(tmp_path: Path):
    parent = subprocess.Popen([sys.executable, "-c", SUPERVISING_PARENT, str(tmp_path / "ffmpeg.log")],
                              stdout=subprocess.PIPE, text=True)
    try:
        ffmpeg = int(parent.stdout.readline())
        assert running(ffmpeg)
        parent.kill()  # SIGKILL: no handler, no clean-up, as the OOM killer does it
        parent.wait()
        wait_for(lambda: not running(ffmpeg), timeout=30)
    finally:
        parent.kill()
        with contextlib.suppress(ProcessLookupError, ValueError):
            if running(ffmpeg):
                os.kill(ffmpeg, signal.SIGKILL)


def test_a_stray_named_by_the_pid_file_is_reaped_at_start_but_a_stranger_is_not(tmp_path: Path):
    stray = subprocess.Popen(["sleep", "60"], start_new_session=True)
    stranger = subprocess.Popen(["sleep", "61"], start_new_session=True)
    pid_file = tmp_path / "run" / "sleeper.pid"
    other_pid_file = tmp_path / "run" / "other.pid"
    pid_file.parent.mkdir()
    pid_file.write_text(json.dumps({"pid": stray.pid, "args": ["sleep", "60"]}))
    # A recycled pid: the file names a process that runs something else now.
    other_pid_file.write_text(json.dumps({"pid": stranger.pid, "args": ["ffmpeg", "-i", "x"]}))
    supervisors = [Supervisor(name, lambda: ["sleep", "30"], log_file=tmp_path / f"{name}.log",
                              pid_file=path, stop_timeout=1)
                   for name, path in (("sleeper", pid_file), ("other", other_pid_file))]
    try:
        for supervisor in supervisors:
            supervisor.start()
        assert stray.wait(timeout=30) == -signal.SIGKILL
        pid = wait_for(lambda: supervisors[0].pid)
        assert json.loads(pid_file.read_text()) == {"pid": pid, "args": ["sleep", "30"]}
        assert stranger.poll() is None
    finally:
        for supervisor in supervisors:
            supervisor.stop()
        stray.kill()
        stranger.kill()
    assert not pid_file.exists() and not other_pid_file.exists()


def test_supervisor_reports_a_program_that_cannot_start(tmp_path: Path):
    states = []
    supervisor = Supervisor("missing", lambda: ["/nonexistent/ffmpeg"], log_file=tmp_path / "m.log",
                            on_state=lambda state, detail: states.append((state, detail)), backoff=0.05)
    supervisor.start()
    wait_for(lambda: any(state == FAILED for state, _ in states))
    supervisor.stop()
    assert "nonexistent" in next(detail["error"] for state, detail in states if state == FAILED)


def test_mediamtx_config_has_a_path_per_camera():
    settings = Settings.model_validate({"Cameras": [
        {"name": "door", "source": "rpi_camera", "fps": 15, "segment_seconds": 2, "width": 1280, "height": 720},
        {"name": "yard", "source": "rtsp", "url": "rtsp://10.0.0.9:554/live"},
        {"name": "test", "source": "synthetic"},
        {"name": "off", "enabled": False},
    ]})
    config = render_config(settings, Path("/data/logs/mediamtx/mediamtx.log"))
    assert config["apiAddress"] == "127.0.0.1:9997" and config["rtspAddress"] == ":8554"
    assert config["logFile"] == "/data/logs/mediamtx/mediamtx.log"
    assert set(config["paths"]) == {"door", "yard", "test"}
    door = config["paths"]["door"]
    assert door["source"] == "rpiCamera" and door["rpiCameraIDRPeriod"] == 30 and door["rpiCameraWidth"] == 1280
    assert config["paths"]["yard"]["source"] == "rtsp://10.0.0.9:554/live"
    run = config["paths"]["test"]["runOnInit"]
    assert run.startswith("ffmpeg ") and "lavfi" in run and run.endswith("rtsp://localhost:$RTSP_PORT/$MTX_PATH'")


def test_mediamtx_is_not_used_without_its_binary(tmp_path: Path):
    mediamtx = MediaMTX(DataPaths(tmp_path), binary_finder=lambda _name: None)
    mediamtx.apply(Settings())
    assert not mediamtx.active and mediamtx.relay_url("cam") is None
    assert not (tmp_path / "mediamtx.yml").exists()


class StandIn(BaseHTTPRequestHandler):
    """MediaMTX's control API as far as we use it; it notes every path change asked."""

    calls: ClassVar[list[tuple[str, str, dict | None]]] = []

    def _change(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).calls.append((self.command, self.path, json.loads(self.rfile.read(length)) if length else None))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_DELETE = _change

    def do_GET(self) -> None:
        if self.path != "/v3/paths/list":
            self.send_error(404)
            return
        body = json.dumps({"itemCount": 1, "pageCount": 1, "items": [{
            "name": "cam", "ready": True, "source": {"type": "rpiCameraSource", "id": ""},
            "tracks": ["H264"], "readers": [{"type": "rtspSession", "id": "x"}],
        }]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in():
    StandIn.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_mediamtx_client_reads_paths(stand_in):
    client = MediaMTXClient(f"http://127.0.0.1:{stand_in.server_port}")
    assert client.paths() == {"cam": {"ready": True, "source": "rpiCameraSource", "readers": 1, "tracks": ["H264"]}}


def stand_in_mediamtx(tmp_path: Path) -> tuple[DataPaths, Callable[[str], str | None]]:
    """A data directory, and a binary finder that finds a stand-in for MediaMTX: it records its
    argument (in ``tmp_path/args``) and stays up, as MediaMTX would."""
    binary = tmp_path / "mediamtx"
    binary.write_text(f'#!/bin/sh\necho "$1" > {tmp_path}/args\nexec sleep 30\n')
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    paths = DataPaths(tmp_path / "data")
    paths.create()
    return paths, lambda name: str(binary) if name == "mediamtx" else None


def test_mediamtx_supervised_when_present(tmp_path: Path, stand_in):
    paths, finder = stand_in_mediamtx(tmp_path)
    settings = Settings.model_validate({"MediaMTX": {"api_port": stand_in.server_port}})
    mediamtx = MediaMTX(paths, binary_finder=finder)
    mediamtx.apply(settings)
    try:
        wait_for(lambda: (tmp_path / "args").exists() and mediamtx.supervisor.state == RUNNING)
        assert (tmp_path / "args").read_text().strip() == str(mediamtx.config_file)
        assert json.loads(mediamtx.config_file.read_text())["paths"]["cam"]["runOnInit"].startswith("ffmpeg")
        assert mediamtx.relay_url("cam") == "rtsp://127.0.0.1:8554/cam"
        described = mediamtx.describe(settings, "192.168.1.20")
        assert described["running"] and described["paths"]["cam"]["ready"]
        assert described["live"]["cam"] == {
            "webrtc": "http://192.168.1.20:8889/cam/",
            "hls": "http://192.168.1.20:8888/cam/index.m3u8",
            "rtsp": "rtsp://192.168.1.20:8554/cam",
        }
        pid = mediamtx.supervisor.pid
    finally:
        mediamtx.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


PI = {"name": "door", "source": "rpi_camera", "width": 1296, "height": 972, "fps": 15}


def test_mediamtx_replaces_only_the_changed_cameras_paths(tmp_path: Path, stand_in):
    paths, finder = stand_in_mediamtx(tmp_path)
    settings = Settings.model_validate({"MediaMTX": {"api_port": stand_in.server_port},
                                        "Cameras": [PI, {"name": "test"}]})
    mediamtx = MediaMTX(paths, binary_finder=finder)
    mediamtx.apply(settings)
    try:
        wait_for(lambda: mediamtx.supervisor.state == RUNNING)
        started_pid = mediamtx.supervisor.pid
        door = settings.Cameras[0]
        brighter = door.model_copy(update={"isp": door.isp.model_copy(update={"brightness": 0.4})})
        assert mediamtx.update_camera(brighter) == ["door"]
        assert StandIn.calls == [("POST", "/v3/config/paths/replace/door",
                                  {**StandIn.calls[0][2], "rpiCameraBrightness": 0.4})]
        written = json.loads(mediamtx.config_file.read_text())["paths"]
        assert written["door"]["rpiCameraBrightness"] == 0.4 and "test" in written
        # Turned by 90: door becomes ffmpeg's, then the camera moves to door/raw ...
        StandIn.calls.clear()
        mediamtx.update_camera(brighter.model_copy(update={"rotation": 90}))
        assert [(method, path) for method, path, _ in StandIn.calls] == [
            ("POST", "/v3/config/paths/replace/door"), ("POST", "/v3/config/paths/add/door/raw")]
        # ... and back: door/raw goes first, so the camera is never the source of two paths.
        StandIn.calls.clear()
        mediamtx.update_camera(brighter)
        assert [(method, path) for method, path, _ in StandIn.calls] == [
            ("DELETE", "/v3/config/paths/delete/door/raw"), ("POST", "/v3/config/paths/replace/door")]
        assert mediamtx.supervisor.pid == started_pid  # MediaMTX itself never restarted
    finally:
        mediamtx.stop()


def test_mediamtx_restarts_with_the_new_config_when_its_api_is_down(tmp_path: Path):
    paths, finder = stand_in_mediamtx(tmp_path)
    settings = Settings.model_validate({"MediaMTX": {"api_port": free_port()}, "Cameras": [PI]})
    mediamtx = MediaMTX(paths, binary_finder=finder)
    mediamtx.apply(settings)
    try:
        wait_for(lambda: mediamtx.supervisor.state == RUNNING)
        first = mediamtx.supervisor.pid
        mediamtx.update_camera(settings.Cameras[0].model_copy(update={"fps": 25}))
        wait_for(lambda: mediamtx.supervisor.pid not in (None, first) and mediamtx.supervisor.state == RUNNING)
        assert json.loads(mediamtx.config_file.read_text())["paths"]["door"]["rpiCameraFPS"] == 25
    finally:
        mediamtx.stop()
