"""The whole pipeline in process, fed frames directly: real motion detector, the shipped model,
real tracker, real SQLite stores, real bus. (tests/detection/test_end_to_end.py runs the same
scenes through the recorder's ffmpeg.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest

from securitycam.bus import OBJECT_EVENTS, REVIEWS, EventBus
from securitycam.config.detection import DetectorSettings, ModelSettings
from securitycam.config.models import CameraSettings
from securitycam.detection.detectors import Detector, build_detector
from securitycam.detection.frames import Frame
from securitycam.detection.objects import ObjectEvents
from securitycam.detection.pipeline import CameraPipeline
from securitycam.detection.review import ReviewKeeper
from securitycam.store import Database
from securitycam.store.events import EventStore
from securitycam.store.review import ReviewStore
from securitycam.store.timeline import TimelineStore
from tests.detection import scene
from tests.recorder.conftest import wait_for

T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def person_model() -> Detector:
    return build_detector(DetectorSettings(), ModelSettings())


class Home:
    def __init__(self) -> None:
        self.home = False

    def anyone_home(self) -> bool:
        return self.home


@dataclass
class Rig:
    pipeline: CameraPipeline
    events: EventStore
    reviews: ReviewStore
    timeline: TimelineStore
    bus: EventBus
    keeper: ReviewKeeper
    clips: Path
    presence: Home
    frame_number: int = 0
    # (path, event id) of each snapshot announced to the storage janitor.
    announced: list[tuple[Path, str | None]] = field(default_factory=list)

    def feed(self, frames: Iterable[np.ndarray]) -> None:
        for image in frames:
            time = T0 + self.frame_number / scene.FPS
            self.pipeline.process(Frame("cam", self.frame_number, time, scene.to_yuv(image)))
            self.frame_number += 1

    def messages(self, name: str) -> list[dict]:
        return [event.data for event in self.bus.recent(name)]


@pytest.fixture
def rig_for(tmp_path: Path, person_model: Detector) -> Iterator:
    db = Database(tmp_path / "db.sqlite")
    db.migrate()

    def build(detector: Detector = person_model, **camera: object) -> Rig:
        settings = CameraSettings.model_validate({
            "detect": {"enabled": True, "max_disappeared": 5}, "review": {"quiet_seconds": 2}, **camera})
        events, reviews, timeline, bus = EventStore(db), ReviewStore(db), TimelineStore(db), EventBus()
        presence = Home()
        clips = tmp_path / "clips"
        keeper = ReviewKeeper("cam", settings.review, reviews, bus, clips / "review", presence)
        announced: list[tuple[Path, str | None]] = []
        objects = ObjectEvents(settings, events, timeline, keeper, bus, clips,
                               lambda path, event_id: announced.append((path, event_id)))
        pipeline = CameraPipeline(settings, detector, threading.Lock(), lambda: None, objects, keeper, events, bus)
        return Rig(pipeline, events, reviews, timeline, bus, keeper, clips, presence, announced=announced)

    yield build
    db.close()


def test_a_person_walking_past_gives_one_event_with_snapshot_review_and_timeline(rig_for) -> None:
    rig = rig_for()
    rig.feed(scene.still(10))
    rig.feed(scene.walking(30))
    rig.feed(scene.still(30))
    (event,) = rig.events.list()
    assert (event.source, event.label, event.camera) == ("object", "person", "cam")
    assert event.end_time is not None and event.top_score >= 0.7
    # It started when the person was first seen, not when they were judged real.
    assert T0 + 2.0 <= event.start_time < T0 + 3.5
    assert event.has_snapshot
    data = event.data
    assert len(data["box"]) == 4 and len(data["region"]) == 4 and 0.7 <= data["top_score"] <= 1
    assert len(data["path_data"]) >= 3
    xs = [point[0][0] for point in data["path_data"]]
    assert xs == sorted(xs)  # walking left to right
    for key in ("path", "clean_path", "thumbnail_path"):
        picture = cv2.imread(data["snapshot"][key])
        assert picture is not None, key
    assert cv2.imread(data["snapshot"]["path"]).shape == (360, 640, 3)
    assert cv2.imread(data["snapshot"]["thumbnail_path"]).shape == (175, 175, 3)
    # Each better picture is announced to the storage janitor, which indexes it (it ages out as snapshots do).
    assert rig.announced and set(rig.announced) == {(Path(data["snapshot"]["path"]), event.id)}
    # The boxed snapshot differs from the clean one only by the drawn box.
    assert not np.array_equal(cv2.imread(data["snapshot"]["path"]), cv2.imread(data["snapshot"]["clean_path"]))

    (item,) = rig.reviews.list()
    assert item.severity == "alert" and item.end_time is not None
    assert item.data["detections"] == [event.id] and item.data["objects"] == ["person"]
    assert item.thumb_path.endswith(".webp") and Path(item.thumb_path).exists()

    rows = rig.timeline.list(source_id=event.id)
    assert rows[0]["class_type"] == "visible" and rows[-1]["class_type"] == "gone"
    assert {row["source"] for row in rows} == {"tracked_object"}

    kinds = [message["type"] for message in rig.messages(OBJECT_EVENTS)]
    assert kinds[0] == "new" and kinds[-1] == "end" and kinds.count("new") == 1
    assert rig.messages(REVIEWS)[0]["type"] == "new"
    assert rig.messages(REVIEWS)[-1]["type"] == "end"
    # The still frames before and after ran no model.
    assert rig.pipeline.stats.frames_without_model >= 30


def test_still_background_runs_no_model_and_opens_nothing(rig_for) -> None:
    rig = rig_for()
    rig.feed(scene.still(30))
    assert rig.events.list() == [] and rig.reviews.list() == []
    assert rig.pipeline.stats.frames_without_model == 30 and rig.pipeline.stats.regions == 0


def test_sudden_brightness_change_opens_nothing(rig_for) -> None:
    rig = rig_for()
    rig.feed(scene.brightness_step(30, at=10))
    assert rig.events.list() == [] and rig.reviews.list() == []
    assert rig.pipeline.motion.recalibrations >= 1


def test_moving_plain_shape_is_motion_but_no_person(rig_for) -> None:
    rig = rig_for()
    rig.feed(scene.still(3))
    rig.feed(scene.moving_shape(20))
    stats = rig.pipeline.stats
    assert stats.frames_with_motion >= 15 and stats.regions >= 15
    assert rig.events.list() == [] and rig.reviews.list() == []


def test_zones_and_required_zones(rig_for) -> None:
    # The right half of the frame: the person enters it half-way across.
    rig = rig_for(zones={"yard": {"coordinates": "400,0,640,0,640,360,400,360", "inertia": 2}},
                  objects={"required_zones": ["yard"]})
    rig.feed(scene.still(3))
    rig.feed(scene.walking(30))
    rig.feed(scene.still(30))
    (event,) = rig.events.list()
    assert event.zones == ["yard"]
    # Its event opened only once it was in the yard.
    rows = rig.timeline.list(source_id=event.id)
    assert [row["class_type"] for row in rows][:2] == ["visible", "entered_zone"]
    assert rows[1]["data"]["zones"] == ["yard"]
    assert rig.reviews.list()[0].data["zones"] == ["yard"]


def test_required_zone_never_entered_opens_no_event(rig_for) -> None:
    rig = rig_for(zones={"porch": {"coordinates": "0,0,60,0,60,60,0,60"}}, objects={"required_zones": ["porch"]})
    rig.feed(scene.walking(20))
    rig.feed(scene.still(10))
    assert rig.events.list() == []


def test_detector_none_records_motion_events(rig_for) -> None:
    rig = rig_for(detector=build_detector(DetectorSettings(type="none"), ModelSettings()),
                  detect={"enabled": True, "detector": "none"}, motion={"mqtt_off_delay": 2})
    rig.feed(scene.still(3))
    rig.feed(scene.moving_shape(15))
    rig.feed(scene.still(20))
    (event,) = rig.events.list()
    assert (event.source, event.label) == ("motion", "motion") and event.end_time is not None
    assert event.end_time - event.start_time == pytest.approx(14 / scene.FPS, abs=0.5)
    (item,) = rig.reviews.list()
    assert item.severity == "detection" and item.data["detections"] == [event.id]
    assert rig.pipeline.stats.regions == 0


def test_motion_state_goes_on_at_the_first_motion_and_off_after_the_quiet_delay(rig_for) -> None:
    rig = rig_for(motion={"mqtt_off_delay": 2})
    rig.feed(scene.still(3))
    assert rig.messages("motion") == []
    rig.feed(scene.moving_shape(15))
    assert rig.messages("motion") == [{"camera": "cam", "active": True}]
    rig.feed(scene.still(20))
    assert rig.messages("motion") == [{"camera": "cam", "active": True}, {"camera": "cam", "active": False}]
    rig.feed(scene.moving_shape(5))
    rig.pipeline.stop()  # a stopping pipeline leaves no motion on
    assert [m["active"] for m in rig.messages("motion")] == [True, False, True, False]


def test_object_mask_drops_what_stands_in_it(rig_for) -> None:
    rig = rig_for(objects={"mask": ["0,300,640,300,640,360,0,360"]})  # where the person's feet are
    rig.feed(scene.walking(20))
    rig.feed(scene.still(10))
    assert rig.events.list() == []


def test_an_object_stationary_past_the_limit_ends_its_event(rig_for) -> None:
    rig = rig_for(detect={"enabled": True, "max_disappeared": 5,
                          "stationary": {"threshold": 5, "interval": 3, "max_seconds": 2}})
    walk = list(scene.walking(30))
    rig.feed(walk[:15])
    rig.feed([walk[14]] * 30)  # she stops half-way and stays
    (event,) = rig.events.list()
    assert event.end_time is not None and event.data["end_reason"] == "stationary"
    kinds = [row["class_type"] for row in rig.timeline.list(source_id=event.id)]
    assert "stationary" in kinds and kinds[-1] == "gone"
    (standing,) = rig.pipeline.tracker.objects.values()
    assert standing.stationary


def test_an_event_deleted_while_its_object_walks_on_stays_deleted(rig_for) -> None:
    rig = rig_for(review={"quiet_seconds": 600})
    walk = list(scene.walking(30))
    rig.feed(scene.still(10))
    rig.feed(walk[:15])
    (event,) = rig.events.list()
    assert event.end_time is None  # she is half-way
    (item,) = rig.reviews.list()

    # What Detection.forget_events does for DELETE /api/events/<id>, then the row goes.
    rig.pipeline.objects.forget_events([event.id])
    rig.keeper.forget_events([event.id])
    rig.reviews.forget_events([event.id])
    rig.events.delete(event.id)
    rig.feed(walk[15:])  # she enters and crosses the rest of the picture, then leaves
    rig.feed(scene.still(30))

    assert rig.events.list() == []  # neither brought back nor opened anew for the same person
    assert rig.timeline.list(source_id=event.id) == []
    assert rig.reviews.get(item.id).data["detections"] == []


def test_frames_that_stop_coming_let_the_objects_go(tmp_path: Path, person_model: Detector) -> None:
    db = Database(tmp_path / "stale.sqlite")
    db.migrate()
    events, now = EventStore(db), [T0 + 3]
    settings = CameraSettings.model_validate({"detect": {"enabled": True}})
    keeper = ReviewKeeper("cam", settings.review, ReviewStore(db), EventBus(), tmp_path)
    objects = ObjectEvents(settings, events, TimelineStore(db), keeper, EventBus(), tmp_path)
    frames = [Frame("cam", n, T0 + n / scene.FPS, scene.to_yuv(image))
              for n, image in enumerate(list(scene.walking(30))[:15])]

    class Source:
        """A camera that sends fifteen frames, then nothing (ffmpeg hung)."""

        def next_frame(self, timeout: float) -> Frame | None:
            if frames:
                return frames.pop(0)
            time.sleep(0.01)
            return None

    pipeline = CameraPipeline(settings, person_model, threading.Lock(), Source, objects, keeper, events,
                              EventBus(), clock=lambda: now[0])
    pipeline.start()
    try:
        wait_for(lambda: pipeline.stats.frames == 15 and events.list(), timeout=20)
        (event,) = events.list()
        now[0] = T0 + 8  # five seconds without a frame: not yet
        time.sleep(0.2)
        assert events.get(event.id).end_time is None
        now[0] = T0 + 14
        wait_for(lambda: events.get(event.id).end_time, timeout=5)
        assert events.get(event.id).end_time == pytest.approx(T0 + 14 / scene.FPS)
        assert pipeline.tracker.objects == {}
    finally:
        pipeline.stop()
