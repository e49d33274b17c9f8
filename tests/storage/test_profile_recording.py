"""A storage profile on a second filesystem (a tmpfs the test mounts) with a real ffmpeg recording:
clips, snapshots and continuous recordings go there, the profile's limit is kept, and a disk unmounted during
an event costs no clip (it is made in the data directory, with an alert)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from securitycam.storage.profiles import GIB
from tests.filesystems import tmpfs
from tests.recorder.conftest import Live, start_live, wait_for

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = start_live(tmp_path_factory.mktemp("profile-recording"))
    yield live
    live.appliance.stop()


@pytest.fixture
def usb(live: Live, tmp_path: Path) -> Iterator[tuple[Path, dict]]:
    """A 64 MiB tmpfs made a profile that the camera uses; the camera back on the data directory after."""
    mountpoint = tmp_path / "usb"
    with tmpfs(mountpoint, 64 * MIB):
        made = live.client.post("/storage/profiles", json={"name": f"usb-{tmp_path.name}", "path": str(mountpoint)})
        assert made.status_code == 201, made.json
        camera = {**live.appliance.settings.get().Cameras[0].model_dump(), "storage_profile": made.json["id"]}
        assert live.client.post("/settings", json={"Cameras": [camera]}).status_code == 200
        yield mountpoint, made.json
        live.client.delete(f"/storage/profiles/{made.json['id']}")


def record(live: Live, seconds: float = 1.0) -> str:
    started = live.client.post("/recording/start")
    assert started.status_code == 200, started.json
    time.sleep(seconds)
    assert live.client.post("/recording/stop").status_code == 200
    return started.json["event_id"]


def clips_of(live: Live, event_id: str) -> list[str]:
    event = live.appliance.events.get(event_id)
    return event.data.get("clips", []) if event and event.has_clip else []


def test_clips_go_to_the_profile_and_are_listed_served_and_downloaded(live: Live, usb):
    mountpoint, profile = usb
    event_id = record(live)
    [clip] = wait_for(lambda: clips_of(live, event_id), timeout=30)
    assert Path(clip).parent == mountpoint / "recordings"
    assert Path(clip).with_name(Path(clip).stem + ".thumb.jpg").is_file()
    assert clip in [item["path"] for item in live.client.get("/archive").json["items"]]
    listed = live.client.get("/events", headers={"Accept": "application/json"}, query_string={"type": "video"}).json
    mine = next(item for item in listed if item["id"] == event_id)
    assert mine["type"] == "video" and mine["file_size"] >= Path(clip).stat().st_size
    download = live.client.get(f"/events/{event_id}/download")
    assert download.status_code == 200 and download.data == Path(clip).read_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    snapshot = live.client.post("/cameras/cam/snapshot")
    assert snapshot.status_code == 200 and Path(snapshot.json["path"]).parent == mountpoint / "recordings"
    assert live.client.get("/cameras/cam/frame").data[:2] == b"\xff\xd8"
    used = live.client.get("/storage/profiles").json
    assert next(p for p in used if p["id"] == profile["id"])["used_bytes"] > 0


def test_continuous_recording_keeps_its_segments_on_the_profile(live: Live, usb):
    mountpoint, _profile = usb
    camera = live.appliance.settings.get().Cameras[0].model_dump()
    camera["record"] = {**camera["record"], "enabled": True, "retain": {**camera["record"]["retain"], "days": 1}}
    assert live.client.post("/settings", json={"Cameras": [camera]}).status_code == 200
    try:
        kept = wait_for(lambda: [r for r in live.appliance.db.query("SELECT path FROM recordings")
                                 if r["path"].startswith(str(mountpoint / "recordings"))], timeout=20)
        assert Path(kept[0]["path"]).is_file() and Path(kept[0]["path"]).suffix == ".ts"
    finally:
        camera["record"]["enabled"] = False
        live.client.post("/settings", json={"Cameras": [camera]})


def test_the_profile_limit_is_kept_oldest_first(live: Live, usb):
    _mountpoint, profile = usb
    first, second = record(live), None
    [older] = wait_for(lambda: clips_of(live, first), timeout=30)
    second = record(live)
    [newer] = wait_for(lambda: clips_of(live, second), timeout=30)
    # Room for the newer clip with its sidecars, not for both.
    limit = (live.appliance.janitor.media.get(Path(newer)).size + 1024) / GIB
    assert live.client.put(f"/storage/profiles/{profile['id']}", json={"max_size_gb": limit}).status_code == 200
    live.client.post("/storage/cleanup")
    assert not Path(older).exists() and Path(newer).exists()
    listed = next(p for p in live.client.get("/storage/profiles").json if p["id"] == profile["id"])
    assert listed["used_bytes"] <= limit * GIB


def test_a_disk_unmounted_during_an_event_costs_no_clip(live: Live, usb):
    mountpoint, profile = usb
    started = live.client.post("/recording/start")
    event_id = started.json["event_id"]
    time.sleep(1.0)
    subprocess.run(["umount", "-l", str(mountpoint)], check=True)  # the USB disk pulled
    time.sleep(0.5)
    assert live.client.post("/recording/stop").status_code == 200
    [clip] = wait_for(lambda: clips_of(live, event_id), timeout=30)
    data_recordings = live.appliance.paths.recordings
    assert Path(clip).parent == data_recordings and Path(clip).stat().st_size > 0
    meta = live.client.get("/archive").json["items"]
    assert clip in [item["path"] for item in meta]
    state = live.client.get("/system_alert_state").json
    assert state["alerts"][f"storage_profile_{profile['id']}"] == "warn"
    assert "record to the data directory" in state["values"][f"storage_profile_{profile['id']}"]
    # Nothing half-written left: no partial files in the data directory, nothing made on the bare mount point.
    assert not [p for p in data_recordings.iterdir() if ".partial" in p.name or p.name.endswith(".concat.txt")]
    assert list(mountpoint.iterdir()) == []
    # The camera keeps recording to the data directory.
    later = record(live, 0.5)
    [again] = wait_for(lambda: clips_of(live, later), timeout=30)
    assert Path(again).parent == data_recordings
