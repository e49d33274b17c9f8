"""The object tracker: the same person from frame to frame, with an id, a score history and a state.

Association: for each label, the cost of pairing a tracked object with a detection is ``1 − IoU``
of the detection and the object's predicted box (its last box moved by its velocity, so two
people crossing keep their ids); boxes that do not overlap cost ``1 + distance / diagonal`` while
their centres are within one diagonal, and cannot pair beyond. The pairing of least total cost
comes from the Jonker-Volgenant solver of ``lapx`` (``lap.lapjv``; scipy's
``linear_sum_assignment`` gives the same pairing, but importing ``scipy.optimize`` costs 48 MB
of RSS, a quarter of the Pi Zero budget, against lapx's few hundred kB).

Life of an object (Frigate's rules and defaults):

- it is *initialized* after ``min_initialized`` detections, and *real* (no longer a false positive)
  once the median of its recent scores reaches the label's ``threshold``;
- unmatched in a frame where the detector looked at it, it is *disappeared* for a frame; after
  ``max_disappeared`` such frames it is gone. An object the detector did not look at this frame
  (stationary, between checks) is left as it was;
- it is *stationary* after ``stationary.threshold`` frames without moving (its box stays on the
  one it had when it stopped); then the detector looks at it only every ``stationary.interval``
  frames, and it is active again as soon as it moves.

Ids are Frigate's ``<frame time>-<6 random>``, and become the id of the object's event.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

import lap
import numpy as np

from securitycam.config.detection import DetectSettings, FilterSettings
from securitycam.detection.regions import Box, contains_point
from securitycam.store.events import new_event_id

FloatBox = tuple[float, float, float, float]
SCORE_HISTORY = 10
# A stationary object's centre may wander this share of its size (detector jitter) and stay still.
STILL_TOLERANCE = 0.1
UNPAIRABLE = 1e6


@dataclass
class ObjectDetection:
    """A detection in frame pixels, with the region the detector looked at."""

    label: str
    score: float
    box: FloatBox
    region: Box

    @property
    def area(self) -> float:
        return (self.box[2] - self.box[0]) * (self.box[3] - self.box[1])


@dataclass
class TrackedObject:
    id: str
    label: str
    box: FloatBox
    score: float
    region: Box
    start_time: float
    frame_time: float
    scores: deque[float] = field(default_factory=lambda: deque(maxlen=SCORE_HISTORY))
    hits: int = 1
    disappeared: int = 0
    velocity: tuple[float, float] = (0.0, 0.0)
    still_box: FloatBox | None = None
    still_frames: int = 0
    stationary: bool = False
    frames_since_check: int = 0
    real: bool = False
    top_score: float = 0.0
    # Every detection that moved it this frame; the pipeline reads and resets it.
    moved: bool = False

    def predicted(self) -> FloatBox:
        dx, dy = self.velocity
        steps = 1 + self.disappeared
        x1, y1, x2, y2 = self.box
        return x1 + dx * steps, y1 + dy * steps, x2 + dx * steps, y2 + dy * steps

    @property
    def area(self) -> int:
        return int((self.box[2] - self.box[0]) * (self.box[3] - self.box[1]))

    @property
    def bottom_centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, self.box[3]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


@dataclass
class TrackerUpdate:
    new: list[TrackedObject] = field(default_factory=list)
    updated: list[TrackedObject] = field(default_factory=list)
    gone: list[TrackedObject] = field(default_factory=list)


def iou(a: FloatBox, b: FloatBox) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def pairing_cost(a: FloatBox, b: FloatBox) -> float:
    overlap = iou(a, b)
    if overlap > 0:
        return 1 - overlap
    diagonal = float(np.hypot(a[2] - a[0], a[3] - a[1])) or 1.0
    distance = float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2))
    return 1 + distance / diagonal if distance < diagonal else UNPAIRABLE


def passes_filter(detection: ObjectDetection, rules: FilterSettings) -> bool:
    """Per-label ``min_score``, ``min_area``/``max_area`` (pixels), ``min_ratio``/``max_ratio`` (w/h)."""
    x1, y1, x2, y2 = detection.box
    width, height = x2 - x1, y2 - y1
    if height <= 0 or width <= 0:
        return False
    return (detection.score >= rules.min_score and rules.min_area <= detection.area <= rules.max_area
            and rules.min_ratio <= width / height <= rules.max_ratio)


class Tracker:
    def __init__(self, detect: DetectSettings, thresholds: dict[str, float] | None = None) -> None:
        self.detect = detect
        self.thresholds = thresholds or {}
        self.objects: dict[str, TrackedObject] = {}

    def to_check(self) -> list[TrackedObject]:
        """Objects the detector should look at this frame (stationary ones only now and then)."""
        interval = self.detect.stationary.interval
        return [obj for obj in self.objects.values()
                if not obj.stationary or obj.frames_since_check + 1 >= interval]

    def update(self, detections: list[ObjectDetection], frame_time: float, checked: list[Box]) -> TrackerUpdate:
        """Pair ``detections`` with the tracked objects; ``checked`` are the regions the detector
        looked at (an object outside all of them neither matched nor missed)."""
        result = TrackerUpdate()
        unmatched = list(range(len(detections)))
        for obj in self.objects.values():
            obj.moved = False
        for label in {d.label for d in detections} | {o.label for o in self.objects.values()}:
            objects = [o for o in self.objects.values() if o.label == label]
            indexes = [i for i in unmatched if detections[i].label == label]
            if not objects or not indexes:
                continue
            cost = np.array([[pairing_cost(o.predicted(), detections[i].box) for i in indexes] for o in objects])
            _, columns, _ = lap.lapjv(cost, extend_cost=True, cost_limit=UNPAIRABLE / 2)
            for row, column in enumerate(columns):
                if column < 0:
                    continue
                self._matched(objects[row], detections[indexes[column]], frame_time)
                unmatched.remove(indexes[column])
                result.updated.append(objects[row])
        paired = {obj.id for obj in result.updated}
        for obj in list(self.objects.values()):
            if obj.id in paired:
                continue
            looked = any(contains_point(region, *obj.centre) for region in checked)
            if not looked:
                if obj.stationary:
                    obj.frames_since_check += 1
                continue
            obj.disappeared += 1
            obj.frames_since_check = 0
            if obj.disappeared > self.detect.disappeared_frames:
                del self.objects[obj.id]
                result.gone.append(obj)
        for index in unmatched:
            detection = detections[index]
            obj = TrackedObject(
                id=new_event_id(frame_time), label=detection.label, box=detection.box, score=detection.score,
                region=detection.region, start_time=frame_time, frame_time=frame_time,
            )
            obj.scores.append(detection.score)
            obj.moved = True
            self._judge(obj)
            self.objects[obj.id] = obj
            result.new.append(obj)
        return result

    def _matched(self, obj: TrackedObject, detection: ObjectDetection, frame_time: float) -> None:
        previous = obj.box
        steps = 1 + obj.disappeared
        shift = ((detection.box[0] + detection.box[2] - previous[0] - previous[2]) / 2 / steps,
                 (detection.box[1] + detection.box[3] - previous[1] - previous[3]) / 2 / steps)
        # Smoothed, so one jittery box does not throw the prediction off.
        obj.velocity = (0.5 * obj.velocity[0] + 0.5 * shift[0], 0.5 * obj.velocity[1] + 0.5 * shift[1])
        obj.box, obj.score, obj.region, obj.frame_time = detection.box, detection.score, detection.region, frame_time
        obj.scores.append(detection.score)
        obj.hits += 1
        obj.disappeared = 0
        obj.frames_since_check = 0
        obj.moved = True
        self._judge(obj)
        self._still_or_moving(obj)

    def _judge(self, obj: TrackedObject) -> None:
        if obj.hits >= self.detect.initialized_frames and not obj.real:
            obj.real = statistics.median(obj.scores) >= self.thresholds.get(obj.label, 0.7)
        if obj.real:
            obj.top_score = max(obj.top_score, obj.score)

    def _still_or_moving(self, obj: TrackedObject) -> None:
        if obj.still_box is None:
            obj.still_box = obj.box
            return
        x1, y1, x2, y2 = obj.still_box
        size = max(x2 - x1, y2 - y1)
        cx, cy = obj.centre
        if np.hypot(cx - (x1 + x2) / 2, cy - (y1 + y2) / 2) <= STILL_TOLERANCE * size:
            obj.still_frames += 1
            obj.stationary = obj.still_frames >= self.detect.stationary.threshold
            if obj.stationary:
                obj.velocity = (0.0, 0.0)
        else:
            obj.still_box, obj.still_frames, obj.stationary = obj.box, 0, False
