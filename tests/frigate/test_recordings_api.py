"""Frigate's recordings endpoints through real HTTP over real footage: the segment list, the summaries,
storage per camera, a frame at a moment, and a clip of any range (stream copy)."""

from __future__ import annotations

import os
import struct
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.frigate.footage import Footage, ffprobe, footage_fixture, play_frames  # noqa: F401
from tests.recorder.conftest import wait_for


def test_the_list_has_frigates_fields_and_honours_after_and_before(footage: Footage):
    rows = footage.rows()
    listed = footage.client.get("/api/cam/recordings", json={}).json
    assert [item["id"] for item in listed[: len(rows)]] == [str(row["id"]) for row in rows]
    first = listed[0]
    assert set(first) == {"id", "start_time", "end_time", "segment_size", "motion", "objects", "duration"}
    assert first["segment_size"] == pytest.approx(rows[0]["size"] / 1e6) and first["motion"] == 0
    assert first["duration"] == pytest.approx(rows[0]["end_time"] - rows[0]["start_time"])
    after, before = rows[2]["start_time"] + 0.1, rows[4]["start_time"] + 0.1
    window = footage.client.get(f"/api/cam/recordings?after={after}&before={before}").json
    assert [item["id"] for item in window] == [str(row["id"]) for row in rows[2:5]]
    # Long ago: nothing (the default is the last hour).
    assert footage.client.get("/api/cam/recordings?after=1000&before=2000").json == []


def test_the_hourly_and_daily_summaries_add_up(footage: Footage):
    appliance = footage.appliance
    event = appliance.events.open("cam", "api", "doorbell")
    appliance.events.end(event.id)
    appliance.events.update(event.id, has_clip=True)
    rows = footage.rows()
    summary = footage.client.get("/api/cam/recordings/summary?timezone=UTC").json
    by_hour: dict[str, float] = {}
    for row in rows:
        by_hour.setdefault(datetime.fromtimestamp(row["start_time"], tz=UTC).strftime("%Y-%m-%d %H"), 0.0)
        by_hour[datetime.fromtimestamp(row["start_time"], tz=UTC).strftime("%Y-%m-%d %H")] += (
            row["end_time"] - row["start_time"])
    listed = {f"{day['day']} {hour['hour']}": hour for day in summary for hour in day["hours"]}
    assert set(listed) == set(by_hour)
    for key, seconds in by_hour.items():
        assert listed[key]["duration"] == round(seconds) and listed[key]["motion"] == 0
    event_hour = datetime.fromtimestamp(event.start_time, tz=UTC).strftime("%Y-%m-%d %H")
    assert listed[event_hour]["events"] >= 1
    assert sum(day["events"] for day in summary) >= 1
    days = footage.client.get("/api/recordings/summary?cameras=all&timezone=utc").json
    assert days == {key.split(" ")[0]: True for key in sorted(by_hour, reverse=True)}
    assert footage.client.get("/api/recordings/summary?cameras=other").json == {}
    # Another time zone moves the hours (Kathmandu is UTC+5:45: a 15-minute bucket boundary).
    nepal = footage.client.get("/api/cam/recordings/summary?timezone=Asia/Kathmandu").json
    assert sum(hour["duration"] for day in nepal for hour in day["hours"]) == pytest.approx(
        sum(by_hour.values()), abs=len(by_hour) + 2)


def test_storage_per_camera(footage: Footage):
    body = footage.client.get("/api/recordings/storage").json
    total = sum(row["size"] for row in footage.rows()) / 1e6
    assert body["cam"]["usage"] == pytest.approx(total, rel=0.2)  # more footage arrives meanwhile
    assert 0 < body["cam"]["bandwidth"] <= body["cam"]["usage"] and body["cam"]["usage_percent"] > 0


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_a_frame_at_a_moment(footage: Footage):
    row = footage.rows()[2]
    moment = (row["start_time"] + row["end_time"]) / 2
    png = footage.client.get(f"/api/cam/recordings/{moment}/snapshot.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png_size(png.data) == (320, 180)
    small = footage.client.get(f"/api/cam/recordings/{moment}/snapshot.png?height=90")
    assert png_size(small.data) == (160, 90)
    # Scaled down only, as Frigate: a taller height than the footage's is the footage's own size.
    tall = footage.client.get(f"/api/cam/recordings/{moment}/snapshot.png?height=4096")
    assert tall.status_code == 200 and png_size(tall.data) == (320, 180)
    jpg = footage.client.get(f"/api/cam/recordings/{moment}/snapshot.jpg")
    assert jpg.status_code == 200 and jpg.mimetype == "image/jpeg" and jpg.data[:2] == b"\xff\xd8"
    missing = footage.client.get("/api/cam/recordings/1000.5/snapshot.png")
    assert missing.status_code == 404 and "Recording not found" in missing.json["message"]


def test_a_clip_of_any_range_is_a_playable_mp4_of_that_length(footage: Footage, tmp_path):
    rows = footage.at_least(7)
    start, end = rows[1]["start_time"] + 0.5, rows[5]["end_time"] - 0.5
    response = requests.get(footage.url(f"/api/cam/start/{start}/end/{end}/clip.mp4"), timeout=60, stream=True)
    assert response.status_code == 200 and response.headers["Content-Type"] == "video/mp4"
    assert "Content-Length" not in response.headers  # streamed as ffmpeg makes it
    target = tmp_path / "clip.mp4"
    target.write_bytes(response.content)
    # Stream copy cuts on keyframes: the in point moves back to its segment's start (≤ 0.5 s here).
    assert float(ffprobe(target)["format"]["duration"]) == pytest.approx(end - start, abs=0.6)
    assert play_frames(str(target)) == pytest.approx((end - start) * 10, abs=6)
    codec = ffprobe(target, "stream=codec_name")["streams"][0]["codec_name"]
    assert codec == "h264"


def test_a_client_that_leaves_mid_clip_leaves_no_ffmpeg_behind(footage: Footage):
    rows = footage.rows()
    url = footage.url(f"/api/cam/start/{rows[0]['start_time']}/end/{rows[-1]['end_time']}/clip.mp4")

    def clip_ffmpegs() -> list[str]:
        # Our own children only: other ffmpegs on this machine are none of this test's business.
        listing = subprocess.run(["pgrep", "-a", "-P", str(os.getpid())], capture_output=True, text=True)
        return [line for line in listing.stdout.splitlines() if "frag_keyframe" in line]

    response = requests.get(url, timeout=30, stream=True)
    next(response.iter_content(1024))
    response.close()
    wait_for(lambda: not clip_ffmpegs(), timeout=30)
    # And the slot it held is free again: the next two clips are served.
    for _ in range(3):
        assert requests.get(url, timeout=30).status_code == 200


@pytest.mark.parametrize(("path", "status", "field"), [
    ("/api/cam/recordings?after=x", 400, "after"),
    ("/api/cam/recordings?after=10&before=5", 400, "before"),
    ("/api/cam/recordings?after=0&before=999999", 400, "before"),
    ("/api/nocam/recordings", 404, None),
    ("/api/cam/recordings/summary?timezone=Mars/Olympus", 400, "timezone"),
    ("/api/cam/recordings/summary?timezone=../../etc/passwd", 400, "timezone"),
    ("/api/nocam/recordings/summary", 404, None),
    ("/api/recordings/summary?timezone=nowhere", 400, "timezone"),
    ("/api/cam/recordings/abc/snapshot.png", 400, "frame_time"),
    ("/api/cam/recordings/-5/snapshot.png", 400, "frame_time"),
    ("/api/cam/recordings/1e308/snapshot.png", 400, "frame_time"),  # an SQLite integer overflowed: a 500
    ("/api/cam/start/0/end/1e300/clip.mp4", 400, "end"),
    ("/api/cam/recordings/10/snapshot.gif", 400, "format"),
    ("/api/cam/recordings/10/snapshot.png?height=-1", 400, "height"),
    ("/api/nocam/recordings/10/snapshot.png", 404, None),
    ("/api/cam/start/x/end/10/clip.mp4", 400, "start"),
    ("/api/cam/start/20/end/10/clip.mp4", 400, "end"),
    ("/api/cam/start/0/end/inf/clip.mp4", 400, "end"),
    ("/api/cam/start/0/end/100000/clip.mp4", 400, "end"),
    ("/api/nocam/start/10/end/20/clip.mp4", 404, None),
    ("/api/cam/start/10/end/20/clip.mp4", 404, None),
])
def test_bad_input_is_a_clear_4xx(footage: Footage, path: str, status: int, field: str | None):
    response = footage.client.get(path, json={})
    assert response.status_code == status, response.json
    assert response.json["success"] is False and response.json["message"]
    assert response.json.get("field") == field


def test_the_detectors_seam_marks_motion_and_objects_and_motion_mode_keeps_only_marked_footage(footage: Footage):
    appliance = footage.appliance
    recordings = appliance.recorder.recordings
    rows = footage.rows()
    recordings.mark_activity("cam", rows[1]["start_time"], rows[1]["end_time"] - 0.1, motion=4, objects=1)
    camera = appliance.recorder.cameras["cam"]
    restarts = camera.supervisor.restarts
    marked = {item["id"]: item for item in footage.client.get(
        f"/api/cam/recordings?after={rows[0]['start_time']}&before={rows[2]['end_time']}").json}
    assert (marked[str(rows[1]["id"])]["motion"], marked[str(rows[1]["id"])]["objects"]) == (4, 1)
    assert marked[str(rows[0]["id"])]["motion"] == 0 and marked[str(rows[2]["id"])]["motion"] == 0
    appliance.settings.update({"Cameras": [{**appliance.settings.get().Cameras[0].model_dump(),
                                            "record": {"enabled": True, "retain": {"days": 1, "mode": "motion"}}}]})
    try:
        since = time.time()
        # Motion from now for about 2 s: only those segments (and none after) are kept once they leave the ring.
        recordings.mark_activity("cam", since, since + 2, motion=10)
        wait_for(lambda: appliance.recorder.index.count("cam") > 0 and
                 min(s.start_time for s in appliance.recorder.index.for_camera("cam")) > since + 6, timeout=30)
        new = [row for row in footage.rows() if row["start_time"] > since - 1]
        assert new and all(row["start_time"] <= since + 2 and row["end_time"] >= since for row in new)
        assert all(row["motion"] >= 10 for row in new)
        # The settings change restarted nothing.
        assert appliance.recorder.cameras["cam"] is camera and camera.supervisor.restarts == restarts
    finally:
        appliance.settings.update({"Cameras": [{**appliance.settings.get().Cameras[0].model_dump(),
                                                "record": {"enabled": True, "retain": {"days": 1, "mode": "all"}}}]})


def test_with_record_off_only_event_footage_is_kept_and_its_clip_is_still_made(footage: Footage):
    appliance = footage.appliance
    settings = appliance.settings.get().Cameras[0].model_dump()
    appliance.settings.update({"Cameras": [{**settings, "record": {**settings["record"], "enabled": False}}]})
    try:
        since = time.time() + 1  # segments finishing from now on are judged by the new setting
        time.sleep(3)
        event = appliance.events.open("cam", "api", "doorbell")
        time.sleep(2)
        appliance.events.end(event.id)
        event = appliance.events.get(event.id)
        window = (event.start_time - 1, event.end_time + 1)  # pre- and post-capture: 1 s each
        wait_for(lambda: (appliance.events.get(event.id).has_clip
                          and appliance.recorder.index.count("cam") > 0
                          and min(s.start_time for s in appliance.recorder.index.for_camera("cam")) > window[1] + 6),
                 timeout=40)
        new = [row for row in footage.rows() if row["start_time"] >= since]
        assert new, "the event's footage was kept"
        assert all(row["start_time"] < window[1] and row["end_time"] > window[0] for row in new), new
        assert min(row["start_time"] for row in new) <= window[0] + 1
        assert max(row["end_time"] for row in new) >= window[1]
        assert all("/recordings/" in row["path"] and ".segments" not in row["path"] for row in new)
        clip = appliance.events.get(event.id).data["clips"][0]
        assert Path(clip).exists()
    finally:
        appliance.settings.update({"Cameras": [settings]})
