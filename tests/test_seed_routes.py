"""The seed appliance's routes and fields (``appliance-extras.md``) beside ours: each alias answers
what our own route answers, and refuses bad input naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from tests.conftest import FakeDisk, write_sys


@pytest.fixture
def clips(appliance: Appliance) -> list[Path]:
    """Two clips with their sidecars, as the recorder leaves them (the bytes need not be video here)."""
    made = []
    for stamp in ("20260401_100000", "20260401_110000"):
        video = appliance.paths.recordings / f"output_{stamp}.mp4"
        video.write_bytes(bytes(range(256)) * 40)
        for suffix in (".meta.json", ".thumb.jpg", ".sprite.jpg"):
            video.with_name(video.stem + suffix).write_text("{}" if suffix == ".meta.json" else "jpg")
        made.append(video)
    return made


# -- archive ----------------------------------------------------------------------------------------
def test_archive_count_is_the_archives_total(client: FlaskClient, appliance: Appliance) -> None:
    assert client.get("/archive/count").json == {"count": 0}
    for stamp in ("20260401_100000", "20260401_110000", "20260401_120000"):
        (appliance.paths.recordings / f"output_{stamp}.mp4").write_bytes(b"x")
    (appliance.paths.recordings / "snapshot_20260401_100000.jpg").write_bytes(b"x")
    assert client.get("/archive/count").json == {"count": client.get("/archive").json["total"]} == {"count": 3}


def test_delete_video_deletes_the_clip_and_its_sidecars_as_archive_delete_does(
    client: FlaskClient, clips: list[Path]
) -> None:
    first, second = clips
    assert client.post("/delete_video", json={"video_path": str(first)}).json == \
        client.post("/archive/delete", json={"path": str(second)}).json == {"success": True}
    for video in clips:
        assert not list(video.parent.glob(video.stem + ".*"))
    assert client.post("/delete_video", json={"video_path": str(first)}).status_code == 404


@pytest.mark.parametrize(("body", "status", "field"), [
    ({}, 400, "video_path"),
    ({"video_path": 5}, 400, "video_path"),
    ({"path": "output_20260401_100000.mp4"}, 400, "video_path"),
    ({"video_path": "../securitycam.db"}, 400, None),
    ({"video_path": "/etc/passwd"}, 400, None),
    ({"video_path": "output_20260401_100000.meta.json"}, 400, None),
    ({"video_path": "snapshot_20260401_100000.jpg"}, 400, None),
    ({"video_path": "output_20000101_000000.mp4"}, 404, None),
])
def test_delete_video_refuses_bad_paths_and_leaves_files_alone(
    client: FlaskClient, clips: list[Path], body: dict, status: int, field: str | None
) -> None:
    response = client.post("/delete_video", json=body)
    assert response.status_code == status and response.json["success"] is False
    assert response.json.get("field") == field
    assert all(video.exists() for video in clips)


def test_stream_video_is_the_video_route_with_range(client: FlaskClient, clips: list[Path]) -> None:
    clip = str(clips[0])
    ours = client.get("/video", query_string={"path": clip})
    seed = client.get("/stream_video", query_string={"video_path": clip})
    assert seed.status_code == 200 and seed.mimetype == "video/mp4"
    assert seed.data == ours.data == clips[0].read_bytes()
    part = client.get("/stream_video", query_string={"video_path": clip}, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == clips[0].read_bytes()[100:200]


@pytest.mark.parametrize(("query", "status"), [
    ({}, 400), ({"video_path": ""}, 400), ({"video_path": "../securitycam.db"}, 400),
    ({"video_path": "../../etc/passwd"}, 400), ({"video_path": "output_20000101_000000.mp4"}, 404),
])
def test_stream_video_bad_input(client: FlaskClient, clips: list[Path], query: dict, status: int) -> None:
    response = client.get("/stream_video", query_string=query)
    assert response.status_code == status and response.json["success"] is False
    if status == 400 and not query.get("video_path"):
        assert response.json["field"] == "video_path"


# -- storage ----------------------------------------------------------------------------------------
def test_storage_status_has_disk_percent(client: FlaskClient, disk: FakeDisk) -> None:
    disk.percent = 42.0
    status = client.get("/storage/status").json
    assert status["disk_percent"] == status["percent"] == 42.0


def test_storage_cleanup_says_what_it_did(client: FlaskClient, clips: list[Path], disk: FakeDisk) -> None:
    assert client.post("/storage/cleanup").json["action"] == "none"
    # Auto-delete off, so only the forced cleanup deletes (the janitor's own pass would race it).
    client.post("/storage/configure", json={"enabled": False, "max_percent": 10})
    disk.percent = 90.0
    report = client.post("/storage/cleanup").json
    assert report["action"] == "deleted" and report["deleted_count"] >= 1


# -- system info ------------------------------------------------------------------------------------
def test_system_info_has_the_seeds_figures_beside_ours(client: FlaskClient, sysroot: Path, disk: FakeDisk) -> None:
    ours = client.get("/system_info").json
    assert ours["cpu_temp_celsius"] is None and ours["throttle"] is None and ours["sd_health"] is None
    assert {"hostname", "version", "uptime_seconds", "is_raspberry_pi"} <= set(ours)  # today's keys stay
    assert isinstance(ours["cpu_load_percent"], float)
    assert ours["ram_usage_mb"]["total_mb"] >= ours["ram_usage_mb"]["used_mb"] > 0
    assert ours["storage_info_gb"] == {"total_gb": 32.0, "used_gb": 6.4, "free_gb": 25.6, "percent": 20.0}

    write_sys(sysroot, "sys/class/thermal/thermal_zone0/temp", "61234")
    write_sys(sysroot, "sys/devices/platform/soc/soc:firmware/get_throttled", "0x50005")
    write_sys(sysroot, "sys/block/mmcblk0/device/life_time", "0x02 0x05")
    write_sys(sysroot, "sys/block/mmcblk0/device/name", "SN32G")
    write_sys(sysroot, "sys/block/mmcblk0/device/serial", "0x1234abcd")
    info = client.get("/system_info").json
    assert info["cpu_temp_celsius"] == 61.2
    assert info["throttle"] == {"raw": "0x50005", "active": ["under_voltage", "throttled"],
                                "occurred": ["under_voltage", "throttled"]}
    assert info["sd_health"] == {"name": "SN32G", "serial": "0x1234abcd", "life_time_est": "0x05",
                                 "pre_eol_info": None}
    assert info["cpu_temp_celsius"] == client.get("/system_stats").json["temperatures"]["cpu"]


# -- timelapse resolution ---------------------------------------------------------------------------
@pytest.mark.parametrize(("sent", "stored"), [("640x480", "640:480"), ("640:480", "640:480"),
                                              ("320x240", "320:240"), ("original", "original")])
def test_timelapse_resolution_takes_either_separator(client: FlaskClient, sent: str, stored: str) -> None:
    response = client.post("/timelapse/configure", json={"resolution": sent})
    assert response.status_code == 200, response.json
    assert client.get("/timelapse/status").json["resolution"] == stored


@pytest.mark.parametrize("resolution", ["640y480", "1920x1080", "", 640, "originalx"])
def test_timelapse_resolution_bad_values_name_the_field(client: FlaskClient, resolution: object) -> None:
    response = client.post("/timelapse/configure", json={"resolution": resolution})
    assert response.status_code == 400 and response.json["field"] == "resolution"


# -- sensor -----------------------------------------------------------------------------------------
def test_sensor_test_with_the_mock_is_200_with_no_value(client: FlaskClient) -> None:
    response = client.post("/sensor/test", json={"type": "mock"})
    assert response.status_code == 200 and response.json["value"] is None
    assert client.post("/sensor/test", json={}).json["field"] == "type"
    assert client.post("/sensor/test", json={"type": "nope"}).json["field"] == "type"
