"""The tracker on synthetic boxes: ids stay with their objects through occlusion, crossing and
stopping; scores decide what is real; objects the detector did not look at are left alone."""

from __future__ import annotations

import re

from securitycam.config.detection import DetectSettings, FilterSettings, StationarySettings
from securitycam.detection.regions import regions_for
from securitycam.detection.tracker import ObjectDetection, Tracker, passes_filter

FRAME = (0, 0, 640, 360)
FPS = 5


def person(x: float, y: float = 100, score: float = 0.9, w: float = 60, h: float = 150) -> ObjectDetection:
    return ObjectDetection("person", score, (x, y, x + w, y + h), FRAME)


def tracker(**detect) -> Tracker:
    return Tracker(DetectSettings(fps=FPS, **detect))


def test_an_object_keeps_its_id_walking_and_through_a_short_occlusion() -> None:
    track = tracker(max_disappeared=5)
    first = track.update([person(10)], 1.0, [FRAME]).new[0]
    assert re.fullmatch(r"1\.000000-[a-z0-9]{6}", first.id)
    for step in range(1, 6):
        update = track.update([person(10 + 25 * step)], 1.0 + step / FPS, [FRAME])
        assert [o.id for o in update.updated] == [first.id] and not update.new
    # Hidden behind a pillar for three frames, reappearing further on, where it was heading.
    for step in range(6, 9):
        assert not track.update([], 1.0 + step / FPS, [FRAME]).gone
    update = track.update([person(10 + 25 * 9)], 2.8, [FRAME])
    assert [o.id for o in update.updated] == [first.id] and not update.new
    assert first.hits == 7 and first.disappeared == 0


def test_an_object_is_gone_after_max_disappeared_frames_it_was_looked_for() -> None:
    track = tracker(max_disappeared=3)
    obj = track.update([person(100)], 0.0, [FRAME]).new[0]
    gone = [track.update([], t / FPS, [FRAME]).gone for t in range(1, 5)]
    assert gone[:3] == [[], [], []] and gone[3] == [obj]
    assert track.objects == {}


def test_two_objects_crossing_keep_their_ids() -> None:
    track = tracker()
    left_to_right = person(50)
    right_to_left = person(500)
    created = track.update([left_to_right, right_to_left], 0.0, [FRAME]).new
    a = next(o for o in created if o.box[0] == 50)
    b = next(o for o in created if o.box[0] == 500)
    for step in range(1, 15):
        xa, xb = 50 + 32 * step, 500 - 32 * step
        # Detection order changes from frame to frame: the tracker must not care.
        detections = [person(xa), person(xb)] if step % 2 else [person(xb), person(xa)]
        update = track.update(detections, step / FPS, [FRAME])
        assert not update.new and not update.gone
        assert a.box[0] == xa and b.box[0] == xb, f"swapped at step {step}"


def test_stationary_after_threshold_frames_checked_only_every_interval_then_moving_again() -> None:
    track = tracker(stationary=StationarySettings(threshold=5, interval=4))
    obj = track.update([person(300)], 0.0, [FRAME]).new[0]
    t = 0.0
    for _ in range(6):
        t += 1 / FPS
        # A little detector jitter is not movement.
        track.update([person(300 + (1 if int(t * FPS) % 2 else -1))], t, [FRAME])
    assert obj.stationary
    # The pipeline asks whom to look at: a stationary object only every fourth frame; unlooked-at
    # frames neither confirm nor miss it.
    asked = []
    for _ in range(8):
        t += 1 / FPS
        due = track.to_check()
        asked.append(bool(due))
        track.update([person(300)] if due else [], t, [FRAME] if due else [])
    assert asked.count(True) == 2
    assert obj.disappeared == 0 and obj.id in track.objects
    # It walks off: moving again, looked at every frame.
    for step in range(1, 4):
        t += 1 / FPS
        track.update([person(300 + 40 * step)], t, [FRAME])
    assert not obj.stationary and track.to_check() == [obj]


def test_real_once_the_median_score_reaches_the_threshold() -> None:
    track = tracker(min_initialized=3)
    obj = track.update([person(100, score=0.55)], 0.0, [FRAME]).new[0]
    track.update([person(105, score=0.6)], 0.2, [FRAME])
    track.update([person(110, score=0.9)], 0.4, [FRAME])
    assert not obj.real  # median 0.6
    track.update([person(115, score=0.9)], 0.6, [FRAME])
    track.update([person(120, score=0.95)], 0.8, [FRAME])
    assert obj.real and obj.top_score == 0.95


def test_min_initialized_hits_before_an_object_counts() -> None:
    track = tracker(min_initialized=3)
    obj = track.update([person(100, score=0.99)], 0.0, [FRAME]).new[0]
    track.update([person(102, score=0.99)], 0.2, [FRAME])
    assert not obj.real
    track.update([person(104, score=0.99)], 0.4, [FRAME])
    assert obj.real


def test_labels_never_pair_across() -> None:
    track = tracker()
    track.update([person(100)], 0.0, [FRAME])
    car = ObjectDetection("car", 0.9, (100, 100, 160, 250), FRAME)
    update = track.update([car], 0.2, [FRAME])
    assert [o.label for o in update.new] == ["car"]


def test_per_label_filters() -> None:
    rules = FilterSettings(min_area=2000, max_area=20000, min_ratio=0.2, max_ratio=1.0, min_score=0.6)
    assert passes_filter(person(0, w=60, h=150), rules)
    assert not passes_filter(person(0, score=0.55), rules)
    assert not passes_filter(person(0, w=20, h=40), rules)  # too small
    assert not passes_filter(person(0, w=200, h=150), rules)  # too wide for a person
    assert not passes_filter(person(0, w=150, h=150), rules)  # too big


def test_regions_are_squares_at_least_the_model_size_merged_where_they_overlap() -> None:
    regions = regions_for([(100, 100, 140, 160), (150, 120, 180, 170), (560, 10, 600, 50)], 300, 640, 360)
    assert len(regions) == 2
    for x1, y1, x2, y2 in regions:
        assert x2 - x1 == y2 - y1 >= 300 and x1 >= 0 and x2 <= 640 and y1 >= 0 and y2 <= 360
    near = min(regions)
    assert near[0] <= 100 and near[2] >= 180 and near[1] <= 100 and near[3] >= 170
    # A big box gets a square bigger than the model's input (no cut person), capped by the frame.
    (big,) = regions_for([(200, 0, 420, 330)], 300, 640, 360)
    assert big[3] - big[1] == 360
