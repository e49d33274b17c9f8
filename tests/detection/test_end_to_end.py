"""End to end through the real recorder: test clips made here are played by the camera's one
ffmpeg (``file`` source, real time), whose raw frames reach the detection pipeline through the
FIFO; the shipped model, the tracker, SQLite, clips cut by ffmpeg.

Four cameras run at once in one appliance (one scene each, so the suite waits once):
``walk`` (a person crossing), ``still`` (nothing moves), ``flash`` (the whole picture brightens at
once) and ``shape`` (a plain rectangle slides across). Each file loops; the person's walk comes
round again only after the assertions are done.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from securitycam.appliance import Appliance
from securitycam.bus import OBJECT_EVENTS, REVIEWS
from tests.conftest import started_with_cameras
from tests.detection import scene
from tests.recorder.conftest import wait_for

SCENES = {
    "walk": lambda: [*scene.still(10), *scene.walking(30), *scene.still(80)],
    "still": lambda: list(scene.still(40)),
    "flash": lambda: list(scene.brightness_step(40, at=15)),
    "shape": lambda: [*scene.still(5), *scene.moving_shape(30), *scene.still(5)],
}


def make_clip(path: Path, frames: Iterable[np.ndarray]) -> None:
    encoder = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
         "-s", f"{scene.WIDTH}x{scene.HEIGHT}", "-r", str(scene.FPS), "-i", "pipe:0",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(scene.FPS), str(path)],
        stdin=subprocess.PIPE)
    assert encoder.stdin is not None
    for frame in frames:
        encoder.stdin.write(np.ascontiguousarray(frame).tobytes())
    encoder.stdin.close()
    assert encoder.wait(timeout=60) == 0


def camera(name: str, path: Path) -> dict:
    return {
        "name": name, "source": "file", "path": str(path), "width": scene.WIDTH, "height": scene.HEIGHT,
        "fps": scene.FPS, "segment_seconds": 1, "pre_capture": 2, "post_capture": 1, "ring_seconds": 10,
        "frame_rate": 1, "detect": {"enabled": True, "fps": scene.FPS, "max_disappeared": 5},
        "review": {"quiet_seconds": 1},
    }


@pytest.fixture(scope="module")
def appliance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Appliance]:
    root = tmp_path_factory.mktemp("detection")
    clips = {}
    for name, frames in SCENES.items():
        clips[name] = root / f"{name}.mp4"
        make_clip(clips[name], frames())
    cameras = [camera(name, path) for name, path in clips.items()]
    # Continuous recording of the segments with motion only: what the detector marks decides.
    cameras[list(clips).index("shape")]["record"] = {"enabled": True, "retain": {"days": 1, "mode": "motion"}}
    appliance: Appliance = started_with_cameras(root, cameras).extensions["securitycam"]
    yield appliance
    appliance.stop()


def finished_walk(appliance: Appliance) -> object:
    events = appliance.events.list(camera="walk")
    return events and all(e.end_time is not None and e.has_clip for e in events) and events


def test_scenes_through_the_recorders_ffmpeg(appliance: Appliance) -> None:
    # The walk: the person is in view from about 2 s to 8 s, gone (five unseen frames) about 1 s later,
    # the clip cut once a second of post-capture exists.
    events = wait_for(lambda: finished_walk(appliance), timeout=90)
    (event,) = events
    assert (event.source, event.label) == ("object", "person") and event.top_score >= 0.7
    assert 3 <= event.end_time - event.start_time <= 10
    # The clip starts before the person appeared (the recorder's pre-capture).
    (clip,) = event.data["clips"]
    assert Path(clip).exists()
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", clip],
                           capture_output=True, text=True, check=True)
    assert float(probe.stdout) >= event.end_time - event.start_time + 2
    snapshot = event.data["snapshot"]
    assert cv2.imread(snapshot["path"]).shape == (scene.HEIGHT, scene.WIDTH, 3)
    assert cv2.imread(snapshot["thumbnail_path"]) is not None
    assert Path(snapshot["path"]).parent == appliance.paths.clips

    item = wait_for(lambda: [r for r in appliance.detection.reviews.list(cameras=["walk"]) if r.end_time], timeout=30)
    (review,) = item
    assert review.severity == "alert" and review.data["detections"] == [event.id]
    assert review.data["objects"] == ["person"] and Path(review.thumb_path).exists()
    kinds = [row["class_type"] for row in appliance.detection.timeline.list(source_id=event.id)]
    assert kinds[0] == "visible" and kinds[-1] == "gone"
    objects = [m.data for m in appliance.bus.recent(OBJECT_EVENTS) if m.data["after"]["camera"] == "walk"]
    assert objects[0]["type"] == "new" and objects[-1]["type"] == "end"
    assert any(m.data["after"]["id"] == review.id for m in appliance.bus.recent(REVIEWS))

    status = appliance.detection.status()["cameras"]
    # The wall alone never made the model run, a brightness jump neither; the rectangle did, in vain.
    assert appliance.events.list(camera="still") == [] and status["still"]["regions"] == 0
    assert status["still"]["frames"] >= 20
    assert appliance.events.list(camera="flash") == [] and appliance.detection.reviews.list(cameras=["flash"]) == []
    assert status["shape"]["frames_with_motion"] >= 10 and status["shape"]["regions"] >= 10
    assert appliance.events.list(camera="shape") == []
    assert status["walk"]["frames_without_model"] >= 10
    # The frames came with wall-clock times close to now.
    assert abs(status["walk"]["last_frame_time"] - appliance.clock.time()) < 5
    # The rectangle's motion was marked on its segments, so retain.mode motion kept them.
    kept = wait_for(lambda: appliance.db.query("SELECT start_time, motion FROM recordings WHERE camera = 'shape'"),
                    timeout=30)
    assert all(row["motion"] > 0 for row in kept), [dict(row) for row in kept]


def test_a_killed_ffmpeg_comes_back_and_its_frames_with_it(appliance: Appliance) -> None:
    recorder = appliance.recorder.cameras["still"]
    pipe = recorder.frames
    assert pipe is not None
    wait_for(lambda: pipe.runs >= 1, timeout=30)
    runs, frames = pipe.runs, appliance.detection.status()["cameras"]["still"]["frames"]
    recorder.supervisor.kill()
    wait_for(lambda: pipe.runs > runs, timeout=30)
    wait_for(lambda: appliance.detection.status()["cameras"]["still"]["frames"] > frames + 5, timeout=30)
