"""Frigate's management endpoints through HTTP: version, config and its schema, stats, ffprobe,
restart, PTZ info, logs, and the health line."""

from __future__ import annotations

import logging
import re
import threading

import requests

from securitycam.api.frigate import management
from tests.conftest import write_sys


def test_version_is_plain_text(client):
    response = client.get("/api/version")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert re.fullmatch(r"0\.16\.\d+-\S+", response.get_data(as_text=True))


def test_health_line(client, anon):
    assert client.get("/api/").get_data(as_text=True) == "Frigate is running. Alive and healthy!"
    assert anon.get("/api/").status_code == 401


def test_config_has_what_home_assistant_reads(client, appliance):
    appliance.settings.update({"Cameras": [
        {"name": "front", "source": "rtsp", "url": "rtsp://admin:hunter2@10.0.0.5:554/stream1", "fps": 15,
         "detect": {"enabled": True, "width": 640, "height": 360, "fps": 5}},
        {"name": "back", "enabled": False, "rotation": 90},
    ]})
    config = client.get("/api/config").json
    assert config["mqtt"]["topic_prefix"] == "frigate"
    assert isinstance(config["model"], dict) and config["detectors"] == {"cpu": {"type": "cpu"}}
    assert list(config["cameras"]) == ["front", "back"]
    front = config["cameras"]["front"]
    assert front["objects"]["track"] == ["person"] and front["zones"] == {}
    assert front["motion"]["threshold"] == 30 and front["motion"]["contour_area"] == 10
    assert front["audio"] == {"enabled": False, "enabled_in_config": False, "listen": []}
    # Detection's frames, not the camera's stream: their size (portrait when turned 90°) and rate.
    assert front["detect"] == {"enabled": True, "width": 640, "height": 360, "fps": 5}
    assert front["enabled"] is True
    back = config["cameras"]["back"]["detect"]
    assert (back["width"], back["height"], back["enabled"]) == (360, 640, False)
    assert config["cameras"]["back"]["enabled"] is False
    # The camera's password never leaves the appliance.
    assert "hunter2" not in client.get("/api/config").get_data(as_text=True)
    assert front["ffmpeg"]["inputs"][0]["path"] == "rtsp://*:*@10.0.0.5:554/stream1"
    assert config["go2rtc"]["streams"] == {"front": ["rtsp://*:*@10.0.0.5:554/stream1"]}
    assert config["auth"]["session_length"] == 86400


def test_schema_describes_the_config(client):
    schema = client.get("/api/config/schema.json").json
    assert schema["title"] == "FrigateConfig"
    assert {"mqtt", "model", "cameras", "auth"} <= set(schema["properties"])
    assert "CameraConfig" in schema["$defs"]


def test_stats_shapes(client, appliance, sysroot, disk):
    write_sys(sysroot, "sys/class/thermal/thermal_zone0/temp", "48312\n")
    stats = client.get("/api/stats").json
    camera = stats["cameras"]["cam"]
    assert camera["camera_fps"] == 0.0 and camera["capture_pid"] is None  # cameras idle in these tests
    assert {"process_fps", "skipped_fps", "detection_fps", "pid"} <= set(camera)
    assert stats["detectors"]["cpu"]["inference_speed"] == 0.0
    service = stats["service"]
    assert service["uptime"] >= 0 and service["version"] == client.get("/api/version").get_data(as_text=True)
    assert service["temperatures"] == {"cpu": 48.3}
    recordings = service["storage"][str(appliance.paths.recordings)]
    assert recordings["total"] == round(disk.total / 1024 / 1024, 1) and {"used", "free", "mnt_type"} <= set(recordings)
    import os

    own = stats["cpu_usages"][str(os.getpid())]
    assert {"cmdline", "cpu", "cpu_average", "mem"} <= set(own) and float(own["cpu_average"]) >= 0
    # A second call measures the CPU between the two.
    assert str(os.getpid()) in client.get("/api/stats").json["cpu_usages"]


def test_ffprobe_probes_configured_cameras_only(client):
    probed = client.get("/api/ffprobe?paths=cam").json
    assert probed[0]["return_code"] == 0 and probed[0]["stdout"]["streams"][0]["width"] == 640
    assert client.get("/api/ffprobe?paths=camera:0").json[0]["return_code"] == 0
    for bad in ("", "/etc/passwd", "rtsp://evil/x", "camera:9"):
        response = client.get(f"/api/ffprobe?paths={bad}")
        assert response.status_code == 400 and response.json["field"] == "paths", bad


def test_ffprobe_is_for_admins_and_never_shows_a_cameras_password(client, appliance, viewer):
    """As in Frigate, only admins probe; ffprobe names the URL it failed to open, password and all."""
    appliance.settings.update({"Cameras": [{"name": "door", "source": "rtsp",
                                            "url": "rtsp://admin:s3cret@127.0.0.1:1/stream"}]})
    assert viewer.get("/api/ffprobe?paths=door").status_code == 403
    probed = client.get("/api/ffprobe?paths=door")
    assert probed.status_code == 200 and probed.json[0]["return_code"] != 0
    assert "127.0.0.1:1/stream" in probed.json[0]["stderr"] and "s3cret" not in probed.get_data(as_text=True)


def test_restart_uses_the_appliances_restart(client, runner, viewer):
    assert viewer.post("/api/restart", headers={"X-CSRF-Token": "1"}).status_code == 403
    response = client.post("/api/restart", json={})
    assert response.json == {"success": True, "message": "Restarting (this can take up to one minute)..."}
    assert runner.wait_for(["systemctl", "restart", "securitycam.service"])


def test_ptz_info_has_no_capabilities(client):
    assert client.get("/api/cam/ptz/info").json == {"name": "cam", "features": [], "presets": [], "profiles": []}
    assert client.get("/api/nocam/ptz/info").status_code == 404


def test_logs_by_service(client, appliance):
    import logging

    logging.getLogger("securitycam.test").warning("a line to find")
    frigate = client.get("/api/logs/frigate").json
    assert frigate["totalLines"] == len(frigate["lines"]) > 0
    assert any("a line to find" in line for line in frigate["lines"])
    assert client.get("/api/logs/frigate?start=0&end=1").json["lines"] == frigate["lines"][:1]
    download = client.get("/api/logs/frigate?download=1")
    assert download.mimetype == "text/plain" and "a line to find" in download.get_data(as_text=True)
    (appliance.paths.logs / "mediamtx").mkdir(exist_ok=True)
    (appliance.paths.logs / "mediamtx" / "mediamtx.log").write_text("2026/01/01 10:00:00 INF [RTSP] listener opened\n")
    assert client.get("/api/logs/go2rtc").json == {"totalLines": 1,
                                                   "lines": ["2026/01/01 10:00:00 INF [RTSP] listener opened"]}
    assert client.get("/api/logs/nginx").json == {"totalLines": 0, "lines": []}
    assert client.get("/api/logs/kernel").status_code == 404
    assert client.get("/api/logs/frigate?start=x").json["field"] == "start"


def test_logs_stream_is_a_plain_text_tail_that_ends_with_the_appliance(live_server, token, appliance):
    logger = logging.getLogger("securitycam.test")
    logger.warning("written before the stream")
    # Headers go with the first line (a WSGI server sends them with its first bytes): lines come
    # until the answer does.
    answered = threading.Event()

    def keep_logging() -> None:
        while not answered.wait(0.3):
            logger.warning("tailed rtsp://admin:hunter2@10.0.0.5/live")

    later = threading.Thread(target=keep_logging)
    later.start()
    with requests.get(f"{live_server.url}/api/logs/frigate?stream=true", stream=True, timeout=10,
                      headers={"Authorization": f"Bearer {token}"}) as response:
        answered.set()
        later.join()
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
        lines = response.iter_lines(decode_unicode=True)
        first = next(lines)
        assert "tailed rtsp://" in first and "hunter2" not in first
        logger.warning("another line")
        assert any("another line" in line for line in lines)
        appliance.stopping.set()
        # The stream ends; what was written before it was never sent.
        assert all("written before the stream" not in line for line in lines)


def test_log_streams_are_bounded(client):
    taken = 0
    try:
        while management._log_streams.acquire(blocking=False):
            taken += 1
        assert taken == management.MAX_LOG_STREAMS
        refused = client.get("/api/logs/frigate?stream=true")
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert refused.json == {"success": False, "message": "at most 4 live log streams at once",
                                "retry_after": 10}
    finally:
        for _ in range(taken):
            management._log_streams.release()
    assert client.get("/api/logs/frigate").status_code == 200
