"""Crashes of the real server: a power cut in the middle of events, the OOM killer taking the server."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psutil

from bench.local_server import recording_ffmpegs
from securitycam.app import create_app
from tests.conftest import FAST_DELAYS
from tests.served import SMALL_CAMERA, Served, kill_strays
from tests.waiting import wait_for


def query(data_dir: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    with sqlite3.connect(f"file:{data_dir / 'securitycam.db'}?mode=ro", uri=True, timeout=10) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, params).fetchall()


def last_footage(data_dir: Path) -> float:
    return query(data_dir, "SELECT max(end_time) AS t FROM recorder_segments WHERE camera = 'cam'")[0]["t"] or 0.0


def test_events_open_at_a_power_cut_end_at_their_last_footage_after_restart(tmp_path):
    data = tmp_path / "data"
    server = Served(data).wait_up()
    try:
        assert server.post("/settings", json={"Cameras": [SMALL_CAMERA]}).ok
        wait_for(lambda: len(query(data, "SELECT id FROM recorder_segments")) >= 3, what="a pre-capture ring")
        assert server.post("/sensor/mock/trigger").ok
        sensor_event = wait_for(lambda: server.get("/sensor/status").json()["event_id"], what="a sensor event")
        manual_event = server.post("/recording/start").json()["event_id"]
        started = query(data, "SELECT max(start_time) AS t FROM events")[0]["t"]
        wait_for(lambda: last_footage(data) > started + 3, what="footage after the trigger")
        server.kill()
        crashed_at = last_footage(data)
    finally:
        server.kill()
    kill_strays(data)  # this test is about events, not about the children (see the next test)

    restarted = Served(data).wait_up()
    try:
        for event_id in (sensor_event, manual_event):
            [row] = query(data, "SELECT * FROM events WHERE id = ?", event_id)
            assert row["end_time"] == crashed_at, "ended at the last footage from before the crash, not at the restart"
            assert json.loads(row["data"])["interrupted"] is True
        clips = wait_for(lambda: all(query(data, "SELECT has_clip FROM events WHERE id = ?", e)[0][0]
                                     for e in (sensor_event, manual_event)), what="their clips")
        assert clips
        for event_id in (sensor_event, manual_event):
            [path] = json.loads(query(data, "SELECT data FROM events WHERE id = ?", event_id)[0]["data"])["clips"]
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                    path], capture_output=True, text=True, check=True)
            assert float(probe.stdout) > 3
        wait_for(lambda: not restarted.get("/recording/status").json()["recording"], what="recording to stop")
        # Nothing opened by the restart itself (the mock sensor rests after a restart).
        assert not query(data, "SELECT id FROM events WHERE end_time IS NULL")
        # The kept footage of the crashed events leaves with the ring, like any other.
        wait_for(lambda: not query(data, "SELECT id FROM recorder_segments WHERE kept = 1 AND end_time <= ?",
                                   crashed_at), timeout=40, what="kept segments to be released")
        assert restarted.stop() == 0
    finally:
        restarted.kill()
        kill_strays(data)


def test_a_killed_server_takes_its_ffmpeg_with_it(tmp_path):
    """``kill -9`` of the serving process alone (the OOM killer): its ffmpeg dies with it, the next
    start's is the only one recording, and none is left once that one is stopped."""
    data = tmp_path / "data"
    server = Served(data).wait_up()
    restarted = None
    try:
        [first] = wait_for(lambda: len(pids := recording_ffmpegs(data)) == 1 and pids, what="one ffmpeg")
        assert psutil.Process(first).ppid() == server.proc.pid
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(timeout=10)
        wait_for(lambda: first not in recording_ffmpegs(data), timeout=30, what="the killed server's ffmpeg to die")
        restarted = Served(data).wait_up()
        [second] = wait_for(lambda: len(pids := recording_ffmpegs(data)) >= 1 and pids, what="the new server's ffmpeg")
        assert second != first
        time.sleep(2)  # whatever else might start a second recorder has had its chance
        assert recording_ffmpegs(data) == [second]
        assert restarted.stop() == 0
        assert recording_ffmpegs(data) == []
        assert not list((data / "run").glob("*.pid")), "pid files are removed with their process"
    finally:
        server.kill()
        if restarted is not None:
            restarted.kill()
        kill_strays(data)


def test_start_reaps_a_child_left_for_a_camera_that_is_gone(data_dir, hardware, monkeypatch):
    """The pid file of a camera renamed or removed since the crash is no one's: start reaps it too."""
    stray = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        (data_dir / "run").mkdir(parents=True)
        (data_dir / "run" / "ffmpeg-garage.pid").write_text(json.dumps({"pid": stray.pid, "args": ["sleep", "60"]}))
        monkeypatch.setenv("SECURITYCAM_PASSWORD", "x" * 12)
        app = create_app(data_dir, hardware, config=FAST_DELAYS)
        try:
            assert stray.wait(timeout=30) == -signal.SIGKILL
            assert not (data_dir / "run" / "ffmpeg-garage.pid").exists()
        finally:
            app.extensions["securitycam"].stop()
    finally:
        stray.kill()


def test_an_event_left_open_on_a_camera_without_footage_ends_where_it_began(data_dir, hardware, monkeypatch):
    monkeypatch.setenv("SECURITYCAM_PASSWORD", "x" * 12)
    crashed = create_app(data_dir, hardware, start=False, config=FAST_DELAYS).extensions["securitycam"]
    event = crashed.events.open("cam", "api", "left open", start_time=1_700_000_000.0)
    crashed.db.close()  # and nothing else: nothing ends the event
    app = create_app(data_dir, hardware, config=FAST_DELAYS)
    try:
        row = app.extensions["securitycam"].events.get(event.id)
        assert row.end_time == event.start_time and row.data["interrupted"] is True
    finally:
        app.extensions["securitycam"].stop()


def test_start_empties_the_scratch_folder_a_crash_left_files_in(data_dir, hardware, monkeypatch):
    """A clip joined for a download when the power went: the next start deletes it."""
    left = data_dir / "tmp" / "securitycam-abc.mp4"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"\0" * 1024)
    monkeypatch.setenv("SECURITYCAM_PASSWORD", "x" * 12)
    app = create_app(data_dir, hardware, config=FAST_DELAYS)
    try:
        assert app.extensions["securitycam"].paths.scratch == left.parent
        assert list(left.parent.iterdir()) == []
    finally:
        app.extensions["securitycam"].stop()
