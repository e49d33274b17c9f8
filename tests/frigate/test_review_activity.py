"""Motion activity (``/api/review/activity/motion``) as Frigate resamples and scales it, from rows the
detection pipeline's own tally writes; audio activity is honestly empty."""

from __future__ import annotations

import math
import threading
import time

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from securitycam.bus import EventBus
from securitycam.config.detection import DetectorSettings, ModelSettings
from securitycam.config.models import CameraSettings
from securitycam.detection.detectors import build_detector
from securitycam.detection.frames import Frame
from securitycam.detection.objects import ObjectEvents
from securitycam.detection.pipeline import CameraPipeline
from securitycam.detection.review import ReviewKeeper
from securitycam.store.motion import BUCKET_SECONDS, KEEP_DAYS, MotionActivityStore, MotionTally
from securitycam.store.timeline import TimelineStore
from tests.detection import scene


def an_hour_ago() -> float:
    return math.floor(time.time() / 3600) * 3600 - 3600


def test_frigates_resampling_and_per_hour_scaling(client: FlaskClient, appliance: Appliance) -> None:
    store, start = appliance.detection.motion_activity, an_hour_ago()
    store.add("front", start + 10, 101)
    store.add("front", start + 70, 150)
    store.add("back", start + 70, 200)
    response = client.get(f"/api/review/activity/motion?after={start}&before={start + 90}&scale=10", json={})
    assert response.status_code == 200, response.json
    bins = response.json
    # Bins of 10 s from the first with motion to the last; the hour's least (0, the empty bins) to most
    # (200) scaled to 0..100, each bin the largest count in it, naming its cameras.
    assert [entry["start_time"] for entry in bins] == [start + 10 + 10 * n for n in range(7)]
    assert bins[0] == {"start_time": start + 10, "motion": 50.5, "camera": "front"}
    assert all(entry == {"start_time": entry["start_time"], "motion": 0.0, "camera": ""} for entry in bins[1:-1])
    assert bins[-1] == {"start_time": start + 70, "motion": 100.0, "camera": "back,front"}
    only_front = client.get(f"/api/review/activity/motion?cameras=front&after={start}&before={start + 90}&scale=30")
    # 30 s bins from the day's midnight: [start, start+30) holds 101, [start+60, start+90) holds 150.
    assert only_front.json == [{"start_time": start, "motion": pytest.approx(101 / 150 * 100), "camera": "front"},
                               {"start_time": start + 30, "motion": 0.0, "camera": ""},
                               {"start_time": start + 60, "motion": 100.0, "camera": "front"}]


def test_the_default_window_is_the_last_hour_and_flat_motion_scales_to_zero(
        client: FlaskClient, appliance: Appliance) -> None:
    store, now = appliance.detection.motion_activity, time.time()
    store.add("front", now - 7200, 50)
    assert client.get("/api/review/activity/motion").json == []
    store.add("front", now - 600, 50)
    (only,) = client.get("/api/review/activity/motion").json
    assert only["motion"] == 0.0 and only["camera"] == "front"


def run_moving_shape(appliance: Appliance, tmp_path, start: float, tally: MotionTally) -> CameraPipeline:
    """A shape moving from 2 s to 14 s after ``start``, still before and after, through the pipeline."""
    settings = CameraSettings.model_validate({"name": "yard", "detect": {"enabled": True, "detector": "none"}})
    events, bus = appliance.events, EventBus()
    keeper = ReviewKeeper("yard", settings.review, appliance.detection.reviews, bus, tmp_path / "review")
    objects = ObjectEvents(settings, events, TimelineStore(appliance.db), keeper, bus, tmp_path)
    pipeline = CameraPipeline(settings, build_detector(DetectorSettings(type="none"), ModelSettings()),
                              threading.Lock(), lambda: None, objects, keeper, events, bus, time.time, tally)
    frames = [*scene.still(10), *scene.moving_shape(60), *scene.still(40)]
    for number, image in enumerate(frames):
        pipeline.process(Frame("yard", number, start + number / scene.FPS, scene.to_yuv(image)))
    pipeline.stop()  # the last bucket is written when the pipeline stops
    assert pipeline.stats.frames_with_motion > 0
    return pipeline


def test_rows_come_from_the_pipelines_motion_tally(client: FlaskClient, appliance: Appliance, tmp_path) -> None:
    store = appliance.detection.motion_activity
    start = an_hour_ago()
    run_moving_shape(appliance, tmp_path, start, MotionTally("yard", store, time.time))
    bins = client.get(f"/api/review/activity/motion?cameras=yard&after={start - 1}&before={start + 60}&scale=10").json
    # The shape moved from 2 s to 14 s: 8 s of it in the first 10 s bucket, 4 s in the second, none after.
    assert [(entry["start_time"] - start, entry["camera"]) for entry in bins] == [(0, "yard"), (10, "yard")]
    # Two bins only: the hour's scale runs from the smaller count (0) to the larger (100).
    assert sorted(entry["motion"] for entry in bins) == [0.0, 100.0]
    counts = appliance.db.query("SELECT start_time, motion FROM motion_activity WHERE camera = 'yard'")
    assert [row["start_time"] - start for row in counts] == [0, 10] and all(row["motion"] > 0 for row in counts)
    assert client.get(f"/api/review/activity/motion?cameras=front&after={start - 1}&before={start + 60}").json == []


def test_the_tally_marks_the_recordings_with_motion_for_retain_mode_motion(
        appliance: Appliance, tmp_path) -> None:
    recordings, start = appliance.recorder.recordings, an_hour_ago()
    # Kept rows of 4 s segments; segments still in the ring remember their marks (activity()).
    for begin in range(0, 24, 4):
        recordings.add("yard", tmp_path / f"{begin}.ts", start + begin, start + begin + 4, 1000)
    marks: list[tuple] = []

    def mark(*args) -> None:
        marks.append(args)
        recordings.mark_activity(*args)

    run_moving_shape(appliance, tmp_path, start,
                     MotionTally("yard", appliance.detection.motion_activity, time.time, mark))
    # Once per 10 s bucket with motion, not once a frame; the detector "none" tracks no objects.
    assert len(marks) == 2 and all(objects == 0 for *_rest, objects in marks)
    rows = appliance.db.query("SELECT start_time, motion, objects FROM recordings WHERE camera = 'yard' "
                              "ORDER BY start_time")
    moving = [row["start_time"] - start for row in rows if row["motion"] > 0]
    # The shape moved from 2 s to 14 s (motion boxes lag a frame or so either side): segments 0..16 s.
    assert moving[0] == 0 and moving[-1] in (12, 16), moving
    assert [row["start_time"] - start for row in rows if row["motion"] == 0] == [20]
    assert recordings.activity("yard", start + 4, start + 8)[0] > 0
    assert recordings.activity("yard", start + 20, start + 24) == (0, 0)


def test_the_tally_writes_buckets_with_motion_only_and_prunes_old_ones(appliance: Appliance) -> None:
    store = MotionActivityStore(appliance.db)
    now = time.time()
    store.add("yard", now - (KEEP_DAYS + 1) * 86400, 5)
    tally = MotionTally("yard", store, lambda: now)
    base = math.floor(now / BUCKET_SECONDS) * BUCKET_SECONDS - 60
    for second in range(30):
        tally.frame(base + second, 2 if second < 5 else 0)
    tally.flush()
    rows = appliance.db.query("SELECT start_time, motion FROM motion_activity WHERE camera = 'yard'")
    assert [(row["start_time"], row["motion"]) for row in rows] == [(base, 10)]


def test_bad_parameters_are_400_naming_them(client: FlaskClient, appliance: Appliance) -> None:
    start = an_hour_ago()
    appliance.detection.motion_activity.add("front", start - 20 * 86400, 3)
    appliance.detection.motion_activity.add("front", start, 3)
    for query, parameter in (("scale=0", "scale"), ("scale=x", "scale"), ("after=soon", "after"),
                             ("before=inf", "before"),
                             (f"after={start - 30 * 86400}&before={start + 20}&scale=1", "scale")):
        response = client.get(f"/api/review/activity/motion?{query}")
        assert response.status_code == 400, (query, response.json)
        assert response.json["message"].startswith(f"{parameter}:")
    assert client.get("/api/review/activity/audio?after=soon").status_code == 400


def test_audio_activity_is_empty_without_audio_detection(client: FlaskClient, appliance: Appliance) -> None:
    appliance.detection.motion_activity.add("front", time.time() - 60, 3)
    response = client.get("/api/review/activity/audio?cameras=front", json={})
    assert response.status_code == 200 and response.json == []
