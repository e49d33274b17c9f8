"""From tracked objects to events, snapshots, timeline rows, review items and bus messages.

A tracked object opens an event (source ``object``, the object's id as the event's id, starting
when it was first seen, so the recorder's pre-capture runs from before it appeared) once it is
real and, with ``objects.required_zones``, has entered one of them. While it lives, its event's
``top_score``, ``zones`` and ``data`` (``box``, ``region``, ``score``, ``top_score``,
``path_data``, ``snapshot``, ``last_seen``; boxes as Frigate's ``[x, y, w, h]`` fractions) are
kept up to date (and the snapshot rewritten if a better picture came), at most once a second
unless something notable changed. The event ends when the
object is gone (at the time it was last seen) or has been stationary ``stationary.max_seconds``
(it opens a new event if it moves again).

Timeline rows: ``visible`` when the event opens, ``entered_zone``, ``stationary`` and ``active``
as it stops and moves, ``gone`` at the end. Bus: ``events`` messages (``new``, ``update``,
``end``) with Frigate's ``before``/``after`` payloads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from securitycam.bus import OBJECT_EVENTS, EventBus
from securitycam.config.models import CameraSettings
from securitycam.detection.review import ReviewKeeper
from securitycam.detection.snapshots import Picture, SnapshotFiles, is_better, write_snapshot
from securitycam.detection.tracker import TrackedObject, TrackerUpdate
from securitycam.detection.zones import ZonePresence, Zones
from securitycam.store.events import EventStore, new_event_id
from securitycam.store.timeline import TimelineStore

log = logging.getLogger(__name__)

SAVE_INTERVAL = 1.0
PATH_INTERVAL = 1.0
PATH_POINTS = 30


@dataclass
class Life:
    """What the pipeline keeps about one tracked object beyond the tracker's state."""

    obj: TrackedObject
    zones: ZonePresence = field(default_factory=ZonePresence)
    event_id: str | None = None
    ended: bool = False
    best: Picture | None = None
    best_written: float | None = None
    picture_changed: bool = False
    saved_at: float = 0.0
    was_stationary: bool = False
    stationary_since: float | None = None
    path: list[list[Any]] = field(default_factory=list)
    published: dict[str, Any] | None = None


class ObjectEvents:
    def __init__(self, camera: CameraSettings, events: EventStore, timeline: TimelineStore, review: ReviewKeeper,
                 bus: EventBus, clips: Path,
                 on_picture: Callable[[Path, str | None], None] = lambda _path, _event_id: None) -> None:
        self.camera = camera
        self.width, self.height = camera.detect_size()
        self._events = events
        self._timeline = timeline
        self._review = review
        self._bus = bus
        self._clips = clips
        self._on_picture = on_picture  # the storage janitor indexes each event snapshot (it ages out)
        self._zones = Zones(camera.zones, self.width, self.height)
        self.lives: dict[str, Life] = {}
        self._deleted: set[str] = set()
        self._deleted_lock = threading.Lock()

    def forget_events(self, event_ids: Collection[str]) -> None:
        """Events deleted (from any thread) while their objects may still be tracked: from the next
        frame on, those objects write nothing more for them (the row, timeline rows, snapshots and
        review item would come back) and get no new event while they stay in view."""
        with self._deleted_lock:
            self._deleted.update(event_ids)

    def _drop_deleted(self) -> None:
        with self._deleted_lock:
            deleted, self._deleted = self._deleted, set()
        for life in self.lives.values() if deleted else ():
            if life.event_id in deleted:
                life.event_id, life.ended = None, True

    def handle(self, update: TrackerUpdate, frame_time: float, frame: np.ndarray | None) -> None:
        self._drop_deleted()
        for obj in update.new + update.updated:
            life = self.lives.setdefault(obj.id, Life(obj))
            self._seen(life, frame_time, frame)
        for obj in update.gone:
            life = self.lives.pop(obj.id, None)
            if life is not None:
                self._end(life, obj.frame_time, "gone")

    def close(self, now: float) -> None:
        """The pipeline stops: every open event ends now (the objects are no longer watched)."""
        self._drop_deleted()
        for life in list(self.lives.values()):
            self._end(life, min(now, life.obj.frame_time), "gone")
        self.lives.clear()

    # -- one object in one frame ---------------------------------------------------------------

    def _seen(self, life: Life, now: float, frame: np.ndarray | None) -> None:
        obj = life.obj
        if not obj.moved:
            return
        entered = self._zones.update(life.zones, obj.label, obj.bottom_centre, now)
        if frame is not None and obj.real:
            picture = Picture(frame, now, obj.box, obj.score)
            if is_better(life.best, picture):
                life.best = Picture(frame.copy(), now, obj.box, obj.score)
                life.picture_changed = True
        self._track_path(life, now)
        if life.event_id is None:
            if not life.ended and obj.real and self._zones_allow(life):
                self._open(life, now)
            return
        notable = bool(entered)
        for zone in entered:
            self._timeline_row(life, now, "entered_zone", zone=zone)
            self._review.event_started(life.event_id, obj.label, now, zones=[zone])
        if obj.stationary != life.was_stationary:
            life.was_stationary = obj.stationary
            life.stationary_since = now if obj.stationary else None
            self._timeline_row(life, now, "stationary" if obj.stationary else "active")
            notable = True
        if obj.stationary and life.stationary_since is not None \
                and now - life.stationary_since >= self.camera.detect.stationary.max_seconds:
            self._end(life, now, "stationary")
            return
        # A better picture waits for the next save too: a person walking towards the camera gets a
        # better one every frame, and three JPEGs a frame would cost more than the detection.
        if notable or now - life.saved_at >= SAVE_INTERVAL:
            self._save(life, now, publish=notable or life.picture_changed)

    def _zones_allow(self, life: Life) -> bool:
        required = self.camera.objects.required_zones
        return not required or bool(set(required) & set(life.zones.entered))

    def _track_path(self, life: Life, now: float) -> None:
        if life.path and now - life.path[-1][1] < PATH_INTERVAL:
            return
        x, y = life.obj.bottom_centre
        life.path.append([[round(x / self.width, 4), round(y / self.height, 4)], round(now, 3)])
        del life.path[:-PATH_POINTS]

    # -- the event -------------------------------------------------------------------------------

    def _open(self, life: Life, now: float) -> None:
        obj = life.obj
        # An object that moves again after its stationary event ended gets a new event of its own.
        event_id = new_event_id(now) if life.ended else obj.id
        start = now if life.ended else obj.start_time
        event = self._events.open(self.camera.name, "object", obj.label, score=obj.top_score, start_time=start,
                                  data=self._data(life, now), event_id=event_id)
        life.event_id, life.ended = event.id, False
        life.was_stationary = obj.stationary
        self._timeline_row(life, now, "visible")
        for zone in life.zones.current:
            self._timeline_row(life, now, "entered_zone", zone=zone)
        self._save(life, now, publish=False)
        self._review.event_started(event.id, obj.label, now, zones=list(life.zones.entered),
                                   picture=life.best.frame if life.best else None)
        self._publish(life, "new")

    def _save(self, life: Life, now: float, publish: bool) -> None:
        assert life.event_id is not None
        columns: dict[str, Any] = {"top_score": round(life.obj.top_score, 4), "zones": list(life.zones.entered)}
        if life.picture_changed and life.best is not None and self.camera.snapshots.enabled:
            files = SnapshotFiles.for_event(self._clips, self.camera.name, life.event_id)
            try:
                write_snapshot(files, life.best, life.obj.label, self.camera.snapshots)
                columns["has_snapshot"] = True
                life.best_written = life.best.frame_time
                self._on_picture(files.snapshot, life.event_id)
            except (OSError, ValueError) as exc:
                log.warning("event %s: cannot write its snapshot: %s", life.event_id, exc)
            life.picture_changed = False
        self._events.merge_data(life.event_id, self._data(life, now), **columns)
        life.saved_at = now
        if publish:
            self._publish(life, "update")

    def _end(self, life: Life, when: float, why: str) -> None:
        if life.event_id is None:
            return
        if life.picture_changed:
            self._save(life, when, publish=False)
        self._events.merge_data(life.event_id, {**self._data(life, when), "end_reason": why})
        self._events.end(life.event_id, when)
        self._timeline_row(life, when, "gone")
        self._review.event_ended(life.event_id, when)
        self._publish(life, "end", end_time=when)
        life.event_id, life.ended = None, True

    def _data(self, life: Life, now: float) -> dict[str, Any]:
        obj = life.obj
        data: dict[str, Any] = {
            "type": "object", "box": self._relative(obj.box), "region": self._relative(obj.region),
            "score": round(obj.score, 4), "top_score": round(obj.top_score, 4), "attributes": [],
            "path_data": life.path, "last_seen": round(obj.frame_time, 3), "stationary": obj.stationary,
        }
        if life.best_written is not None and life.event_id is not None:
            files = SnapshotFiles.for_event(self._clips, self.camera.name, life.event_id)
            data["snapshot"] = {**files.as_dict(), "frame_time": round(life.best_written, 3),
                                "box": self._relative(life.best.box) if life.best else None}
        return data

    def _relative(self, box: tuple[float, ...]) -> list[float]:
        x1, y1, x2, y2 = box
        return [round(x1 / self.width, 4), round(y1 / self.height, 4),
                round((x2 - x1) / self.width, 4), round((y2 - y1) / self.height, 4)]

    def _timeline_row(self, life: Life, now: float, class_type: str, zone: str | None = None) -> None:
        obj = life.obj
        data = {"camera": self.camera.name, "label": obj.label, "sub_label": None,
                "box": self._relative(obj.box), "region": self._relative(obj.region),
                "zones": [zone] if zone else list(life.zones.current), "attribute": ""}
        self._timeline.add(now, self.camera.name, "tracked_object", life.event_id or obj.id, class_type, data)

    def _publish(self, life: Life, kind: str, end_time: float | None = None) -> None:
        obj = life.obj
        after = {
            "id": life.event_id, "camera": self.camera.name, "label": obj.label, "sub_label": None,
            "score": round(obj.score, 4), "top_score": round(obj.top_score, 4), "frame_time": obj.frame_time,
            "start_time": obj.start_time, "end_time": end_time, "box": [round(v) for v in obj.box],
            "region": list(obj.region), "area": obj.area, "stationary": obj.stationary, "active": not obj.stationary,
            "current_zones": list(life.zones.current), "entered_zones": list(life.zones.entered),
            "has_snapshot": life.best_written is not None, "has_clip": False, "false_positive": not obj.real,
        }
        self._bus.publish(OBJECT_EVENTS, {"type": kind, "before": life.published or after, "after": after})
        life.published = after
