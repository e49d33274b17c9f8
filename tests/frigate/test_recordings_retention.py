"""The storage janitor and the recordings: each camera's ``record`` retention (continuous days, alert and
detection days), what never goes (events in progress or retained, what the ring still lists), recordings
first when space runs short, reconciling the tree with the table, and the count in ``/storage/status``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from securitycam.appliance import Appliance
from tests.recorder.conftest import wait_for
from tests.storage.conftest import KIB, DirectoryDisk

DAY = 86400.0
SEGMENT = 100 * KIB


@pytest.fixture
def disk(data_dir: Path) -> DirectoryDisk:
    return DirectoryDisk(data_dir, total=2048 * KIB)


@pytest.fixture
def ready(appliance: Appliance) -> Appliance:
    """Record settings of the tests below, and the janitor's own pass after the change done (so what a
    test writes next waits for the test's forced cleanup)."""
    appliance.settings.update({"Cameras": [{
        "name": "cam", "pre_capture": 5, "post_capture": 5,
        "record": {"enabled": True, "retain": {"days": 1, "mode": "all"},
                   "alerts": {"retain": {"days": 2}}, "detections": {"retain": {"days": 0.5}}},
    }]})
    wait_for(lambda: appliance.janitor._last_recording_expiry is not None, timeout=30)
    return appliance


def put(appliance: Appliance, start: float, size: int = SEGMENT) -> Path:
    """A 2-second kept segment of ``cam`` starting at ``start``: a file in the tree and its row."""
    recordings = appliance.recorder.recordings
    path = recordings.path_for("cam", start)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"G" * size)
    recordings.add("cam", path, start, start + 2, size)
    return path


def event(appliance: Appliance, start: float, source: str = "sensor", label: str = "door", *, end: bool = True,
          **changes) -> str:
    opened = appliance.events.open("cam", source, label, start_time=start)
    if end:
        appliance.events.end(opened.id, start + 10)
    if changes:
        appliance.events.update(opened.id, **changes)
    return opened.id


def test_retention_follows_the_record_settings_and_never_touches_held_footage(client, ready: Appliance):
    now = time.time()
    continuous_old = put(ready, now - 3 * DAY)
    continuous_recent = put(ready, now - 0.5 * DAY)
    alert_at = now - 1.5 * DAY
    event(ready, alert_at)  # a sensor event: an alert, kept 2 days
    alert_footage = [put(ready, alert_at - 4), put(ready, alert_at + 12)]  # pre- and post-capture
    after_alert = put(ready, alert_at + 120)
    detection_at = now - 1.5 * DAY + 3600
    event(ready, detection_at, "object", "cat")  # a detection: kept half a day
    detection_footage = put(ready, detection_at)
    overridden_at = now - 1.5 * DAY + 7200
    event(ready, overridden_at, data={"severity": "detection"})  # the detector's word wins
    overridden_footage = put(ready, overridden_at)
    retained_at = now - 3 * DAY + 3600
    event(ready, retained_at, "object", "cat", retain_indefinitely=True)
    retained_footage = put(ready, retained_at + 5)
    in_ring = put(ready, now - 3 * DAY + 7200)
    # The recorder's worker (every half second) would take this three-day-old segment out of the ring
    # before the cleanup below on a loaded machine: the ring is held as the janitor finds it.
    ready.recorder.stop()
    ready.recorder.index.add("cam", in_ring, now - 3 * DAY + 7200, now - 3 * DAY + 7202, SEGMENT)

    report = client.post("/storage/cleanup").json

    gone = [continuous_old, after_alert, detection_footage, overridden_footage]
    kept = [continuous_recent, *alert_footage, retained_footage, in_ring]
    assert report["deleted"]["recordings"] == len(gone)
    assert sorted(item["path"] for item in report["files"]) == sorted(str(path) for path in gone)
    assert all(item["reason"] == "older than 1 days" for item in report["files"])
    assert [path for path in gone if path.exists()] == []
    assert [path for path in kept if not path.exists()] == []
    remaining = {row["path"] for row in ready.db.query("SELECT path FROM recordings")}
    assert remaining == {str(path) for path in kept}
    # Directories left empty go too.
    assert not continuous_old.parent.exists()
    status = client.get("/storage/status").json
    assert status["by_kind"]["recordings"] == {"bytes": len(kept) * SEGMENT, "files": len(kept)}


def test_when_space_runs_short_recordings_go_first_oldest_first_but_never_held_footage(
    client, ready: Appliance, disk: DirectoryDisk
):
    # The limit applies when the test asks (a forced cleanup), not in a pass of the janitor's own meanwhile.
    ready.settings.update({"StorageLimit": {"enabled": False, "max_percent": 10}})
    wait_for(lambda: ready.janitor._last_recording_expiry is not None, timeout=30)
    now = time.time()
    retained_at = now - 6 * 3600
    event(ready, retained_at, retain_indefinitely=True)
    held = [put(ready, retained_at)]
    free = [put(ready, now - 5 * 3600 + minute * 60) for minute in range(8)]
    # An event in progress holds everything from its pre-capture on.
    open_at = now - 3600
    event(ready, open_at, "manual", "manual", end=False)
    held += [put(ready, open_at - 4), put(ready, open_at + 600)]
    clip = ready.paths.recordings / "output_20231101_120000.mp4"
    clip.write_bytes(b"\0" * 103 * KIB)
    # 2 MiB card holding 11 segments (1100 KiB) and a clip (103 KiB); at 10 % (205 KiB) the free
    # segments go first, then the clip, and the held footage stays even though the card stays over.

    report = client.post("/storage/cleanup").json

    assert report["deleted"]["recordings"] == 8 and report["deleted"]["clips"] == 1
    assert [item["path"] for item in report["files"]] == [*map(str, free), str(clip)]
    assert all(item["reason"] == "over 10 % used" for item in report["files"])
    assert all(path.exists() for path in held) and not any(path.exists() for path in free)
    assert report["still_over_limit"] is True


def test_reconcile_deletes_unlisted_files_and_forgets_rows_of_missing_ones(client, ready: Appliance):
    now = time.time()
    listed = put(ready, now - 600)
    vanished = put(ready, now - 500)
    vanished.unlink()
    stray = ready.recorder.recordings.path_for("cam", now - 2 * DAY)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"G" * 10)
    os.utime(stray, (now - 2 * DAY, now - 2 * DAY))
    fresh_stray = listed.with_name("59.59.ts")
    fresh_stray.write_bytes(b"G")  # could be a move in progress: left alone for now
    outside = ready.paths.recordings / "notes" / "x.ts"
    outside.parent.mkdir()
    outside.write_bytes(b"mine")

    client.post("/storage/cleanup")

    assert not stray.exists() and not stray.parent.exists()
    assert listed.exists() and fresh_stray.exists() and outside.exists()
    paths = {row["path"] for row in ready.db.query("SELECT path FROM recordings")}
    assert str(listed) in paths and str(vanished) not in paths
