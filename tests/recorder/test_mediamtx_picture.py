"""MediaMTX on the Pi: every camera setting in the generated mediamtx.yml, read back as YAML as
MediaMTX reads it. (A camera's change through MediaMTX's API: tests/recorder/test_parts.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from securitycam.clock import Clock
from securitycam.config.models import Settings
from securitycam.paths import DataPaths
from securitycam.recorder.camera import CameraRecorder
from securitycam.recorder.mediamtx import render_config
from securitycam.recorder.segments import SegmentIndex
from securitycam.store import Database

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


def test_under_mediamtx_the_recorder_copies_the_finished_stream(tmp_path: Path):
    """MediaMTX's path applies tuning and rotation; the recorder reads its RTSP stream and filters nothing."""
    paths = DataPaths(tmp_path / "data")
    paths.create()
    db = Database(paths.database)
    db.migrate()
    for camera in ({**PI, "rotation": 90, "isp": {"brightness": 0.5}},
                   {"name": "test", "rotation": 180, "isp": {"brightness": 0.5}}):
        settings = Settings.model_validate({"Cameras": [camera]}).Cameras[0]
        relayed = CameraRecorder(settings, paths, SegmentIndex(db), Clock(),
                                 relay_url=lambda name: f"rtsp://127.0.0.1:8554/{name}")
        command = relayed.command()
        assert f"rtsp://127.0.0.1:8554/{settings.name}" in command and "-filter_complex" not in command
        assert command[command.index("-c:v") + 1] == "copy"
        if settings.source == "synthetic":
            direct = CameraRecorder(settings, paths, SegmentIndex(db), Clock()).command()
            graph = direct[direct.index("-filter_complex") + 1]
            assert graph.startswith("[0:v:0]eq=brightness=0.5:contrast=1:saturation=1,hflip,vflip,split=2")
    db.close()
