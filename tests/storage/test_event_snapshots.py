"""Events without a clip under the janitor: an event's snapshot in ``clips/`` (detection's, or the
Frigate API's) ages out and goes for space as snapshots do, and the rows of events with no file left
go once older than the retention; retained and unfinished events are never touched. Checked on disk,
through ``/storage/status``, ``/storage/cleanup`` and ``/api/events``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from securitycam.appliance import Appliance
from securitycam.storage.media import SNAPSHOTS
from tests.storage.conftest import KIB, DirectoryDisk, MakeClip, age, stamp
from tests.storage.test_janitor import event_with_clip

DAY = 86400.0
SUFFIXES = (".jpg", "-clean.png", "-clean.jpg", "-thumb.jpg")


@pytest.fixture
def disk(data_dir: Path) -> DirectoryDisk:
    """1 MiB, event pictures in ``clips/`` counted too."""
    return DirectoryDisk(data_dir, total=1024 * KIB, parts=("recordings", "clips"))


def event(appliance: Appliance, days_ago: float, *, source: str = "object", retained: bool = False,
          ended: bool = True) -> str:
    start = time.time() - days_ago * DAY
    opened = appliance.events.open("cam", source, "person", start_time=start)
    if ended:
        appliance.events.end(opened.id, start + 20)
    appliance.events.update(opened.id, retain_indefinitely=retained)
    return opened.id


def snapshot(appliance: Appliance, event_id: str, size: int = KIB, *, announce: bool = True) -> list[Path]:
    """The event's pictures as detection writes them (``announce``: and tells the janitor, as it does)."""
    made = [appliance.paths.clips / f"cam-{event_id}{suffix}" for suffix in SUFFIXES]
    for path in made:
        path.write_bytes(b"p" * size)
    appliance.events.update(event_id, has_snapshot=True)
    if announce:
        appliance.janitor.file_written(made[0], event_id)
    return made


def assert_consistent(client, appliance: Appliance) -> None:
    """No event claims a snapshot or clip it lacks, no indexed file is missing, no picture lacks its event."""
    events = client.get("/api/events", query_string={"limit": 1000}).json
    for listed in events:
        if listed["has_snapshot"] and not listed["has_clip"]:
            assert (appliance.paths.clips / f"{listed['camera']}-{listed['id']}.jpg").is_file(), listed["id"]
    for row in appliance.db.query("SELECT path FROM media"):
        assert Path(row["path"]).is_file(), row["path"]
    ids = {listed["id"] for listed in events}
    for picture in appliance.paths.clips.glob("cam-*"):
        assert any(picture.name.startswith(f"cam-{event_id}") for event_id in ids), picture


def api_event(client, event_id: str):  # type: ignore[no-untyped-def]
    return client.get(f"/api/events/{event_id}")


def test_snapshot_only_events_age_out_with_their_pictures_and_rows(client, quiet: Appliance):
    old = event(quiet, 40)
    old_pictures = snapshot(quiet, old)
    copied_in = event(quiet, 41)  # pictures from before an upgrade: found by the reconcile
    copied_pictures = snapshot(quiet, copied_in, announce=False)
    retained = event(quiet, 50, retained=True)
    retained_pictures = snapshot(quiet, retained)
    unfinished = event(quiet, 45, ended=False)
    unfinished_pictures = snapshot(quiet, unfinished)
    recent = event(quiet, 2)
    recent_pictures = snapshot(quiet, recent)
    camera_off = event(quiet, 40, source="sensor")  # a sensor event with no camera: no file at all
    recent_camera_off = event(quiet, 2, source="sensor")
    before = client.get("/storage/status").json["by_kind"]["snapshots"]
    assert before == {"bytes": 4 * 4 * KIB, "files": 4}  # the copied-in one is not indexed yet

    assert client.post("/storage/configure", json={"retention_days": {"snapshots": 30}}).status_code == 200
    report = client.post("/storage/cleanup").json

    assert report["indexed"] == 1
    assert sorted(item["path"] for item in report["files"]) == sorted(str(p[0]) for p in (old_pictures,
                                                                                            copied_pictures))
    assert all(item["kind"] == SNAPSHOTS and item["reason"] == "older than 30 days" for item in report["files"])
    assert report["deleted"]["snapshots"] == 2 and report["freed_bytes"] == 2 * 4 * KIB
    assert not any(path.exists() for path in old_pictures + copied_pictures)
    assert all(path.exists() for path in retained_pictures + unfinished_pictures + recent_pictures)
    # The rows stay (the clip retention is 0: keep), saying there is no snapshot any more.
    assert api_event(client, old).json["has_snapshot"] is False
    assert api_event(client, camera_off).status_code == 200
    assert client.get("/storage/status").json["by_kind"]["snapshots"] == {"bytes": 3 * 4 * KIB, "files": 3}
    assert report["events_deleted"] == 0
    assert_consistent(client, quiet)

    # With both retentions set, the rows of events older than both with no file left go.
    client.post("/storage/configure", json={"retention_days": {"clips": 30}})
    report = client.post("/storage/cleanup").json

    assert report["events_deleted"] == 3
    for gone in (old, copied_in, camera_off):
        assert api_event(client, gone).status_code == 404
    for kept in (retained, unfinished, recent, recent_camera_off):
        assert api_event(client, kept).status_code == 200
    assert_consistent(client, quiet)


def test_a_row_with_a_locked_file_or_a_clip_stays(client, quiet: Appliance, make_clip: MakeClip):
    locked = event(quiet, 40)
    locked_pictures = snapshot(quiet, locked)
    assert client.post("/storage/lock", json={"path": str(locked_pictures[0])}).status_code == 200
    assert client.post("/storage/lock", json={"path": str(locked_pictures[3])}).status_code == 400  # a sidecar
    clip = make_clip(time.strftime("%Y%m%d_%H%M%S"))
    with_clip = event(quiet, 40)
    quiet.events.update(with_clip, has_clip=True, data={"clips": [str(clip)]})
    quiet.janitor.file_written(clip, with_clip)

    client.post("/storage/configure", json={"retention_days": {"clips": 30, "snapshots": 30}})
    report = client.post("/storage/cleanup").json

    assert report["deleted"]["snapshots"] == 0 and report["events_deleted"] == 0
    assert all(path.exists() for path in locked_pictures) and clip.exists()
    assert api_event(client, locked).json["has_snapshot"] is True
    assert api_event(client, with_clip).json["has_clip"] is True


def test_when_space_runs_short_snapshots_of_events_go_after_the_clips(
    client, quiet: Appliance, make_clip: MakeClip, disk: DirectoryDisk
):
    clip = make_clip(stamp(1))  # 103 KiB, the oldest file of all
    quiet.janitor.file_written(clip, event_with_clip(quiet, clip))
    oldest, older, newest = event(quiet, 30), event(quiet, 20), event(quiet, 10)
    retained = event(quiet, 40, retained=True)
    pictures = {event_id: snapshot(quiet, event_id, 50 * KIB) for event_id in (oldest, older, newest, retained)}
    # 800 KiB of pictures and a 103 KiB clip in 1 MiB: 40 % leaves room for two events' pictures and no clip.
    client.post("/storage/configure", json={"max_percent": 40})

    report = client.post("/storage/cleanup").json

    assert [item["path"] for item in report["files"]] == [str(clip), str(pictures[oldest][0]),
                                                          str(pictures[older][0])]
    assert report["deleted"]["snapshots"] == 2 and report["still_over_limit"] is False
    assert not any(path.exists() for path in pictures[oldest] + pictures[older])
    assert all(path.exists() for path in pictures[newest] + pictures[retained])
    assert report["usage_after"]["used"] <= 0.4 * 1024 * KIB
    listed = {e["id"]: e for e in client.get("/api/events").json}
    assert listed[oldest]["has_snapshot"] is False and listed[newest]["has_snapshot"] is True
    status = client.get("/storage/status").json["by_kind"]["snapshots"]
    assert status == {"bytes": 2 * 4 * 50 * KIB, "files": 2}
    assert_consistent(client, quiet)


def test_deleting_an_event_through_the_api_drops_its_snapshot_row(client, quiet: Appliance):
    doomed = event(quiet, 1)
    pictures = snapshot(quiet, doomed)
    assert client.get("/storage/status").json["by_kind"]["snapshots"]["files"] == 1

    assert client.delete(f"/api/events/{doomed}").status_code == 200

    assert not any(path.exists() for path in pictures)
    assert client.get("/storage/status").json["by_kind"]["snapshots"] == {"bytes": 0, "files": 0}
    assert_consistent(client, quiet)


def test_a_picture_left_without_its_snapshot_is_removed_once_old(client, quiet: Appliance):
    orphan = event(quiet, 3)
    pictures = snapshot(quiet, orphan, announce=False)
    pictures[0].unlink()  # the snapshot went (by hand); its clean copy and thumbnail are left
    fresh = quiet.paths.clips / "cam-1700000001.000000-def456-clean.jpg"  # being written right now
    fresh.write_bytes(b"p")
    for path in pictures[1:]:
        age(path, 2 * 3600)

    report = client.post("/storage/cleanup").json

    assert report["orphaned_sidecars"] == 3 and fresh.exists()
    assert not any(path.exists() for path in pictures)
