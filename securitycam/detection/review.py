"""Review items for one camera: spans of activity that gather the events overlapping them.

The first event of a quiet camera (a real object, motion with the detector ``none``, a sensor
trigger or an event an API client created) opens an item; every event on the camera while it is open joins it (its id in
``data.detections``, its label in ``objects``, zones, sub labels; a sensor's name in ``sensors``).
The item ends ``review.quiet_seconds`` after its last event ended, at the time that event ended.

Severity only ever rises, from ``detection`` to ``alert``:

- an object whose label is in ``review.alerts.labels`` (and, when set, inside one of
  ``review.alerts.required_zones``) makes it an alert, as in Frigate;
- so does an event an API client created (``POST /api/events/<camera>/<label>/create``, Frigate's
  manual event), unless its label is in ``review.detections.labels``, as in Frigate;
- with a sensor among its events, the sensor rule (``review.sensors``) decides too: a trigger while
  an ``alert_with_labels`` object is seen (or, with ``alert_on_motion``, while the camera sees
  motion) is an alert, if nobody is home or ``only_when_away`` is off. A sensor on its own stays a
  detection.

The open item is held here and saved whole at each change, so deleting an event or an item goes
through :class:`~securitycam.detection.service.Detection` (``forget_events``,
``delete_reviews``), which tells the keepers before the store.

The store announces each item once when it becomes an alert or first holds a sensor trigger
(:meth:`ReviewStore.on_new_alert`: the Web Push notifications). Items are announced on the bus as
``reviews`` messages (``type`` new, update, end, with ``before``
and ``after`` rows), like Frigate's ``frigate/reviews`` MQTT topic. The thumbnail
(``clips/review/thumb-<camera>-<id>.webp``) is the picture of the most important object so far.

An item no object picture reached (a sensor or API event opened it, or motion on a camera whose
detector sees no objects) gets one from a still instead, :meth:`ReviewKeeper.fill_thumbnail`: the
event's snapshot or the camera's latest frame, scaled with Pillow (OpenCV stays unloaded on cameras
without detection). The detection service's worker calls it once a second, so the sensor's thread
that opened the item never decodes a picture; a later object picture still replaces it.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from securitycam.bus import REVIEWS, EventBus
from securitycam.config.detection import ReviewSettings
from securitycam.fileio import write_atomic
from securitycam.imaging import ImageBusy, ImageError, conversion_slot, encode, open_jpeg, resized
from securitycam.paths import resolve_inside
from securitycam.sensors.presence import NobodyHome, PresenceCheck
from securitycam.store.review import ReviewSegment, ReviewStore

if TYPE_CHECKING:
    import numpy as np  # pictures come only from cameras with detection, which load it

log = logging.getLogger(__name__)

ALERT, DETECTION = "alert", "detection"
THUMB_HEIGHT = 180


@dataclass
class _Open:
    segment: ReviewSegment
    live: set[str] = field(default_factory=set)
    last_activity: float = 0.0
    motion_seen: bool = False
    labels_seen: set[str] = field(default_factory=set)
    thumb_rank: int = -1
    manual_alert: bool = False
    # Deleted events: an object still tracked under one's id must not bring it back into the item.
    forgotten: set[str] = field(default_factory=set)


class ReviewKeeper:
    """Thread-safe: the camera's pipeline thread and sensor listeners both call it."""

    def __init__(self, camera: str, settings: ReviewSettings, store: ReviewStore, bus: EventBus,
                 directory: Path, presence: PresenceCheck | None = None) -> None:
        self.camera = camera
        self.settings = settings
        self._store = store
        self._bus = bus
        self._directory = directory
        self._presence = presence or NobodyHome()
        self._lock = threading.Lock()
        self._open: _Open | None = None

    @property
    def current(self) -> ReviewSegment | None:
        with self._lock:
            return copy.deepcopy(self._open.segment) if self._open else None

    def event_started(self, event_id: str, label: str, now: float, *, zones: Iterable[str] = (),
                      sub_label: str | None = None, sensor: str | None = None,
                      picture: np.ndarray | None = None, manual: bool = False) -> None:
        """An event on this camera began (or changed zones): it joins the open item, or opens one.

        ``manual``: an API client created it (Frigate's manual event)."""
        with self._lock:
            item = self._open
            if item is not None and event_id in item.forgotten:
                return
            if item is None:
                segment = self._store.open(self.camera, now, DETECTION)
                item = self._open = _Open(segment, last_activity=now)
                before = None
            else:
                before = copy.deepcopy(item.segment)
            data = item.segment.data
            item.live.add(event_id)
            item.last_activity = max(item.last_activity, now)
            _add(data["detections"], event_id)
            if sensor is not None:
                _add(data["sensors"], sensor)
            else:
                item.labels_seen.add(label)
                _add(data["objects"], label)
            if manual and label not in self.settings.detections.labels:
                item.manual_alert = True
            for zone in zones:
                _add(data["zones"], zone)
            if sub_label and sensor is None:
                _add(data["sub_labels"], sub_label)
            severity = self._severity(item)
            rank = 1 if label in self.settings.alerts.labels else 0
            if picture is not None and rank > item.thumb_rank:
                item.thumb_rank = rank
                item.segment.thumb_path = self._write_thumb(item.segment.id, picture)
            self._save(item, severity, before)

    def motion(self, now: float) -> None:
        """The camera saw motion while an item is open: the sensor rule may use it."""
        with self._lock:
            if self._open is not None:
                self._open.motion_seen = True
                if self.settings.sensors.alert_on_motion and self._open.segment.data["sensors"]:
                    self._save(self._open, self._severity(self._open), copy.deepcopy(self._open.segment))

    def event_ended(self, event_id: str, now: float) -> None:
        with self._lock:
            if self._open is not None and event_id in self._open.live:
                self._open.live.discard(event_id)
                self._open.last_activity = max(self._open.last_activity, now)

    def forget_events(self, event_ids: Collection[str]) -> None:
        """Deleted events leave the open item's copy of its row (the store takes them out of the rows):
        each save writes the whole copy, which would bring them back, and a deleted event that never
        ends would keep the item open for ever. Call it before the store's ``forget_events``."""
        with self._lock:
            item = self._open
            if item is None:
                return
            item.forgotten.update(event_ids)
            item.live.difference_update(event_ids)
            item.segment.data["detections"] = [e for e in item.segment.data["detections"] if e not in item.forgotten]

    def forget_items(self, segment_ids: Collection[str]) -> None:
        """Deleted items: the open one among them is dropped (detection would go on saving to a row
        that is gone); the camera's next event opens a new one. Call it before the store deletes them."""
        with self._lock:
            if self._open is not None and self._open.segment.id in segment_ids:
                self._open = None

    def tick(self, now: float) -> None:
        """End the item once its events are over and the camera has been quiet long enough."""
        with self._lock:
            item = self._open
            if item is None or item.live or now - item.last_activity < self.settings.quiet_seconds:
                return
            before = copy.deepcopy(item.segment)
            item.segment.end_time = item.last_activity
            self._store.update(item.segment.id, end_time=item.last_activity)
            self._open = None
        self._bus.publish(REVIEWS, {"type": "end", "before": before.to_dict(), "after": item.segment.to_dict()})

    def close(self, now: float) -> None:
        """The pipeline stops: end the open item now."""
        with self._lock:
            if self._open is not None:
                self._open.live.clear()
                self._open.last_activity = min(self._open.last_activity, now)
        self.tick(now + self.settings.quiet_seconds)

    def _severity(self, item: _Open) -> str:
        if item.segment.severity == ALERT or item.manual_alert:
            return ALERT
        data = item.segment.data
        alerts = self.settings.alerts
        in_zone = not alerts.required_zones or bool(set(alerts.required_zones) & set(data["zones"]))
        if in_zone and item.labels_seen & set(alerts.labels):
            return ALERT
        rule = self.settings.sensors
        if data["sensors"]:
            seen = bool(item.labels_seen & set(rule.alert_with_labels)) or (rule.alert_on_motion and item.motion_seen)
            if seen and not (rule.only_when_away and self._presence.anyone_home()):
                return ALERT
        return DETECTION

    def _save(self, item: _Open, severity: str, before: ReviewSegment | None) -> None:
        item.segment.severity = severity
        self._store.update(item.segment.id, severity=severity, data=item.segment.data,
                           thumb_path=item.segment.thumb_path)
        after = item.segment.to_dict()
        if before is None:
            self._bus.publish(REVIEWS, {"type": "new", "before": None, "after": after})
        elif before.to_dict() != after:
            self._bus.publish(REVIEWS, {"type": "update", "before": before.to_dict(), "after": after})

    def fill_thumbnail(self, still: Callable[[str], bytes | None]) -> None:
        """Give the open item that has no thumbnail one made from ``still(event_id)`` (a JPEG of
        the item's first event), unless an object picture arrives meanwhile."""
        with self._lock:
            item = self._open
            if item is None or item.segment.thumb_path or not item.segment.data["detections"]:
                return
            segment_id, first_event = item.segment.id, item.segment.data["detections"][0]
        jpeg = still(first_event)
        if jpeg is None:
            return
        try:
            with conversion_slot():
                data = encode(resized(open_jpeg(jpeg, THUMB_HEIGHT), THUMB_HEIGHT), "WEBP")
        except (ImageError, ImageBusy) as exc:
            log.warning("review %s: no thumbnail from the camera's still: %s", segment_id, exc)
            return
        with self._lock:
            item = self._open
            if item is None or item.segment.id != segment_id:
                # Ended meanwhile: the row still gets its picture.
                self._store.update(segment_id, thumb_path=self._save_thumb(segment_id, data))
            elif not item.segment.thumb_path:
                before = copy.deepcopy(item.segment)
                item.segment.thumb_path = self._save_thumb(segment_id, data)
                self._save(item, item.segment.severity, before)

    def _write_thumb(self, segment_id: str, picture: np.ndarray) -> str:
        import cv2  # only cameras with detection have pictures; the others never load OpenCV

        height, width = picture.shape[:2]
        small = cv2.resize(picture, (max(1, width * THUMB_HEIGHT // height), THUMB_HEIGHT),
                           interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".webp", small, [cv2.IMWRITE_WEBP_QUALITY, 60])
        if not ok:
            log.warning("review %s: thumbnail encoding failed", segment_id)
            return ""
        return self._save_thumb(segment_id, data.tobytes())

    def _save_thumb(self, segment_id: str, data: bytes) -> str:
        path = resolve_inside(self._directory, f"thumb-{self.camera}-{segment_id}.webp")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
        return str(path)


def _add(values: list, value: object) -> None:
    if value not in values:
        values.append(value)
