"""``/storage/status`` and ``/storage/configure``, and every bad parameter refused."""

from __future__ import annotations

import pytest

from securitycam.appliance import Appliance
from tests.storage.conftest import KIB, MakeClip, stamp


def test_status_reports_usage_limit_and_bytes_by_kind(client, quiet: Appliance, make_clip: MakeClip, data_dir):
    make_clip(stamp(1))
    (data_dir / "cache" / "cam").mkdir(parents=True)
    segment = data_dir / "cache" / "cam" / "1_000001.ts"
    segment.write_bytes(b"s" * 3 * KIB)
    quiet.recorder.index.add("cam", segment, 1.0, 3.0, 3 * KIB)
    client.post("/storage/cleanup")  # indexes the clip copied in

    body = client.get("/storage/status").json

    assert body["enabled"] is False and body["max_percent"] == 85
    assert body["total"] == 1024 * KIB and body["used"] == 106 * KIB and body["free"] == 918 * KIB
    assert body["percent"] == pytest.approx(10.4) and body["over_limit"] is False
    assert body["by_kind"]["clips"] == {"bytes": 103 * KIB, "files": 1}
    assert body["by_kind"]["cache"] == {"bytes": 3 * KIB, "files": 1}
    assert body["order"] == ["recordings", "clips", "snapshots", "timelapse", "exports"]
    assert body["by_kind"]["recordings"] == {"bytes": 0, "files": 0}
    assert body["last_cleanup"]["forced"] is True and body["last_cleanup"]["indexed"] == 1


@pytest.mark.parametrize(("sent", "stored"), [(5, 10), (99.6, 95), (70.4, 70), (-3, 10), (95, 95)])
def test_max_percent_is_clamped(client, quiet: Appliance, sent, stored):
    response = client.post("/storage/configure", json={"max_percent": sent})
    assert response.status_code == 200
    assert response.json["max_percent"] == stored and response.json["clamped"] is (sent != stored)
    assert quiet.settings.get().StorageLimit.max_percent == stored


def test_configure_saves_every_field(client, quiet: Appliance):
    response = client.post("/storage/configure", json={"enabled": True, "max_percent": 80,
                                                       "retention_days": {"snapshots": 7}})
    assert response.status_code == 200
    limits = quiet.settings.get().StorageLimit
    assert limits.enabled is True and limits.max_percent == 80 and limits.retention_days.snapshots == 7
    assert client.get("/storage/status").json["retention_days"]["snapshots"] == 7


@pytest.mark.parametrize(("body", "field"), [
    ({"max_percent": "85"}, "max_percent"),
    ({"max_percent": True}, "max_percent"),
    ({"max_percent": None}, "max_percent"),
    ({"enabled": "yes"}, "enabled"),
    ({"enabled": 1}, "enabled"),
    ({"retention_days": {"clips": -1}}, "retention_days.clips"),
    ({"retention_days": {"clips": 2.5}}, "retention_days.clips"),
    ({"retention_days": {"videos": 3}}, "retention_days.videos"),
    ({"retention_days": 7}, "retention_days"),
    ({"threshold": 80}, "threshold"),
])
def test_bad_configuration_is_refused_naming_the_field(client, quiet: Appliance, body, field):
    before = quiet.settings.get().StorageLimit
    response = client.post("/storage/configure", json=body)
    assert response.status_code == 400
    assert response.json["success"] is False and response.json["field"] == field
    assert field in response.json["message"]
    assert quiet.settings.get().StorageLimit == before


@pytest.mark.parametrize("body", [None, [1, 2], "text"])
def test_configure_needs_a_json_object(client, quiet, body):
    response = client.post("/storage/configure", json=body) if body is not None else client.post("/storage/configure")
    assert response.status_code == 400 and response.json["success"] is False


@pytest.mark.parametrize(("path", "status"), [
    ("../settings/settings.json", 400), ("/etc/passwd", 400), ("recordings/../securitycam.db", 400),
    ("notes.txt", 400), ("output_20231101_120000.thumb.jpg", 400), ("../timelapse/frames/20231101/120000.jpg", 400),
    ("", 400), ("output_20231101_120000.mp4", 404),
])
def test_lock_refuses_paths_outside_the_archive_or_missing(client, quiet, path, status):
    response = client.post("/storage/lock", json={"path": path})
    assert response.status_code == status and response.json["success"] is False


def test_lock_needs_a_boolean(client, quiet, make_clip: MakeClip):
    clip = make_clip(stamp(1))
    response = client.post("/storage/lock", json={"path": str(clip), "locked": "yes"})
    assert response.status_code == 400 and response.json["field"] == "locked"


def test_storage_needs_a_token(anon):
    for method, url in (("get", "/storage/status"), ("post", "/storage/configure"), ("post", "/storage/cleanup")):
        assert getattr(anon, method)(url).status_code == 401


def test_listings_say_which_files_are_locked(client, quiet: Appliance, make_clip: MakeClip, data_dir):
    kept, other = make_clip(stamp(1)), make_clip(stamp(2))
    snapshot = data_dir / "recordings" / "snapshot_20231101_120000.jpg"
    snapshot.write_bytes(b"j")
    for path in (kept, snapshot):
        assert client.post("/storage/lock", json={"path": str(path)}).status_code == 200

    clips = {item["path"]: item["locked"] for item in client.get("/archive").json["items"]}
    assert clips == {str(kept): True, str(other): False}
    assert [item["locked"] for item in client.get("/snapshots").json] == [True]
    client.post("/storage/lock", json={"path": str(kept), "locked": False})
    assert not any(item["locked"] for item in client.get("/archive").json["items"])
