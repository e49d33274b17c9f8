"""The janitor through the API and on disk: what goes, in which order, and what never goes."""

from __future__ import annotations

import time
from pathlib import Path

from securitycam.appliance import Appliance
from securitycam.bus import ARCHIVE_UPDATED
from tests.storage.conftest import KIB, DirectoryDisk, MakeClip, age, stamp

CLIP = 103 * KIB  # 100 KiB of video and three 1 KiB sidecars


def sidecars(video: Path) -> list[Path]:
    return [video.with_name(video.stem + suffix) for suffix in (".thumb.jpg", ".sprite.jpg", ".meta.json")]


def event_with_clip(appliance: Appliance, video: Path, *, retained: bool = False) -> str:
    event = appliance.events.open("cam", "sensor", "door")
    appliance.events.end(event.id)
    appliance.events.update(event.id, has_clip=True, retain_indefinitely=retained, data={"clips": [str(video)]})
    return event.id


def test_over_the_limit_oldest_clips_go_first_with_sidecars_but_never_retained_or_in_progress(
    client, quiet: Appliance, make_clip: MakeClip, disk: DirectoryDisk, data_dir: Path
):
    retained = make_clip(stamp(1))
    oldest_free = make_clip(stamp(2))
    with_event = make_clip(stamp(3))
    # Its event is still open; the clip is found by the backfill, its event named in its meta.
    in_progress = make_clip(stamp(4), event_id=quiet.events.open("cam", "sensor", "door").id)
    newer = [make_clip(stamp(5)), make_clip(stamp(6))]
    snapshot = data_dir / "recordings" / f"snapshot_{stamp(1)}.jpg"
    snapshot.write_bytes(b"j" * 20 * KIB)
    retained_event = event_with_clip(quiet, retained, retained=True)
    ended_event = event_with_clip(quiet, with_event)
    # Three arrive through the recorder's hook; the rest were "copied in" and are found by the backfill.
    for video, event_id in ((retained, retained_event), (oldest_free, None), (with_event, ended_event)):
        quiet.janitor.file_written(video, event_id)
    # 40 % of 1 MiB: three clips must go.
    assert client.post("/storage/configure", json={"max_percent": 40}).status_code == 200

    report = client.post("/storage/cleanup").json

    assert report["success"] is True
    assert [item["path"] for item in report["files"]] == [str(oldest_free), str(with_event), str(newer[0])]
    assert report["deleted"] == {"clips": 3, "snapshots": 0, "timelapse": 0, "exports": 0, "recordings": 0}
    assert report["freed_bytes"] == 3 * CLIP
    assert report["indexed"] == 4  # in_progress, both newer clips, the snapshot
    assert report["usage_after"]["used"] <= 0.4 * 1024 * KIB < report["usage_before"]["used"]
    assert report["still_over_limit"] is False
    for gone in (oldest_free, with_event, newer[0]):
        assert not gone.exists() and not any(path.exists() for path in sidecars(gone))
    for kept in (retained, in_progress, newer[1]):
        assert kept.exists() and all(path.exists() for path in sidecars(kept))
    assert snapshot.exists()
    event = quiet.events.get(ended_event)
    assert event.has_clip is False and event.data["clips"] == []
    assert quiet.events.get(retained_event).has_clip is True
    published = [e.data for e in quiet.bus.recent(ARCHIVE_UPDATED) if e.data.get("type") == "cleanup"]
    assert published and published[-1]["deleted"]["clips"] == 3
    assert disk(data_dir).used == report["usage_after"]["used"]


def pictures(appliance: Appliance, camera: str, event_id: str) -> list[Path]:
    """The event's snapshot, clean copies and thumbnail in ``clips/``, written as detection and the API do."""
    made = [appliance.paths.clips / f"{camera}-{event_id}{suffix}"
            for suffix in (".jpg", "-clean.png", "-clean.jpg", "-thumb.jpg")]
    for path in made:
        path.write_bytes(b"p" * KIB)
    return made


def test_an_event_whose_last_clip_goes_for_space_loses_its_pictures_too(
    client, quiet: Appliance, make_clip: MakeClip, data_dir: Path
):
    first, second = make_clip(stamp(1)), make_clip(stamp(5))  # one event's two clips
    two_clips = event_with_clip(quiet, first)
    quiet.events.update(two_clips, data={"clips": [str(first), str(second)]})
    one_clip = event_with_clip(quiet, only := make_clip(stamp(2)))
    # A camera name that leads out of clips/ (the database is written by clients): nothing outside is touched.
    escaping = quiet.events.open("../clips-escape", "sensor", "door")
    quiet.events.end(escaping.id)
    quiet.events.update(escaping.id, has_clip=True, data={"clips": [str(its := make_clip(stamp(3)))]})
    outside = data_dir / f"clips-escape-{escaping.id}.jpg"
    outside.write_bytes(b"not the appliance's")
    make_clip(stamp(6))
    for video, event_id in ((first, two_clips), (second, two_clips), (only, one_clip), (its, escaping.id)):
        quiet.janitor.file_written(video, event_id)
    kept, gone = pictures(quiet, "cam", two_clips), pictures(quiet, "cam", one_clip)
    # 25 % of 1 MiB with five clips: the three oldest go.
    assert client.post("/storage/configure", json={"max_percent": 25}).status_code == 200

    report = client.post("/storage/cleanup").json

    assert [item["path"] for item in report["files"]] == [str(first), str(only), str(its)]
    assert not any(path.exists() for path in gone)
    assert quiet.events.get(one_clip).has_snapshot is False
    assert all(path.exists() for path in kept), "the event still has a clip, and its pictures"
    # The pictures were indexed by the cleanup's reconcile; the rows of those that went went too.
    assert quiet.janitor.media.get(gone[0]) is None and quiet.janitor.media.get(kept[0]) is not None
    assert outside.read_bytes() == b"not the appliance's"


def test_when_clips_are_not_enough_snapshots_then_timelapses_then_exports_go(
    client, quiet: Appliance, make_clip: MakeClip, data_dir: Path
):
    retained = make_clip(stamp(1))
    quiet.janitor.file_written(retained, event_with_clip(quiet, retained, retained=True))
    recordings, timelapse, exports = (data_dir / name for name in ("recordings", "timelapse", "exports"))
    export = exports / "front_door_export.mp4"
    export.write_bytes(b"e" * 60 * KIB)
    age(export, 90 * 86400)  # the oldest file of all, and still the last to go
    (timelapse / "timelapse_20231102.mp4").write_bytes(b"v" * 60 * KIB)
    (timelapse / "timelapse_20231102.thumb.jpg").write_bytes(b"t" * 2 * KIB)
    (recordings / f"snapshot_{stamp(6)}.jpg").write_bytes(b"j" * 50 * KIB)
    (recordings / f"snapshot_{stamp(5)}.jpg").write_bytes(b"j" * 50 * KIB)
    client.post("/storage/configure", json={"max_percent": 10})

    report = client.post("/storage/cleanup").json

    assert [Path(item["path"]).name for item in report["files"]] == [
        f"snapshot_{stamp(5)}.jpg", f"snapshot_{stamp(6)}.jpg", "timelapse_20231102.mp4", "front_door_export.mp4",
    ]
    assert not (timelapse / "timelapse_20231102.thumb.jpg").exists()
    # Only the retained clip is left, and it alone is over the limit: it stays, and the report says so.
    assert retained.exists() and report["still_over_limit"] is True
    assert client.get("/storage/status").json["over_limit"] is True
    # With auto-delete on, the owner is told the janitor is stuck, until there is room again.
    client.post("/storage/configure", json={"enabled": True})
    quiet.janitor.run()
    alert = client.get("/system_alert_state").json
    assert alert["alerts"]["storage_limit"] == "warn" and "over the 10 % limit" in alert["values"]["storage_limit"]
    client.post("/storage/configure", json={"max_percent": 95})
    quiet.janitor.run()
    assert "storage_limit" not in client.get("/system_alert_state").json["alerts"]


def test_a_locked_file_is_never_deleted(client, quiet: Appliance, make_clip: MakeClip):
    older, newer = make_clip(stamp(1)), make_clip(stamp(2))
    response = client.post("/storage/lock", json={"path": str(older)})
    assert response.status_code == 200 and response.json["locked"] is True
    client.post("/storage/configure", json={"max_percent": 10})

    report = client.post("/storage/cleanup").json

    assert [item["path"] for item in report["files"]] == [str(newer)]
    assert older.exists() and not newer.exists()
    assert client.post("/storage/lock", json={"path": str(older), "locked": False}).json["locked"] is False
    assert client.post("/storage/cleanup").json["files"][0]["path"] == str(older)


def test_retention_days_apply_per_kind(client, quiet: Appliance, make_clip: MakeClip, data_dir: Path):
    old_clip = make_clip("20200101_080000")
    recent_clip = make_clip(time.strftime("%Y%m%d_%H%M%S"))
    old_snapshot = data_dir / "recordings" / "snapshot_20200101_080000.jpg"
    old_snapshot.write_bytes(b"j" * KIB)
    response = client.post("/storage/configure", json={"retention_days": {"clips": 30}})
    assert response.json["retention_days"] == {"clips": 30, "snapshots": 0, "timelapse": 0, "exports": 0}

    report = client.post("/storage/cleanup").json

    assert report["files"] == [{"path": str(old_clip), "kind": "clips", "size": CLIP, "reason": "older than 30 days"}]
    assert recent_clip.exists() and old_snapshot.exists()


def test_with_room_a_pass_deletes_nothing_and_reads_the_disk_once(
    quiet: Appliance, make_clip: MakeClip, disk: DirectoryDisk
):
    quiet.janitor.stop()  # no background pass may read the disk meanwhile
    quiet.settings.update({"StorageLimit": {"enabled": True}})
    clip = make_clip(stamp(1))
    quiet.janitor.file_written(clip)
    quiet.janitor.run()  # the hourly age check and the first reconcile are done
    before = disk.calls

    report = quiet.janitor.run()

    assert disk.calls == before + 1
    assert report.deleted_count == 0 and clip.exists()


def test_a_new_file_over_the_limit_wakes_the_janitor(quiet: Appliance, make_clip: MakeClip):
    oldest = make_clip(stamp(1))
    quiet.janitor.file_written(oldest)
    quiet.settings.update({"StorageLimit": {"enabled": True, "max_percent": 30}})  # 307 KiB: room for two clips
    time.sleep(0.2)
    assert oldest.exists()

    newest = make_clip(stamp(2))
    newest_but_one = make_clip(stamp(3))
    quiet.janitor.file_written(newest)  # what the recorder calls when a clip is complete
    quiet.janitor.file_written(newest_but_one)

    deadline = time.monotonic() + 10
    while oldest.exists():
        assert time.monotonic() < deadline, "the janitor did not react to the new clip"
        time.sleep(0.05)
    assert newest.exists() and newest_but_one.exists()


def test_what_a_crash_left_of_an_atomic_write_is_removed_once_old(client, quiet: Appliance, data_dir: Path):
    """``write_atomic``'s temporary file, left by a kill mid-write: in the archive and in ``clips/``."""
    clips = data_dir / "clips"
    (clips / "review").mkdir(parents=True, exist_ok=True)
    old = [data_dir / "recordings" / ".output_20231101_120000.meta.json.k2j4.tmp",
           clips / ".cam-1700000000.0-abc123.jpg.x9f1.tmp", clips / "review" / ".thumb-cam-1.webp.q1w2.tmp"]
    fresh = clips / ".cam-1700000001.0-def456.jpg.a1b2.tmp"  # being written right now
    kept = [clips / "cam-1700000000.0-abc123.jpg", clips / ".hidden-by-the-owner"]
    for path in (*old, fresh, *kept):
        path.write_bytes(b"x" * KIB)
    for path in (*old, *kept):
        age(path, 2 * 3600)

    report = client.post("/storage/cleanup").json

    assert report["stale_files"] == 3
    assert not any(path.exists() for path in old)
    assert fresh.exists() and all(path.exists() for path in kept)


def test_orphans_leftovers_and_stale_segments_are_removed_but_nothing_in_use(
    client, quiet: Appliance, make_clip: MakeClip, data_dir: Path
):
    recordings = data_dir / "recordings"
    orphan = recordings / "output_20231101_100000.sprite.jpg"
    fresh_orphan = recordings / "output_20231101_110000.thumb.jpg"
    leftover = recordings / ".output_20231101_120000.partial.mp4"
    being_built = recordings / ".output_20231101_130000.partial.mp4"
    its_meta = recordings / "output_20231101_130000.meta.json"
    cache = data_dir / "cache" / "cam"
    cache.mkdir(parents=True)
    stale_segment, live_segment, frame = cache / "1700_000001.ts", cache / "1700_000002.ts", cache / "latest.jpg"
    kept_dir = recordings / ".segments" / "cam"
    kept_dir.mkdir(parents=True)
    stale_kept = kept_dir / "1600_000001.ts"
    for path in (orphan, fresh_orphan, leftover, being_built, its_meta, stale_segment, live_segment, frame,
                 stale_kept):
        path.write_bytes(b"x" * KIB)
    for path in (orphan, leftover, its_meta, stale_segment, live_segment, frame, stale_kept):
        age(path, 2 * 3600)
    age(being_built, 10)
    quiet.recorder.index.add("cam", live_segment, 1.0, 3.0, KIB)
    vanished = make_clip(stamp(9))
    quiet.janitor.file_written(vanished)
    for path in (vanished, *sidecars(vanished)):
        path.unlink()  # deleted by hand

    report = client.post("/storage/cleanup").json

    assert report["orphaned_sidecars"] == 1 and report["stale_files"] == 3
    assert not orphan.exists() and not leftover.exists() and not stale_segment.exists() and not stale_kept.exists()
    assert all(path.exists() for path in (fresh_orphan, being_built, its_meta, live_segment, frame))
    assert quiet.janitor.media.get(vanished) is None


def test_deleting_through_the_api_updates_the_index(client, quiet: Appliance, make_clip: MakeClip, data_dir: Path):
    clip = make_clip(stamp(1))
    event_id = event_with_clip(quiet, clip)
    quiet.janitor.file_written(clip, event_id)
    snapshot = data_dir / "recordings" / f"snapshot_{stamp(2)}.jpg"
    snapshot.write_bytes(b"j" * 10 * KIB)
    quiet.janitor.file_written(snapshot)
    by_kind = client.get("/storage/status").json["by_kind"]
    assert by_kind["clips"] == {"bytes": CLIP, "files": 1} and by_kind["snapshots"] == {"bytes": 10 * KIB, "files": 1}

    assert client.post("/archive/delete", json={"path": str(clip)}).status_code == 200
    assert client.post("/delete_snapshot", json={"snapshot_path": str(snapshot)}).status_code == 200

    by_kind = client.get("/storage/status").json["by_kind"]
    assert by_kind["clips"]["files"] == 0 and by_kind["snapshots"]["files"] == 0
    assert quiet.janitor.media.get(clip) is None and quiet.events.get(event_id).has_clip is False
