"""Storage profiles through HTTP: made, listed, changed and deleted; every bad path refused; a
camera's files written, listed, served and limited on the profile; a profile whose directory goes
away raises an alert, its camera falls back to the data directory and nothing is lost or forgotten."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from securitycam.appliance import Appliance
from securitycam.fileio import write_atomic
from securitycam.storage.profiles import GIB, MARKER
from tests.filesystems import tmpfs
from tests.storage.conftest import KIB, stamp

MIB = 1024 * KIB


@pytest.fixture
def disk_dir(tmp_path: Path) -> Path:
    """A directory standing in for a USB disk's mount point (a tmpfs where a test needs a filesystem)."""
    directory = tmp_path / "usb"
    directory.mkdir()
    return directory


def make_profile(client, path: Path, **extra) -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/storage/profiles", json={"name": extra.pop("name", "USB"), "path": str(path), **extra})
    assert response.status_code == 201, response.json
    return response.json


def use_profile(client, profile_id: int | None) -> None:  # type: ignore[no-untyped-def]
    response = client.put("/settings/Cameras", json={"value": [{"name": "cam", "storage_profile": profile_id}]})
    assert response.status_code == 200, response.json


def write_clip(directory: Path, name_stamp: str, size: int = 100 * KIB) -> Path:
    """``output_<stamp>.mp4`` of ``size`` bytes with a thumbnail, as the recorder leaves one."""
    video = directory / f"output_{name_stamp}.mp4"
    video.write_bytes(b"\0" * size)
    video.with_name(video.stem + ".thumb.jpg").write_bytes(b"t" * KIB)
    return video


def alerts(client) -> dict:  # type: ignore[no-untyped-def]
    return client.get("/system_alert_state").json


# -- the API -----------------------------------------------------------------------------------------


def test_a_profile_is_made_listed_changed_and_deleted(client, appliance: Appliance, disk_dir: Path):
    made = make_profile(client, disk_dir, description="the SSD", max_size_gb=100)
    assert made["name"] == "USB" and made["path"] == str(disk_dir.resolve()) and made["description"] == "the SSD"
    assert made["max_size_gb"] == 100 and made["available"] is True and made["used_bytes"] == 0
    assert (disk_dir / MARKER).is_file() and (disk_dir / "recordings").is_dir()
    assert not [name for name in os.listdir(disk_dir) if name.startswith(".securitycam-probe")]
    assert client.get("/storage/profiles").json == [made]

    use_profile(client, made["id"])
    changed = client.put(f"/storage/profiles/{made['id']}", json={"name": "SSD", "max_size_gb": 2.5})
    assert changed.status_code == 200 and changed.json["name"] == "SSD" and changed.json["max_size_gb"] == 2.5
    assert changed.json["cameras"] == ["cam"]

    deleted = client.delete(f"/storage/profiles/{made['id']}")
    assert deleted.status_code == 200 and deleted.json["cameras_reverted"] == ["cam"]
    assert appliance.settings.get().Cameras[0].storage_profile is None
    assert client.get("/storage/profiles").json == []
    assert client.delete(f"/storage/profiles/{made['id']}").status_code == 404


def refused_paths(tmp_path: Path, data_dir: Path) -> list[tuple[str, str]]:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    link = tmp_path / "to-etc"
    link.symlink_to("/etc")
    return [
        ("", "at least 1 character"), ("relative/dir", "not absolute"), (str(tmp_path / "missing"), "does not exist"),
        (str(a_file), "not a directory"), ("/", "system directory"), ("/etc", "system directory"),
        ("/usr/lib", "system directory"), ("/proc", "system directory"), ("/sys/class", "system directory"),
        ("/dev", "system directory"), ("/boot", "system directory"), ("/var/lib", "system directory"),
        ("/tmp", "system directory"), (str(link), "system directory"),
        (str(data_dir), "inside the data directory"), (str(data_dir / "recordings"), "inside the data directory"),
        (str(data_dir / "settings"), "inside the data directory"), (str(data_dir.parent), "holds the data"),
    ]


def test_bad_paths_are_refused_with_the_reason(client, appliance: Appliance, tmp_path: Path, data_dir: Path):
    for path, reason in refused_paths(tmp_path, data_dir):
        response = client.post("/storage/profiles", json={"name": "x", "path": path})
        assert response.status_code == 400, (path, response.json)
        assert response.json["success"] is False and response.json["field"] == "path"
        assert reason in response.json["message"], (path, response.json["message"])
    assert client.get("/storage/profiles").json == []


def test_an_unwritable_directory_is_refused(client, tmp_path: Path):
    mountpoint = tmp_path / "readonly"
    with tmpfs(mountpoint, MIB):
        assert os.system(f"mount -o remount,ro {mountpoint}") == 0
        response = client.post("/storage/profiles", json={"name": "ro", "path": str(mountpoint)})
    assert response.status_code == 400 and "cannot write" in response.json["message"]
    assert "read-only" in response.json["message"].lower()


@pytest.mark.parametrize(("body", "field"), [
    ({"path": "/mnt/x"}, "name"),
    ({"name": "x"}, "path"),
    ({"name": "", "path": "/mnt/x"}, "name"),
    ({"name": 3, "path": "/mnt/x"}, "name"),
    ({"name": "x", "path": 5}, "path"),
    ({"name": "x\n", "path": "/mnt/x"}, "name"),
    ({"name": "   ", "path": "/mnt/x"}, "name"),
    ({"name": "x", "path": "/mnt/x", "max_size_gb": -1}, "max_size_gb"),
    ({"name": "x", "path": "/mnt/x", "max_size_gb": "100"}, "max_size_gb"),
    ({"name": "x", "path": "/mnt/x", "max_size_gb": True}, "max_size_gb"),
    ({"name": "x", "path": "/mnt/x", "mount": True}, "mount"),
])
def test_bad_bodies_name_the_field(client, body, field):
    response = client.post("/storage/profiles", json=body)
    assert response.status_code == 400 and response.json["field"] == field, response.json


def test_bad_changes_and_unknown_profiles(client, tmp_path: Path, disk_dir: Path):
    first = make_profile(client, disk_dir)
    other = tmp_path / "nas"
    other.mkdir()
    second = make_profile(client, other, name="NAS")
    assert client.post("/storage/profiles", json={"name": "USB", "path": str(tmp_path / "nas")}).status_code == 400
    inner = disk_dir / "inner"
    inner.mkdir()
    overlap = client.post("/storage/profiles", json={"name": "inner", "path": str(inner)})
    assert overlap.status_code == 400 and "overlaps" in overlap.json["message"]
    assert client.put(f"/storage/profiles/{second['id']}", json={"name": "USB"}).status_code == 409
    assert client.put(f"/storage/profiles/{first['id']}", json={"name": None}).json["field"] == "name"
    assert client.put(f"/storage/profiles/{first['id']}", json={"path": "/etc"}).status_code == 400
    assert client.put(f"/storage/profiles/{first['id']}", json=[1]).status_code == 400
    assert client.put("/storage/profiles/999", json={"name": "z"}).status_code == 404
    assert client.put("/storage/profiles/abc", json={"name": "z"}).status_code == 404
    assert client.delete("/storage/profiles/999").status_code == 404
    assert client.post("/storage/profiles", data="{", content_type="application/json").status_code == 400


def test_a_camera_can_only_name_a_profile_that_exists(client, appliance: Appliance, disk_dir: Path):
    refused = client.put("/settings/Cameras", json={"value": [{"name": "cam", "storage_profile": 7}]})
    assert refused.status_code == 400 and refused.json["field"] == "Cameras.0.storage_profile"
    assert client.post("/settings", json={"Cameras": [{"name": "cam", "storage_profile": "x"}]}).status_code == 400
    assert appliance.settings.get().Cameras[0].storage_profile is None
    use_profile(client, make_profile(client, disk_dir)["id"])
    assert appliance.settings.get().Cameras[0].storage_profile == 1


# -- files on a profile --------------------------------------------------------------------------------


def test_snapshots_go_to_the_profile_are_listed_served_and_jailed(client, appliance: Appliance, disk_dir: Path,
                                                                  tmp_path: Path):
    profile = make_profile(client, disk_dir)
    use_profile(client, profile["id"])
    target = appliance.recorder._write_media("cam", 1_700_000_000, "snapshot", ".jpg",
                                             lambda path: write_atomic(path, b"\xff\xd8jpeg"))
    assert target.parent == disk_dir.resolve() / "recordings"
    listed = client.get("/snapshots").json
    assert [item["path"] for item in listed] == [str(target)]
    assert client.get("/snapshot_image", query_string={"path": str(target)}).data == b"\xff\xd8jpeg"
    clip = write_clip(disk_dir / "recordings", stamp(1))
    assert client.get("/video", query_string={"path": str(clip)}).status_code == 200
    assert [item["path"] for item in client.get("/archive").json["items"]] == [str(clip)]
    # Out of the profile by a name, or by a link placed in it: refused, and not listed.
    outside = tmp_path / "secret"
    outside.mkdir()
    write_clip(outside, stamp(2))
    (disk_dir / "recordings" / f"output_{stamp(3)}.mp4").symlink_to(outside / f"output_{stamp(2)}.mp4")
    escape = str(disk_dir / "recordings" / ".." / ".." / "secret" / f"output_{stamp(2)}.mp4")
    assert client.get("/video", query_string={"path": escape}).status_code == 400
    linked = str(disk_dir / "recordings" / f"output_{stamp(3)}.mp4")
    assert client.get("/video", query_string={"path": linked}).status_code == 400
    assert [item["path"] for item in client.get("/archive").json["items"]] == [str(clip)]


def test_the_janitor_keeps_a_profile_under_its_own_limit(client, appliance: Appliance, disk_dir: Path,
                                                         data_dir: Path):
    profile = make_profile(client, disk_dir, max_size_gb=round(250 * KIB / GIB, 9))
    on_profile = [write_clip(disk_dir / "recordings", stamp(day)) for day in (1, 2, 3, 4)]
    on_sd = write_clip(data_dir / "recordings", stamp(1))
    report = client.post("/storage/cleanup").json
    # 4 × 101 KiB on a 250 KiB profile: the two oldest go, the SD card's older clip stays.
    assert [path.exists() for path in on_profile] == [False, False, True, True]
    assert on_sd.exists()
    assert report["deleted"]["clips"] == 2 and all("USB" in item["reason"] for item in report["files"])
    listed = client.get("/storage/profiles").json[0]
    assert listed["used_bytes"] == 2 * 101 * KIB <= profile["max_size_gb"] * GIB and listed["files"] == 2


def test_a_failed_write_on_the_profile_is_written_in_the_data_directory(client, appliance: Appliance,
                                                                        disk_dir: Path, data_dir: Path):
    profile = make_profile(client, disk_dir)
    use_profile(client, profile["id"])
    attempts: list[Path] = []

    def write(path: Path) -> None:
        attempts.append(path)
        if len(attempts) == 1:
            shutil.rmtree(disk_dir)  # the disk pulled just as the clip is written
        write_atomic(path, b"clip")

    target = appliance.recorder._write_media("cam", 1_700_000_000, "output", ".mp4", write)
    assert attempts[0].parent == disk_dir.resolve() / "recordings" and target.parent == data_dir / "recordings"
    assert target.read_bytes() == b"clip" and not disk_dir.exists()
    state = alerts(client)
    assert state["alerts"][f"storage_profile_{profile['id']}"] == "warn"
    assert "cam record to the data directory" in state["values"][f"storage_profile_{profile['id']}"]
    assert appliance.recorder.recordings.root_for("cam") == data_dir / "recordings"


def test_a_full_profile_stays_available_and_the_clip_goes_to_the_data_directory(client, appliance: Appliance,
                                                                                tmp_path: Path, data_dir: Path):
    mountpoint = tmp_path / "small"
    with tmpfs(mountpoint, MIB):
        profile = make_profile(client, mountpoint)
        use_profile(client, profile["id"])
        target = appliance.recorder._write_media("cam", 1_700_000_000, "output", ".mp4",
                                                 lambda path: write_atomic(path, b"v" * 2 * MIB))
        assert target.parent == data_dir / "recordings" and target.stat().st_size == 2 * MIB
        assert list((mountpoint / "recordings").iterdir()) == []  # the partial write was removed
        assert client.get("/storage/profiles").json[0]["available"] is True


def test_a_profile_away_keeps_its_index_and_comes_back(client, appliance: Appliance, disk_dir: Path,
                                                       data_dir: Path, tmp_path: Path):
    profile = make_profile(client, disk_dir)
    use_profile(client, profile["id"])
    clip = write_clip(disk_dir / "recordings", stamp(1))
    appliance.janitor.file_written(clip)
    away = tmp_path / "elsewhere"
    disk_dir.rename(away)  # the share went down
    assert appliance.recorder.recordings.root_for("cam") == data_dir / "recordings"
    assert client.get("/storage/profiles").json[0]["available"] is False
    client.post("/storage/cleanup")  # a reconcile: it must not forget the files of a disk that is away
    assert appliance.janitor.media.get(clip) is not None
    assert client.get("/archive").json["items"] == []

    away.rename(disk_dir)
    appliance.profiles.check_all()
    assert client.get("/storage/profiles").json[0]["available"] is True
    assert f"storage_profile_{profile['id']}" not in alerts(client)["alerts"] or \
        alerts(client)["alerts"][f"storage_profile_{profile['id']}"] == "ok"
    assert appliance.recorder.recordings.root_for("cam") == disk_dir.resolve() / "recordings"
    assert [item["path"] for item in client.get("/archive").json["items"]] == [str(clip)]


def test_another_disk_mounted_in_its_place_is_not_the_profile(client, appliance: Appliance, tmp_path: Path,
                                                              data_dir: Path):
    mountpoint = tmp_path / "usb"
    with tmpfs(mountpoint, 4 * MIB):
        profile = make_profile(client, mountpoint)
        use_profile(client, profile["id"])
        assert appliance.recorder.recordings.root_for("cam") == mountpoint / "recordings"
    # Unmounted: the empty mount point on the data disk is not the profile.
    assert appliance.recorder.recordings.root_for("cam") == data_dir / "recordings"
    assert "is gone" in client.get("/storage/profiles").json[0]["problem"]
    with tmpfs(mountpoint, 4 * MIB):
        appliance.profiles.check_all()
        problem = client.get("/storage/profiles").json[0]["problem"]
        assert problem is not None and "marker" in problem
        alert = alerts(client)
        assert alert["alerts"][f"storage_profile_{profile['id']}"] == "warn"
        assert appliance.recorder.recordings.root_for("cam") == data_dir / "recordings"


def test_a_blank_name_is_refused_in_a_change_too(client, disk_dir: Path):
    profile = make_profile(client, disk_dir)
    answer = client.put(f"/storage/profiles/{profile['id']}", json={"name": "   "})
    assert answer.status_code == 400 and answer.json["field"] == "name"
    assert client.get("/storage/profiles").json[0]["name"] == "USB"


def test_an_id_past_64_bits_is_no_profile(client):
    huge = "9" * 24
    assert client.put(f"/storage/profiles/{huge}", json={"name": "z"}).status_code == 404
    assert client.delete(f"/storage/profiles/{huge}").status_code == 404
