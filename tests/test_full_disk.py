"""A full disk, for real: the data directory lives on a small tmpfs that a test fills to its last
byte, with a real ffmpeg recording the synthetic camera into it.

The owner can still log in and read; what cannot be written answers 507 with a message; the
janitor is woken to free space; a clip that could not be made says why in its event and is made
once there is room.

SQLite appends to its write-ahead log and reuses the log's space after a checkpoint. Right after a
``wal_checkpoint(TRUNCATE)`` the log is empty and every write needs new space (the endpoint tests);
an appliance that has run a while has log space to reuse (the clip tests: 8 MiB of it).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from securitycam import diskfull
from securitycam.app import create_app
from securitycam.appliance import Appliance, Hardware
from securitycam.recorder import service
from securitycam.recorder.clips import ClipError
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.conftest import FAST_DELAYS, PASSWORD
from tests.filesystems import MIB, fill, tmpfs
from tests.recorder.conftest import CAMERA, ffprobe_json, wait_for

# A ring long enough that no segment is deleted (and no space freed) while a test holds the disk full.
RING = {**CAMERA, "ring_seconds": 600}
NO_SPACE = "no space left on device"


class Rig:
    def __init__(self, mountpoint: Path, appliance: Appliance, client: FlaskClient) -> None:
        self.mountpoint = mountpoint
        self.appliance = appliance
        self.client = client

    @contextlib.contextmanager
    def full(self, database_room: bool = False) -> Iterator[None]:
        """The disk at 0 bytes free for the service until the block ends; with ``database_room``
        SQLite's log has 8 MiB to reuse, else none."""
        db = self.appliance.db
        if database_room:
            db.execute("CREATE TABLE IF NOT EXISTS test_room (data BLOB)")
            db.execute("INSERT INTO test_room VALUES (zeroblob(8388608))")
            db.execute("DELETE FROM test_room")  # the pages stay in the file, for checkpoints
            db.execute("PRAGMA wal_checkpoint(RESTART)")
        else:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        filler = self.mountpoint / "filler"
        fill(filler)
        assert os.statvfs(self.mountpoint).f_bavail == 0
        try:
            yield
        finally:
            filler.unlink()

    def fresh_frame(self) -> None:
        recorder = self.appliance.recorder.cameras["cam"]
        wait_for(lambda: recorder.latest_frame() is not None, timeout=60)  # after up to 30 s of back-off


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    root = tmp_path_factory.mktemp("full-disk")
    (root / "sys").mkdir()
    with tmpfs(root / "disk", 64 * MIB) as mountpoint:
        hardware = Hardware(runner=RecordingRunner(), host=HostReader(root / "sys"))
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
            app = create_app(mountpoint / "data", hardware, start=False, config=FAST_DELAYS)
        appliance: Appliance = app.extensions["securitycam"]
        # Auto-delete off: nothing but the test frees space (the janitor test turns it on).
        appliance.settings.update({"Cameras": [RING], "StorageLimit": {"enabled": False}})
        appliance.start()
        try:
            client = app.test_client()
            token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            rig = Rig(mountpoint, appliance, client)
            wait_for(lambda: appliance.recorder.index.count("cam") >= 3, timeout=30)
            rig.fresh_frame()
            yield rig
        finally:
            appliance.stop()


def assert_insufficient_storage(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 507, response.get_json()
    body = response.get_json()
    assert body["success"] is False and NO_SPACE in body["message"] and "Delete clips" in body["message"]


def test_login_works_on_a_full_disk(rig: Rig):
    anon = rig.client.application.test_client()
    with rig.full():
        login = anon.post("/auth/validate", json={"password": PASSWORD})
        assert login.status_code == 200 and login.json["valid"] is True, login.get_json()
        token = login.json["token"]
        assert anon.get("/settings", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        session = anon.post("/auth/login", data={"username": "admin", "password": PASSWORD})
        assert session.status_code == 200, session.get_json()
        assert anon.get("/auth/api-keys", headers={"Authorization": f"Bearer {session.json['access_token']}"}
                        ).status_code == 200
        assert anon.post("/auth/validate", json={"password": "wrong password"}).json["valid"] is False
    # The token could not be stored, yet it keeps working (until a restart).
    assert anon.get("/settings", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_appliance_starts_on_a_full_disk_and_the_owner_logs_in(rig: Rig):
    def start() -> FlaskClient:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
            app = create_app(rig.mountpoint / "restarted", Hardware(runner=RecordingRunner(), run_cameras=False,
                                                                      host=HostReader(rig.mountpoint.parent / "sys")))
        return app.test_client()

    first = start()
    appliance: Appliance = first.application.extensions["securitycam"]
    wait_for(lambda: appliance.janitor.passes)  # its first pass, with room to spare
    appliance.stop()  # a clean stop: SQLite removes its -wal and -shm files, which opening makes again
    with rig.full():
        again = start()
        try:
            login = again.post("/auth/validate", json={"password": PASSWORD})
            assert login.status_code == 200 and login.json["valid"] is True
            headers = {"Authorization": f"Bearer {login.json['token']}"}
            assert again.get("/storage/status", headers=headers).status_code == 200
        finally:
            again.application.extensions["securitycam"].stop()


def test_settings_are_read_but_not_changed_on_a_full_disk(rig: Rig):
    client = rig.client
    before = client.get("/settings").json["Timelapse"]["interval_minutes"]
    with rig.full():
        assert client.get("/settings").status_code == 200
        assert_insufficient_storage(client.post("/settings", json={"Timelapse": {"interval_minutes": before + 1}}))
        assert client.get("/settings").json["Timelapse"]["interval_minutes"] == before
    saved = client.post("/settings", json={"Timelapse": {"interval_minutes": before + 1}})
    assert saved.status_code == 200 and saved.json["settings"]["Timelapse"]["interval_minutes"] == before + 1


def test_api_keys_on_a_full_disk(rig: Rig):
    client = rig.client
    made = client.post("/auth/api-keys", json={"name": "before the disk filled"})
    assert made.status_code == 201
    with rig.full():
        assert_insufficient_storage(client.post("/auth/api-keys", json={"name": "home assistant"}))
        listed = client.get("/auth/api-keys")
        assert listed.status_code == 200 and [k["name"] for k in listed.json] == ["before the disk filled"]
        # Its first use would note the time: on a full disk the key works without.
        with_key = client.application.test_client()
        assert with_key.get("/settings", headers={"X-API-Key": made.json["key"]}).status_code == 200
    assert client.post("/auth/api-keys", json={"name": "home assistant"}).status_code == 201


def test_snapshot_on_a_full_disk(rig: Rig):
    client = rig.client
    with rig.full():
        assert_insufficient_storage(client.post("/snapshot"))
        # Once the camera's latest frame is too old to use: still the disk's fault, and said so.
        recorder = rig.appliance.recorder.cameras["cam"]
        wait_for(lambda: recorder.latest_frame() is None, timeout=30)
        fill(rig.mountpoint / "filler")  # take back what the ring released meanwhile
        assert_insufficient_storage(client.post("/snapshot"))
    assert not list(rig.appliance.paths.recordings.glob("snapshot_*"))
    rig.fresh_frame()
    taken = client.post("/snapshot")
    assert taken.status_code == 200 and Path(taken.json["path"]).stat().st_size > 0


def test_recording_start_on_a_full_disk(rig: Rig):
    client = rig.client
    with rig.full():
        assert_insufficient_storage(client.post("/recording/start"))
        assert client.get("/recording/status").json["cameras"][0]["manual_event"] is None
    started = client.post("/recording/start")
    assert started.status_code == 200, started.get_json()
    assert client.post("/recording/stop").status_code == 200


def test_a_full_disk_wakes_the_janitor_to_free_space(rig: Rig):
    appliance, client = rig.appliance, rig.client
    janitor = appliance.janitor
    passes = janitor.passes
    client.post("/storage/configure", json={"enabled": True, "max_percent": 85})
    wait_for(lambda: janitor.passes > passes)  # the pass the new settings asked for: nothing to do
    recordings = appliance.paths.recordings
    old = []
    for number in range(3):
        clip = recordings / f"output_20240101_00000{number}.mp4"
        clip.write_bytes(b"\0" * 8 * MIB)
        janitor.media.register(clip)  # indexed without waking the janitor (its next pass is a minute away)
        old.append(clip)
    passes = janitor.passes
    try:
        with rig.full():
            assert_insufficient_storage(client.post("/settings", json={"Timelapse": {"fps": 12}}))
            # Woken now, not at its next pass: the oldest clips go until the disk is at most 85 % used.
            wait_for(lambda: janitor.passes > passes, timeout=20)
            report = wait_for(lambda: client.get("/storage/status").json["last_cleanup"], timeout=20)
            assert report["out_of_space"] is True and report["deleted"]["clips"] >= 1, report
            assert not old[0].exists()
            assert client.post("/settings", json={"Timelapse": {"fps": 12}}).status_code == 200
    finally:
        client.post("/storage/configure", json={"enabled": False})
        for clip in old:
            clip.unlink(missing_ok=True)


def kept_segments(rig: Rig) -> list[Path]:
    """Segments moved out of the ring for the event, that are on disk where the index says."""
    return sorted(s.path for s in rig.appliance.recorder.index.for_camera("cam") if s.kept and s.path.exists())


@contextlib.contextmanager
def recording_as_the_disk_fills(rig: Rig) -> Iterator[str]:
    """A manual recording whose footage is kept, then the disk full (with room left in SQLite's log,
    as on an appliance that has run a while), then the recording stopped; yields the event's id."""
    client = rig.client
    index = rig.appliance.recorder.index
    # The camera writing again after the tests before, for long enough to fill a pre-capture.
    wait_for(lambda: len(index.overlapping("cam", time.time() - CAMERA["pre_capture"] - 1, math.inf)) >= 3,
             timeout=60)
    started = client.post("/recording/start").json
    # Footage of its own (from after the trigger) kept for it.
    wait_for(lambda: [s for s in index.overlapping("cam", started["start_time"] + 0.5, math.inf) if s.kept])
    event_id = started["event_id"]
    with rig.full(database_room=True):
        time.sleep(1)
        assert client.post("/recording/stop").status_code == 200
        yield event_id


def test_a_clip_that_found_the_disk_full_says_why_and_is_made_once_there_is_room(rig: Rig):
    events = rig.appliance.events
    with recording_as_the_disk_fills(rig) as event_id:
        failed = wait_for(lambda: (event := events.get(event_id)) and "clip_error" in event.data and event,
                          timeout=40)
        assert failed.data["clip_error"] == f"{NO_SPACE}; trying again when there is room"
        clips_before = failed.data.get("clips", [])
        # Its footage stays kept meanwhile.
        kept = kept_segments(rig)
        assert kept
        time.sleep(service.CLIP_RETRY_SECONDS + 1)
        assert "clip_error" in events.get(event_id).data and set(kept) <= set(kept_segments(rig))
    made = wait_for(lambda: (event := events.get(event_id)) and "clip_error" not in event.data and event, timeout=30)
    assert made.has_clip and "clip_retry_until" not in made.data
    [clip] = [path for path in made.data["clips"] if path not in clips_before]
    duration = float(ffprobe_json(Path(clip), "format=duration")["format"]["duration"])
    assert duration >= 1, duration
    assert json.loads(Path(clip).with_suffix(".meta.json").read_text())["event_id"] == event_id


def test_a_clip_gives_up_after_a_bounded_time(rig: Rig, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(service, "CLIP_GIVE_UP_SECONDS", service.CLIP_RETRY_SECONDS / 2)
    events = rig.appliance.events
    with recording_as_the_disk_fills(rig) as event_id:
        final = wait_for(lambda: (event := events.get(event_id)) and "gave up" in event.data.get("clip_error", "")
                         and event, timeout=60)
        assert final.data["clip_error"].startswith(f"{NO_SPACE}; gave up after")
        assert "clip_retry_until" not in final.data and not final.has_clip
        assert event_id not in rig.appliance.recorder.recording("cam")


def test_the_log_drops_what_it_cannot_write_and_goes_on_once_there_is_room(rig: Rig, capsys: pytest.CaptureFixture):
    log = logging.getLogger("securitycam.test_full_disk")
    # The API log of the appliance made last (each one takes the "securitycam" logger over).
    [handler] = [h for h in logging.getLogger("securitycam").handlers if getattr(h, "securitycam", False)]
    api_log = Path(handler.baseFilename)
    assert api_log.is_relative_to(rig.mountpoint)
    with rig.full():
        for number in range(200):
            log.warning("line %d written on a full disk", number)
    assert "Logging error" not in capsys.readouterr().err
    log.warning("a line written once there is room")
    handler.flush()
    assert "a line written once there is room" in api_log.read_text()


@pytest.mark.parametrize(("exc", "full"), [
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
    (OSError(errno.EACCES, "Permission denied"), False),
    (sqlite3.OperationalError("database is locked"), False),
    (ClipError("av_interleaved_write_frame(): No space left on device", errno.ENOSPC), True),
    (ClipError("Invalid data found when processing input"), False),
])
def test_a_full_disk_is_told_from_other_failures(exc: Exception, full: bool):
    assert diskfull.is_out_of_space(exc) is full
    try:
        try:
            raise exc
        except Exception as inner:
            raise RuntimeError("while saving") from inner
    except RuntimeError as wrapped:
        assert diskfull.is_out_of_space(wrapped) is full


def test_a_clip_waiting_for_space_gives_up_when_its_footage_is_gone(rig: Rig):
    events = rig.appliance.events
    with recording_as_the_disk_fills(rig) as event_id:
        wait_for(lambda: "clip_error" in events.get(event_id).data, timeout=40)

        def footage_gone():  # type: ignore[no-untyped-def]
            for segment in kept_segments(rig):  # the owner deletes them by hand, say
                segment.unlink()
            fill(rig.mountpoint / "filler")  # what that freed is taken again
            event = events.get(event_id)
            return "gave up" in event.data.get("clip_error", "") and event

        final = wait_for(footage_gone, timeout=service.CLIP_RETRY_SECONDS + 10)
        assert final.data["clip_error"] == "gave up: its footage went while waiting for space"
        assert "clip_retry_until" not in final.data and event_id not in rig.appliance.recorder.recording("cam")
