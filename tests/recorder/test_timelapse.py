"""Timelapse on real frames from the recorder's latest-frame cache: capture timed by a manual clock,
a count that survives a restart, stitching at day rollover and at start, and the endpoints."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from securitycam.clock import ManualClock
from securitycam.config import SettingsStore
from securitycam.paths import DataPaths
from securitycam.storage.timelapse import Timelapse, stitch
from tests.recorder.conftest import Live, ffprobe_json, wait_for

# 2023-11-14 23:35 local time: the day rolls over at the sixth frame.
EVENING = time.mktime((2023, 11, 14, 23, 35, 0, 0, 0, -1))


class Rig:
    """A timelapse of its own (own data dir and settings, a manual clock) reading the shared camera."""

    def __init__(self, live: Live, root: Path) -> None:
        self.live = live
        self.paths = DataPaths(root)
        self.paths.create()
        self.settings = SettingsStore(self.paths.settings_file)
        self.settings.update({"Timelapse": {"enabled": True, "interval_minutes": 5, "fps": 4,
                                            "resolution": "320:240"}})
        self.clock = ManualClock(EVENING)
        self.videos: list[Path] = []
        self.service: Timelapse | None = None

    def start(self) -> Timelapse:
        # A long tick: the test drives step() itself.
        self.service = Timelapse(self.settings, self.paths, self.live.appliance.recorder, self.live.appliance.bus,
                                 self.clock, on_video=self.videos.append, tick=3600)
        self.service.start()
        return self.service

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


@pytest.fixture
def rig(live: Live, tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(live, tmp_path / "data")
    yield rig
    rig.stop()


def frame_of(live: Live) -> bytes:
    return wait_for(lambda: live.appliance.recorder.cameras["cam"].latest_frame(), timeout=30)  # type: ignore[return-value]


def test_frames_every_interval_a_count_that_survives_restart_and_a_video_at_rollover(rig: Rig):
    timelapse = rig.start()
    timelapse.step()
    timelapse.step()  # not due again yet
    assert timelapse.today_frame_count == 1
    rig.clock.advance(299)
    timelapse.step()
    assert timelapse.today_frame_count == 1
    rig.clock.advance(1)
    timelapse.step()
    assert timelapse.today_frame_count == 2

    rig.stop()
    timelapse = rig.start()
    status = timelapse.status()
    assert status["today_frame_count"] == 2 and status["last_capture"].startswith("2023-11-14T23:40:00")
    for _ in range(3):
        rig.clock.advance(300)
        timelapse.step()
    assert timelapse.today_frame_count == 5

    rig.clock.advance(300)  # midnight
    timelapse.step()

    video = rig.paths.timelapse / "timelapse_20231114.mp4"
    wait_for(lambda: rig.videos, timeout=60)
    assert rig.videos == [video]
    probe = ffprobe_json(video, "stream=codec_name,width,height,nb_read_frames:format=duration")
    stream = probe["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 320, 240)
    assert float(probe["format"]["duration"]) == pytest.approx(5 / 4, abs=0.3)
    assert (rig.paths.timelapse / "timelapse_20231114.thumb.jpg").stat().st_size > 0
    assert not (timelapse.frames_dir / "20231114").exists()
    assert timelapse.today_frame_count == 1 and (timelapse.frames_dir / "20231115").is_dir()


def test_at_start_an_earlier_day_left_unstitched_is_stitched(rig: Rig, live: Live):
    frames = rig.paths.timelapse / "frames"
    for day, stems in (("20231110", ("080000", "081000", "082000")), ("20231111", ("090000",))):
        (frames / day).mkdir(parents=True)
        for stem in stems:
            (frames / day / f"{stem}.jpg").write_bytes(frame_of(live))
    # A power cut after the 11th's video was renamed into place but before its frames were removed.
    done = rig.paths.timelapse / "timelapse_20231111.mp4"
    done.write_bytes(b"already made")

    rig.start()

    wait_for(lambda: not (frames / "20231111").exists() and not (frames / "20231110").exists(), timeout=60)
    assert rig.videos == [rig.paths.timelapse / "timelapse_20231110.mp4"]
    assert done.read_bytes() == b"already made"


@pytest.fixture(scope="module")
def stitched(live: Live, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real timelapse video in the shared appliance's timelapse directory."""
    work = tmp_path_factory.mktemp("frames")
    frames = []
    for number in range(3):
        frame = work / f"{number:06d}.jpg"
        frame.write_bytes(frame_of(live))
        frames.append(frame)
    output = live.appliance.paths.timelapse / "timelapse_20231114.mp4"
    stitch(frames, output, 4, "original")
    live.appliance.janitor.file_written(output)
    return output


def test_list_and_stream_with_range(live: Live, stitched: Path):
    client = live.client
    listing = client.get("/timelapse").json
    assert listing[0] == {"path": str(stitched), "date": "2023-11-14", "size": stitched.stat().st_size,
                          "mtime": listing[0]["mtime"], "locked": False, "thumbnail": str(stitched.with_name(
                              "timelapse_20231114.thumb.jpg"))}
    size = stitched.stat().st_size
    part = client.get("/timelapse/video", query_string={"path": str(stitched)}, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == stitched.read_bytes()[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{size}"
    assert client.get("/timelapse/video", query_string={"path": stitched.name}).status_code == 200
    missing = client.get("/timelapse/video")
    assert missing.status_code == 400 and missing.json["field"] == "path"


@pytest.mark.parametrize(("path", "status"), [
    ("../securitycam.db", 400), ("/etc/passwd", 400), ("../recordings/output_20231114_120000.mp4", 400),
    ("notes.mp4", 400), ("frames/20231114/000000.jpg", 400), ("timelapse_19990101.mp4", 404), ("", 400),
])
def test_bad_timelapse_paths_are_refused(live: Live, path: str, status: int):
    client = live.client
    assert client.get("/timelapse/video", query_string={"path": path}).status_code == status
    response = client.post("/timelapse/delete", json={"path": path})
    assert response.status_code == status and response.json["success"] is False


def test_delete_takes_the_thumbnail_and_the_index_row(live: Live, tmp_path: Path):
    timelapse_dir = live.appliance.paths.timelapse
    video, thumb = timelapse_dir / "timelapse_20231001.mp4", timelapse_dir / "timelapse_20231001.thumb.jpg"
    video.write_bytes(b"v" * 100)
    thumb.write_bytes(b"t" * 10)
    live.appliance.janitor.file_written(video)
    assert live.client.post("/timelapse/delete", json={}).status_code == 400
    response = live.client.post("/timelapse/delete", json={"path": str(video)})
    assert response.status_code == 200 and response.json["success"] is True
    assert not video.exists() and not thumb.exists()
    assert live.appliance.janitor.media.get(video) is None


@pytest.mark.parametrize(("body", "field"), [
    ({"interval_minutes": 0}, "interval_minutes"), ({"interval_minutes": 61}, "interval_minutes"),
    ({"interval_minutes": "5"}, "interval_minutes"), ({"interval_minutes": 2.5}, "interval_minutes"),
    ({"interval_minutes": True}, "interval_minutes"), ({"fps": 0}, "fps"), ({"fps": 61}, "fps"),
    ({"resolution": "1920:1080"}, "resolution"), ({"resolution": "640x481"}, "resolution"),
    ({"enabled": "yes"}, "enabled"), ({"speed": 2}, "speed"),
])
def test_bad_timelapse_settings_are_refused_naming_the_field(live: Live, body: dict, field: str):
    before = live.appliance.settings.get().Timelapse
    response = live.client.post("/timelapse/configure", json=body)
    assert response.status_code == 400 and response.json["field"] == field
    assert live.appliance.settings.get().Timelapse == before


def test_configure_start_stop_and_status(live: Live):
    client = live.client
    try:
        response = client.post("/timelapse/configure", json={"interval_minutes": 10, "fps": 12,
                                                              "resolution": "original"})
        assert response.status_code == 200 and response.json["success"] is True
        status = client.get("/timelapse/status").json
        assert {k: status[k] for k in ("enabled", "interval_minutes", "fps", "resolution")} == {
            "enabled": False, "interval_minutes": 10, "fps": 12, "resolution": "original"}
        assert "today_frame_count" in status and "last_capture" in status
        assert client.post("/timelapse/start").json["enabled"] is True
        assert live.appliance.settings.get().Timelapse.enabled is True
        assert client.post("/timelapse/stop").json["enabled"] is False
    finally:
        live.appliance.settings.update({"Timelapse": {"enabled": False, "interval_minutes": 5, "fps": 24,
                                                      "resolution": "640:480"}})
        shutil.rmtree(live.appliance.paths.timelapse / "frames", ignore_errors=True)
