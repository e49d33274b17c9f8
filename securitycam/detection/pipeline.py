"""One camera's detection pipeline, on a thread of its own, frame by frame:

1. take the newest raw frame from the recorder's ffmpeg (older ones not taken in time are
   skipped: the pipeline is never behind by more than a frame);
2. motion boxes from the grey picture (:mod:`.motion`);
3. with a detector that runs a model: squares around the motion boxes and the tracked objects due
   a look (:mod:`.regions`); no square, no model run, and no colour conversion. Each square is
   cut from the frame, scaled to the model's input and detected on; boxes come back in frame
   pixels, filtered by label (``objects.track``), per-label filters and object masks (an object
   whose bottom centre is masked is dropped), and de-duplicated across squares;
4. the tracker pairs them with the objects it knows (:mod:`.tracker`); :mod:`.objects` turns its
   news into events, snapshots, timeline rows and review items;
5. with the detector ``none`` and ``motion.record``: motion opens an event (source ``motion``)
   that ends ``motion.mqtt_off_delay`` seconds after the last motion;
6. the motion boxes are counted per 10 s for ``/api/review/activity/motion``, with the active
   (real, not stationary) tracked objects, and both marked on the recordings of those 10 s
   (:class:`~securitycam.store.motion.MotionTally`), for ``record.retain.mode`` ``motion`` /
   ``active_objects``.
7. whatever the detector, the camera's motion state (:class:`MotionState`) goes on the bus as
   ``motion`` messages: active at the first motion box, inactive ``motion.mqtt_off_delay``
   seconds after the last one (Frigate's ``<camera>/motion`` ON/OFF).

If frames stop coming (ffmpeg stalled or restarting) for ``STALE_SECONDS``, every tracked object
is let go and its event ended at its last sighting: no event stays open on a dead camera.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from securitycam.bus import MOTION, EventBus
from securitycam.config.detection import polygon_points
from securitycam.config.models import CameraSettings
from securitycam.detection.detectors import Detector
from securitycam.detection.frames import Frame, FramePipe
from securitycam.detection.motion import MotionDetector
from securitycam.detection.objects import ObjectEvents
from securitycam.detection.regions import Box, regions_for
from securitycam.detection.review import ReviewKeeper
from securitycam.detection.tracker import ObjectDetection, Tracker, TrackerUpdate, iou, passes_filter
from securitycam.store.events import EventStore
from securitycam.store.motion import MotionTally
from securitycam.worker import PeriodicWorker

log = logging.getLogger(__name__)

STALE_SECONDS = 10.0
MOTION_LABEL = "motion"


@dataclass
class PipelineStats:
    frames: int = 0
    frames_with_motion: int = 0
    frames_without_model: int = 0
    regions: int = 0
    model_seconds: float = 0.0
    motion_seconds: float = 0.0
    last_frame_time: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "frames": self.frames, "frames_with_motion": self.frames_with_motion,
            "frames_without_model": self.frames_without_model, "regions": self.regions,
            "model_cpu_ms_per_region": round(self.model_seconds * 1000 / self.regions, 2) if self.regions else None,
            "motion_ms_per_frame": round(self.motion_seconds * 1000 / self.frames, 3) if self.frames else None,
            "last_frame_time": self.last_frame_time,
        }


class MotionState:
    """Whether the camera sees motion now, told on the bus when that changes."""

    def __init__(self, camera: CameraSettings, bus: EventBus) -> None:
        self.camera = camera
        self._bus = bus
        self.active = False
        self.last_motion = 0.0

    def update(self, moving: bool, now: float) -> None:
        if moving:
            self.last_motion = now
            if not self.active:
                self._set(True)
        self.tick(now)

    def tick(self, now: float) -> None:
        if self.active and now - self.last_motion >= self.camera.motion.mqtt_off_delay:
            self._set(False)

    def close(self) -> None:
        if self.active:
            self._set(False)

    def _set(self, active: bool) -> None:
        self.active = active
        self._bus.publish(MOTION, {"camera": self.camera.name, "active": active})


class MotionEvents:
    """Motion as events, for cameras whose detector is ``none``."""

    def __init__(self, camera: CameraSettings, events: EventStore, review: ReviewKeeper) -> None:
        self.camera = camera
        self._events = events
        self._review = review
        self.event_id: str | None = None
        self.last_motion = 0.0

    def update(self, moving: bool, now: float) -> None:
        if moving:
            self.last_motion = now
            if self.event_id is None:
                event = self._events.open(self.camera.name, "motion", MOTION_LABEL, start_time=now)
                self.event_id = event.id
                self._review.event_started(event.id, MOTION_LABEL, now)
        self.tick(now)

    def tick(self, now: float) -> None:
        if self.event_id is not None and now - self.last_motion >= self.camera.motion.mqtt_off_delay:
            self.close(self.last_motion)

    def close(self, when: float) -> None:
        if self.event_id is not None:
            self._events.merge_data(self.event_id, {"last_seen": when})
            self._events.end(self.event_id, when)
            self._review.event_ended(self.event_id, when)
            self.event_id = None


class CameraPipeline:
    def __init__(
        self,
        camera: CameraSettings,
        detector: Detector,
        detector_lock: threading.Lock,
        frames: Callable[[], FramePipe | None],
        objects: ObjectEvents,
        review: ReviewKeeper,
        events: EventStore,
        bus: EventBus,
        clock: Callable[[], float] = time.time,
        motion_tally: MotionTally | None = None,
    ) -> None:
        self.camera = camera
        self.detector = detector
        self._detector_lock = detector_lock
        self._frames = frames
        self.objects = objects
        self.review = review
        self._clock = clock
        self.motion_tally = motion_tally
        detect = camera.detect
        self.width, self.height = camera.detect_size()
        self.motion = MotionDetector(camera.motion, self.width, self.height)
        self.tracker = Tracker(detect, {label: camera.objects.filter_for(label).threshold
                                        for label in camera.objects.track})
        self.motion_events = MotionEvents(camera, events, review) \
            if not detector.runs_model and camera.motion.record else None
        self.motion_state = MotionState(camera, bus)
        self._masks = self._object_masks()
        self.stats = PipelineStats()
        self._last_frame_at: float | None = None
        self._worker = PeriodicWorker(f"detect-{camera.name}", self._step, 0, immediately=True)

    @property
    def name(self) -> str:
        return self.camera.name

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop(timeout=5)
        now = self._clock()
        self.objects.close(now)
        if self.motion_events is not None:
            self.motion_events.close(min(now, self.motion_events.last_motion or now))
        self.motion_state.close()
        if self.motion_tally is not None:
            self.motion_tally.flush()

    def status(self) -> dict:
        return {"detector": self.detector.type_name, "objects": len(self.tracker.objects), **self.stats.as_dict()}

    def _object_masks(self) -> dict[str | None, list[np.ndarray]]:
        objects = self.camera.objects

        def polygons(texts: list[str]) -> list[np.ndarray]:
            return [np.array(polygon_points(text, self.width, self.height), dtype=np.int32) for text in texts]

        masks: dict[str | None, list[np.ndarray]] = {None: polygons(objects.mask)}
        for label, rules in objects.filters.items():
            masks[label] = polygons(rules.mask)
        return masks

    # -- the loop ------------------------------------------------------------------------------

    def _step(self) -> None:
        pipe = self._frames()
        frame = pipe.next_frame(0.5) if pipe is not None else None
        if pipe is None:
            time.sleep(0.5)
        now = self._clock()
        if frame is None:
            self._idle(now)
            return
        self._last_frame_at = now
        self.process(frame)

    def _idle(self, now: float) -> None:
        if self._last_frame_at is not None and now - self._last_frame_at > STALE_SECONDS and self.tracker.objects:
            log.warning("camera %s: no frames for %.0f s; letting its tracked objects go", self.name,
                        now - self._last_frame_at)
            self.objects.handle(TrackerUpdate(gone=list(self.tracker.objects.values())), now, None)
            self.tracker.objects.clear()
        if self.motion_events is not None:
            self.motion_events.tick(now)
        self.motion_state.tick(now)
        self.review.tick(now)

    def process(self, frame: Frame) -> None:
        """Everything for one frame (the worker calls it; tests and benchmarks may too)."""
        stats = self.stats
        stats.frames += 1
        stats.last_frame_time = frame.time
        begun = time.perf_counter()
        boxes = self.motion.detect(frame.gray) if self.camera.motion.enabled else []
        stats.motion_seconds += time.perf_counter() - begun
        if boxes:
            stats.frames_with_motion += 1
            self.review.motion(frame.time)
        self.motion_state.update(bool(boxes), frame.time)
        if self.detector.runs_model:
            self._detect(frame, boxes)
        else:
            stats.frames_without_model += 1
            if self.motion_events is not None:
                self.motion_events.update(bool(boxes), frame.time)
        if self.motion_tally is not None:
            active = sum(1 for obj in self.tracker.objects.values() if obj.real and not obj.stationary)
            self.motion_tally.frame(frame.time, len(boxes), active)
        self.review.tick(frame.time)

    def _detect(self, frame: Frame, motion_boxes: list[Box]) -> None:
        due = [tuple(int(v) for v in obj.box) for obj in self.tracker.to_check()]
        regions = regions_for([*motion_boxes, *due], max(self.detector.input_size), self.width, self.height)
        if not regions:
            self.stats.frames_without_model += 1
            self.objects.handle(self.tracker.update([], frame.time, []), frame.time, None)
            return
        image = frame.bgr()
        found: list[ObjectDetection] = []
        for region in regions:
            found.extend(self._detect_region(image, region))
        update = self.tracker.update(_deduplicate(found), frame.time, regions)
        self.objects.handle(update, frame.time, image)

    def _detect_region(self, image: np.ndarray, region: Box) -> list[ObjectDetection]:
        x1, y1, x2, y2 = region
        crop = cv2.resize(image[y1:y2, x1:x2], self.detector.input_size, interpolation=cv2.INTER_LINEAR)
        with self._detector_lock:
            # CPU time of this thread (onnxruntime runs a one-thread model in the caller's thread): the
            # model's cost, whatever else the machine is doing.
            begun = time.thread_time()
            detections = self.detector.detect(crop)
            self.stats.model_seconds += time.thread_time() - begun
        self.stats.regions += 1
        objects = self.camera.objects
        kept = []
        for detection in detections:
            if detection.label not in objects.track:
                continue
            bx1, by1, bx2, by2 = detection.box
            box = (x1 + bx1 * (x2 - x1), y1 + by1 * (y2 - y1), x1 + bx2 * (x2 - x1), y1 + by2 * (y2 - y1))
            candidate = ObjectDetection(detection.label, detection.score, box, region)
            if passes_filter(candidate, objects.filter_for(detection.label)) and not self._masked(candidate):
                kept.append(candidate)
        return kept

    def _masked(self, detection: ObjectDetection) -> bool:
        point = ((detection.box[0] + detection.box[2]) / 2, detection.box[3] - 1)
        polygons = [*self._masks[None], *self._masks.get(detection.label, [])]
        return any(cv2.pointPolygonTest(polygon, point, False) >= 0 for polygon in polygons)


def _deduplicate(detections: list[ObjectDetection]) -> list[ObjectDetection]:
    """One box per object: when squares next to each other both saw it, or the model returned a
    whole person and a part of them (a box mostly inside a better one), the better score stays."""
    kept: list[ObjectDetection] = []
    for detection in sorted(detections, key=lambda d: d.score, reverse=True):
        if all(d.label != detection.label or not _same_object(d.box, detection.box) for d in kept):
            kept.append(detection)
    return kept


def _same_object(better: tuple[float, ...], other: tuple[float, ...]) -> bool:
    width = min(better[2], other[2]) - max(better[0], other[0])
    height = min(better[3], other[3]) - max(better[1], other[1])
    if width <= 0 or height <= 0:
        return False
    inside = width * height / ((other[2] - other[0]) * (other[3] - other[1]))
    return iou(better, other) >= 0.5 or inside >= 0.8
