"""Real ffmpeg, synthetic camera: events become clips that start before the trigger."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from securitycam.bus import ARCHIVE_UPDATED, RECORDING_STATE
from tests.recorder.conftest import CAMERA, Live, ffprobe_json, wait_for

SEGMENT = CAMERA["segment_seconds"]


def clip_for(live: Live, event_id: str) -> list[str]:
    return [e.data["path"] for e in live.appliance.bus.recent(ARCHIVE_UPDATED)
            if e.data.get("event_id") == event_id and not e.data.get("deleted")]


def probe_open(handle: BinaryIO) -> float:
    """The duration of the file ``handle`` has open (it plays even if its name was deleted since)."""
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                           f"/proc/self/fd/{handle.fileno()}"], pass_fds=(handle.fileno(),),
                          capture_output=True, text=True, check=True)
    return float(done.stdout)


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_sensor_event_clip_covers_pre_capture_to_post_capture(live: Live):
    events = live.appliance.events
    event = events.open("cam", "sensor", "reed_switch", data={"sensor_type": "reed_switch"})
    trigger = event.start_time
    time.sleep(1.5)
    release = events.end(event.id).end_time
    [path] = wait_for(lambda: clip_for(live, event.id), timeout=20)
    clip = Path(path)
    assert clip.name.startswith("output_") and clip.suffix == ".mp4"

    meta = json.loads(clip.with_name(clip.stem + ".meta.json").read_text())
    started, stopped = epoch(meta["started"]), epoch(meta["stopped"])
    # Covers [T - pre_capture, release + post_capture], to within one segment at either end.
    assert trigger - CAMERA["pre_capture"] - SEGMENT - 0.2 <= started <= trigger - CAMERA["pre_capture"] + 0.2
    assert release + CAMERA["post_capture"] - 0.2 <= stopped <= release + CAMERA["post_capture"] + SEGMENT + 0.5
    assert abs(meta["pre_capture"] - CAMERA["pre_capture"]) <= SEGMENT + 0.2
    assert meta["reason"] == "sensor" and meta["sensor_type"] == "reed_switch" and meta["event_id"] == event.id

    probed = ffprobe_json(clip, "format=duration:stream=codec_name,width,height")
    duration = float(probed["format"]["duration"])
    assert abs(duration - (stopped - started)) < 0.3
    assert abs(duration - meta["duration_seconds"]) < 0.01
    assert probed["streams"][0]["codec_name"] == "h264"
    # faststart: the index (moov) comes before the media data.
    head = clip.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))

    sprite = ffprobe_json(clip.with_name(clip.stem + ".sprite.jpg"), "stream=width,height")["streams"][0]
    assert (sprite["width"], sprite["height"]) == (1600, 90)
    thumb = ffprobe_json(clip.with_name(clip.stem + ".thumb.jpg"), "stream=width")["streams"][0]
    assert thumb["width"] == 320

    row = events.get(event.id)
    assert row.has_clip and row.has_snapshot and row.data["clips"] == [str(clip)]
    states = [e.data for e in live.appliance.bus.recent(RECORDING_STATE) if event.id in e.data["events"]]
    assert states and all(state["recording"] for state in states)


def test_manual_recording_over_http(live: Live):
    client = live.client
    started = client.post("/recording/start")
    assert started.status_code == 200, started.json
    event_id = started.json["event_id"]
    assert client.post("/recording/start").status_code == 409
    status = client.get("/recording/status").json
    assert status["recording"] and status["cameras"][0]["manual_event"] == event_id
    time.sleep(0.5)
    stopped = client.post("/recording/stop", json={"camera": "cam"})
    assert stopped.status_code == 200 and stopped.json["event_id"] == event_id
    assert client.post("/recording/stop").status_code == 409
    [path] = wait_for(lambda: clip_for(live, event_id), timeout=20)
    meta = json.loads(Path(path).with_name(Path(path).stem + ".meta.json").read_text())
    assert meta["reason"] == "manual" and meta["sensor_type"] is None
    # Right after another event's clip: its segments stay in the ring for this one's pre-capture.
    assert abs(meta["pre_capture"] - CAMERA["pre_capture"]) <= SEGMENT + 0.2
    row = live.appliance.events.get(event_id)
    assert row.source == "manual" and row.end_time is not None and row.has_clip


def test_recording_requests_are_checked(live: Live):
    client = live.client
    missing = client.post("/recording/start", json={"camera": "garage"})
    assert missing.status_code == 404 and "garage" in missing.json["message"]
    bad = client.post("/recording/start", json={"camera": 3})
    assert bad.status_code == 400 and bad.json["field"] == "camera"
    unknown = client.post("/recording/start", json={"cam": "cam"})
    assert unknown.status_code == 400 and unknown.json["field"] == "cam"


def test_long_event_is_split_at_max_clip_length(live: Live):
    events = live.appliance.events
    event = events.open("cam", "api", "long")
    # pre 2 + 6 + post 1 = 9 s of footage: one 6 s clip while it runs, the rest when it ends.
    first = wait_for(lambda: clip_for(live, event.id), timeout=20)
    assert events.get(event.id).in_progress
    events.end(event.id)
    paths = wait_for(lambda: len(clip_for(live, event.id)) == 2 and clip_for(live, event.id), timeout=20)
    assert paths[0] == first[0]
    durations = [float(ffprobe_json(Path(p), "format=duration")["format"]["duration"]) for p in paths]
    assert abs(durations[0] - CAMERA["max_clip_seconds"]) <= SEGMENT + 0.1
    metas = [json.loads(Path(p).with_name(Path(p).stem + ".meta.json").read_text()) for p in paths]
    assert [m["part"] for m in metas] == [1, 2]
    # The parts follow on: the second starts where the first stopped.
    assert abs(epoch(metas[1]["started"]) - epoch(metas[0]["stopped"])) < 0.3
    assert events.get(event.id).data["clips"] == paths


def test_killed_ffmpeg_loses_only_its_open_segment_and_restarts(live: Live):
    recorder = live.appliance.recorder
    camera = recorder.cameras["cam"]
    old_pid = camera.supervisor.pid
    restarts = camera.supervisor.restarts
    wait_for(lambda: recorder.index.count("cam") >= 2)
    before = recorder.index.for_camera("cam")
    camera.supervisor.kill()
    wait_for(lambda: camera.supervisor.restarts == restarts + 1)
    wait_for(lambda: camera.supervisor.pid not in (None, old_pid) and camera.last_segment_seen
             and camera.last_segment_seen > time.time() - 1.5, timeout=20)
    # Every segment finished before the kill plays, unless the ring has deleted it since: the ring
    # deletes segments as they age past ring_seconds, at any moment (and this test takes seconds),
    # so each is looked up where it is now (the ring or kept) and opened before it is probed.
    survivors = 0
    for segment in before:
        ring_edge = time.time() - CAMERA["ring_seconds"]
        current = {s.id: s for s in recorder.index.for_camera("cam")}.get(segment.id)
        try:
            if current is None:
                raise FileNotFoundError(segment.path)
            with open(current.path, "rb") as handle:
                assert probe_open(handle) > 0.5
            survivors += 1
        except FileNotFoundError:
            assert segment.end_time < ring_edge + 2 * SEGMENT, "a segment within the ring was lost"
    assert survivors
    gap = wait_for(lambda: recorder.index.gaps("cam"))[0]
    assert gap["end_time"] > gap["start_time"] and "exit" in gap["reason"]
    states = [e.data["state"] for e in live.appliance.bus.recent(RECORDING_STATE)]
    assert "restarting" in states
    assert live.client.get("/recording/status").json["cameras"][0]["restarts"] == restarts + 1


def test_an_event_from_before_the_footage_does_not_claim_every_later_segment(live: Live):
    """An event whose first clip window has no footage (opened before a power cut, say) moves on to
    the footage there is, instead of waiting for it, and keeping every later segment, forever."""
    events, recorder = live.appliance.events, live.appliance.recorder
    event = events.open("cam", "api", "stale", start_time=time.time() - 120)
    first = wait_for(lambda: clip_for(live, event.id), timeout=30)
    row = events.get(event.id)
    assert row.in_progress and "clip_error" not in row.data
    # The clip holds what the camera has (the ring), not two minutes it never had.
    meta = json.loads(Path(first[0]).with_name(Path(first[0]).stem + ".meta.json").read_text())
    assert epoch(meta["started"]) > time.time() - 60
    events.end(event.id)
    wait_for(lambda: event.id not in recorder.recording("cam"), timeout=30)
    assert "clip_error" not in events.get(event.id).data


def test_a_clip_tells_where_ffmpeg_restarted_during_its_event(live: Live):
    events, recorder = live.appliance.events, live.appliance.recorder
    camera = recorder.cameras["cam"]
    restarts = camera.supervisor.restarts
    event = events.open("cam", "api", "gap")
    wait_for(lambda: (recorder.index.latest_end("cam") or 0) > event.start_time + SEGMENT)
    camera.supervisor.kill()
    wait_for(lambda: camera.supervisor.restarts > restarts)
    wait_for(lambda: any(g["start_time"] > event.start_time for g in recorder.index.gaps("cam")), timeout=20)
    wait_for(lambda: (recorder.index.latest_end("cam") or 0) > time.time() - 1.5, timeout=20)
    events.end(event.id)
    wait_for(lambda: event.id not in recorder.recording("cam"), timeout=30)
    paths = clip_for(live, event.id)
    metas = {p: json.loads(Path(p).with_name(Path(p).stem + ".meta.json").read_text()) for p in paths}
    gaps = [(p, gap) for p, meta in metas.items() for gap in meta["gaps"]]
    assert len(gaps) == 1
    path, gap = gaps[0]
    meta = metas[path]
    assert epoch(meta["started"]) < epoch(gap["start"]) < epoch(meta["stopped"])
    assert 0.1 < gap["length"] < 20 and "exit" in gap["reason"]
    assert 0 < gap["offset"] < meta["duration_seconds"]
    items = {item["path"]: item for item in live.client.get("/archive?per_page=100").json["items"]}
    assert items[path]["gaps"] == [gap]
    assert all(items[p]["gaps"] == [] for p in paths if p != path)


def test_ring_keeps_only_its_window(live: Live):
    # The recorder's worker trims the ring as segments come (between its other work): a look at one
    # moment can catch it behind on a loaded machine, or a segment finished between the two listings
    # below. What is checked is that it catches up: a ring that kept more would never get there.
    recorder = live.appliance.recorder
    window = CAMERA["ring_seconds"] + 2 * SEGMENT + 1

    def only_the_window() -> bool:
        return not recorder.recording("cam") and all(
            s.end_time >= time.time() - window for s in recorder.index.for_camera("cam"))

    def files_are_the_indexed_ones() -> bool:
        on_disk = set((live.appliance.paths.cache / "cam").glob("*.ts"))
        # Files on disk are the indexed ones plus at most the one being written.
        return len(on_disk - {s.path for s in recorder.index.for_camera("cam")}) <= 1

    wait_for(only_the_window, timeout=60, what="the ring to hold only its window")
    wait_for(files_are_the_indexed_ones, timeout=60, what="the ring's files to be the indexed ones")


def test_a_sensor_trigger_over_http_becomes_a_clip(live: Live):
    """The whole path: the sensor API, the sensor manager, the events table, the recorder, the archive."""
    client = live.client
    assert client.post("/sensor/configure", json={"type": "mock", "hold_seconds": 0.5}).status_code == 200
    assert client.post("/sensor/mock/trigger").status_code == 200
    status = wait_for(lambda: (s := client.get("/sensor/status").json)["recording_from_sensor"] and s)
    event_id = status["event_id"]
    time.sleep(1)
    assert client.post("/sensor/mock/release").status_code == 200
    [path] = wait_for(lambda: clip_for(live, event_id), timeout=20)
    meta = json.loads(Path(path).with_name(Path(path).stem + ".meta.json").read_text())
    assert meta["reason"] == "sensor" and meta["sensor_type"] == "mock" and meta["event_id"] == event_id
    listing = client.get("/archive").json
    assert any(item["path"] == path for item in listing["items"])
    assert live.appliance.events.get(event_id).has_clip

